"""i is read, then a for loop enters a generator before the store (3.10: frame entry checks).

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

i = 0


def gen():
    yield 1


def worker():
    global i
    for _ in range(ITERATIONS):
        g = gen()
        t = i
        for x in g:
            i = t + x


threads = []
for n in range(THREADS):
    t = threading.Thread(target=worker)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(THREADS * ITERATIONS - i)
