# corpus: exact
# A Counter class whose increment takes its own lock; the total is exact.
import threading


class SafeCounter:
    def __init__(self):
        self._value = 0
        self._lock = threading.Lock()

    def increment(self):
        with self._lock:
            self._value += 1

    @property
    def value(self):
        with self._lock:
            return self._value


c = SafeCounter()


def hammer():
    for _ in range(1000):
        c.increment()


ts = [threading.Thread(target=hammer) for _ in range(8)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(c.value)
