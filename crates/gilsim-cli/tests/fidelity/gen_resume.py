"""A generator reads i, yields, and writes i + 1 when resumed (3.11+: RESUME 1 checks).

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

i = 0


def gen():
    global i
    t = i
    yield 1
    i = t + 1
    yield 2


def worker():
    for _ in range(ITERATIONS):
        g = gen()
        for _ in g:
            break
        for _ in g:
            break


threads = []
for n in range(THREADS):
    t = threading.Thread(target=worker)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(THREADS * ITERATIONS - i)
