"""A stored app = l.append called between the load and the store: a generic C call checks.

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

i = 0


def worker():
    global i
    l = []
    app = l.append
    for _ in range(ITERATIONS):
        tmp = i
        app(1)
        i = tmp + 1


threads = []
for n in range(THREADS):
    t = threading.Thread(target=worker)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(THREADS * ITERATIONS - i)
