"""The Counter class with its own lock: every increment is done while holding it.

The lock lives inside the object it protects, so every caller is safe without knowing
about it.

Lesson:
    topic: 5.2
    explore: -D THREADS=2 -D ITERATIONS=1
    cpython: right | 2.7 3.9 3.10 3.11 3.12 3.13 | -D ITERATIONS=20000
    exercise: Create the lock inside `increment` (`lock = threading.Lock()` on each call) instead of in `__init__`. Predict the total, then check with `gilsim explore -D THREADS=2 -D ITERATIONS=1 --python 3.9`.
"""
import threading

THREADS = 10
ITERATIONS = 100000


class Counter:
    def __init__(self):
        self.value = 0
        self._lock = threading.Lock()

    def increment(self):
        with self._lock:
            self.value += 1


counter = Counter()


def worker():
    for x in range(ITERATIONS):
        counter.increment()


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(counter.value)
print(THREADS * ITERATIONS - counter.value)
assert counter.value == THREADS * ITERATIONS
