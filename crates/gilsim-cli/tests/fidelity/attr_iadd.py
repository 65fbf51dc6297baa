"""self.value += 1 on a plain attribute, in a method.

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

class Counter(object):
    def __init__(self):
        self.value = 0

    def increment(self):
        self.value += 1


c = Counter()


def worker():
    for _ in range(ITERATIONS):
        c.increment()


threads = []
for n in range(THREADS):
    t = threading.Thread(target=worker)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(THREADS * ITERATIONS - c.value)
