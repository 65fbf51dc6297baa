"""The switch interval: how long a thread keeps the GIL before it must hand it over.

CPython 3 lets a waiting thread ask for the GIL after the switch interval, 5 ms by
default; `sys.setswitchinterval(INTERVAL)` changes it. This is the lost-update counter
with the interval set by the program. A large interval means few switches, so few
chances to be switched out between the load and the store of `i += 1`; a tiny one
means a switch at almost every check point, and many lost updates. Neither makes the
counter correct: only a lock does. CPython 2.7 counted instead (its check interval,
`--policy ticks:100`, the default of `--python 2.7`). `ticks:N` keeps one ticker for all
threads, as 2.7's `_Py_Ticker`: a thread that takes the GIL after another one blocked goes
on with the ticks that were left, so unlike `every:N` (see phase_lock.py) the preemptions
do not lock onto one point of the loop. The runs below show where they landed.

Lesson:
    topic: 9.1
    compare: -D INTERVAL=1.0 | -D INTERVAL=0.005 | -D INTERVAL=0.0001 | -D INTERVAL=0.000001 | --policy ticks:1000 | --policy ticks:100
"""
import sys
import threading

THREADS = 4
ITERATIONS = 100000
INTERVAL = 0.005

sys.setswitchinterval(INTERVAL)
i = 0


def worker():
    global i
    for x in range(ITERATIONS):
        i += 1


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(i)
print(THREADS * ITERATIONS - i)
