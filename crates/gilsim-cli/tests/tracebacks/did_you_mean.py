# Misspelt names and attributes: 3.10+ say "Did you mean", 3.12+ "Did you forget to import".
import threading


class Counter:
    def __init__(self):
        self.value = 0
        self.lock = threading.Lock()

    def increment(self):
        with self.lock:
            self.valeu += 1


def total(counts):
    result = 0
    for c in counts:
        result += c
    return reslt


def worker(counter):
    counter.increment()


c = Counter()
t = threading.Thread(target=worker, args=(c,))
t.start()
t.join()
try:
    total([1, 2])
except NameError as e:
    print("caught:", e)
    print(e.name if hasattr(e, "name") else "no name")
counter = Counter()
print(countr.value)
