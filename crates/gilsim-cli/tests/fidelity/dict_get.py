"""d['k'] = d.get('k', 0) + 1: the read is a C method call.

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

d = {}


def worker():
    for _ in range(ITERATIONS):
        d['k'] = d.get('k', 0) + 1


threads = []
for n in range(THREADS):
    t = threading.Thread(target=worker)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(THREADS * ITERATIONS - d['k'])
