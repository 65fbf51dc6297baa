"""CPU-bound threads give no speed-up under the GIL.

The same amount of arithmetic, WORK additions, is split among THREADS threads. Only
the thread holding the GIL runs Python code, so more threads do not finish sooner:
the virtual time of the run barely changes from 1 thread to 4 (it even grows a
little: the threads cost their own start-up and switches). Compare io_bound.py, where
the threads spend their time waiting with the GIL released.

Lesson:
    topic: 10.1
    compare: -D THREADS=1 | -D THREADS=2 | -D THREADS=4
    exercise: Run `-D THREADS=4 --python 3.13t`: is the virtual time shorter than with the GIL? (gilsim gives all threads one clock today, so it will not be: see the lesson's note.)
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
