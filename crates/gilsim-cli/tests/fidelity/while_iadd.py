"""i += 1 in a while loop (3.10+ test the loop condition at the bottom).

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

i = 0


def worker():
    global i
    n = 0
    while n < ITERATIONS:
        i += 1
        n += 1


threads = []
for n in range(THREADS):
    t = threading.Thread(target=worker)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(THREADS * ITERATIONS - i)
