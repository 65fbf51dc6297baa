"""tmp = i; a with whose __exit__ suppresses a raise; i = tmp + 1: 3.12 leaves the handler by a JUMP_BACKWARD.

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

i = 0


class Suppress:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return 1


def worker():
    global i
    for _ in range(ITERATIONS):
        tmp = i
        with Suppress():
            raise ValueError
        i = tmp + 1


threads = []
for n in range(THREADS):
    t = threading.Thread(target=worker)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(THREADS * ITERATIONS - i)
