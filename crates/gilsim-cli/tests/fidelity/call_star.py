"""i = rd(*E) + 1: 3.11 calls through C and checks after; 3.12+ inline the call.

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

i = 0
E = ()


def rd():
    return i


def worker():
    global i
    for _ in range(ITERATIONS):
        i = rd(*E) + 1


threads = []
for n in range(THREADS):
    t = threading.Thread(target=worker)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(THREADS * ITERATIONS - i)
