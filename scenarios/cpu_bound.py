"""CPU-bound threads give no speed-up under the GIL; without it (3.13t) they do.

The same amount of arithmetic, WORK additions, is split among THREADS threads. Only
the thread holding the GIL runs Python code, so more threads do not finish sooner:
the virtual time of the run barely changes from 1 thread to 4 (it even grows a
little: the threads cost their own start-up and switches). CPython 3.13t, built
without the GIL, runs the threads at once, each on its own core with its own clock:
the last two runs below show 4 threads finishing in about a quarter of the time.
(gilsim gives every thread a core of its own for now; a machine with fewer cores
than threads would share them.) Compare io_bound.py, where the threads spend their
time waiting with the GIL released.

Lesson:
    topic: 10.1
    compare: -D THREADS=1 | -D THREADS=2 | -D THREADS=4 | -D THREADS=1 --python 3.13t | -D THREADS=4 --python 3.13t
    exercise: Under `--python 3.13t`, add a shared counter that every thread increments once per addition. Predict whether it loses updates and whether the threads still finish sooner, then run it.
"""
import threading

THREADS = 4
WORK = 200000

totals = []


def crunch(n):
    total = 0
    for x in range(n):
        total += x
    totals.append(total)


threads = [threading.Thread(target=crunch, args=(WORK // THREADS,)) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(len(totals))
