"""l = l + [1]: a new list is built from the one read and stored over it.

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

l = []


def worker():
    global l
    for _ in range(ITERATIONS):
        l = l + [1]


threads = []
for n in range(THREADS):
    t = threading.Thread(target=worker)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(THREADS * ITERATIONS - len(l))
