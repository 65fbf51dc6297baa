"""A generator reads i and returns; the loop that ran it stores i + 1 (3.10+: no check between).

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

i = 0


def gen(box):
    box[0] = i
    return
    yield


def worker():
    global i
    for _ in range(ITERATIONS):
        box = [0]
        for _ in gen(box):
            pass
        i = box[0] + 1


threads = []
for n in range(THREADS):
    t = threading.Thread(target=worker)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(THREADS * ITERATIONS - i)
