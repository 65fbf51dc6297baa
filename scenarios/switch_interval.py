"""The switch interval: how long a thread keeps the GIL before it must hand it over.

CPython 3 lets a waiting thread ask for the GIL after the switch interval, 5 ms by
default; `sys.setswitchinterval(INTERVAL)` changes it. This is the lost-update counter
with the interval set by the program. A large interval means few switches, so few
chances to be switched out between the load and the store of `i += 1`; a smaller one
means more switches and, in the runs below, more lost updates. Neither makes the
counter correct: only a lock does. CPython 2.7 counted instead: its check interval,
`--policy ticks:100` (the default of `--python 2.7`), switches every 100 ticks.

How many updates vanish depends on two things: where a preemption lands, and how long
the others run before the preempted thread stores its stale value. Look at the two
`ticks:` rows below: `ticks:100` switches ten times as often as `ticks:1000` yet loses
far less, because its preemptions land almost always after FOR_ITER or JUMP_ABSOLUTE,
between one `i += 1` and the next, where a switch loses nothing (the same locking onto
one point as `every:N` in phase_lock.py). `ticks:1000` lands inside `i += 1` a few
hundred times, and each time the other threads run up to a thousand ticks, all erased
by one stale store. A tiny interval lands inside it often, but the others run only a
moment each time.

Lesson:
    topic: 9.1
    claim: keeps | -D INTERVAL=1.0
    claim: loses | -D INTERVAL=0.0001
    compare: -D INTERVAL=1.0 | -D INTERVAL=0.005 | -D INTERVAL=0.0001 | -D INTERVAL=0.000001 | --policy ticks:1000 | --policy ticks:100
    exercise: Run it with `--python 2.7` and read the error: 2.7 has no `sys.setswitchinterval`; it had `sys.setcheckinterval(N)`, a switch every N ticks. Delete that line and try `--python 2.7 --policy ticks:N` for a few N: which loses the most?
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
