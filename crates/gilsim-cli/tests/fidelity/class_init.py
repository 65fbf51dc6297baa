"""i = R().v + 1 where __init__ reads i: the class call checks after __init__ returns.

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

i = 0


class R(object):
    def __init__(self):
        self.v = i


def worker():
    global i
    for _ in range(ITERATIONS):
        i = R().v + 1


threads = []
for n in range(THREADS):
    t = threading.Thread(target=worker)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(THREADS * ITERATIONS - i)
