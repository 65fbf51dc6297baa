"""tmp = i; type(x); i = tmp + 1: type(x) is specialised by 3.11+ after a warm-up.

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

i = 0
x = [1, 2, 3]


def worker():
    global i
    for _ in range(ITERATIONS):
        tmp = i
        type(x)
        i = tmp + 1


threads = []
for n in range(THREADS):
    t = threading.Thread(target=worker)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(THREADS * ITERATIONS - i)
