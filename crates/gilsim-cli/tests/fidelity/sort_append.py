"""lst.sort() while other threads append: one C call, which nothing interrupts.

Fidelity corpus: runs unchanged under CPython 2.7 to 3.13 and gilsim, and prints the
number of updates it lost as its last line."""
import threading

THREADS = 4
ITERATIONS = 1000

lst = list(range(100))


def sorter():
    for _ in range(ITERATIONS):
        lst.sort()


def appender():
    for k in range(ITERATIONS):
        lst.append(k)


threads = []
for n in range(THREADS):
    if n % 2 == 0:
        t = threading.Thread(target=appender)
    else:
        t = threading.Thread(target=sorter)
    threads.append(t)
    t.start()
for t in threads:
    t.join()
print(100 + (THREADS + 1) // 2 * ITERATIONS - len(lst))
