"""i = next_value(), whose loop breaks into a small `return tmp + 1` (3.10+ copy it there).

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

i = 0
xs = [1]


def next_value():
    tmp = i
    for x in xs:
        if x:
            break
    return tmp + 1


def worker():
    global i
    for _ in range(ITERATIONS):
        i = next_value()


threads = []
for n in range(THREADS):
    t = threading.Thread(target=worker)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(THREADS * ITERATIONS - i)
