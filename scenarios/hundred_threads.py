"""`n += 1` once in each of 100 threads: usually 100, sometimes 99.

Each thread does a single increment, so a thread is rarely switched out in the middle
of it: most runs end with 100. Under the 5 ms switch interval a thread finishes its few
instructions long before anyone asks for the GIL; with a rare random preemption
(`--policy random:0.002`, a switch at one check point in 500) a switch sometimes lands
between the load and the store. Search the seeds until a run does not end with 100, and
the lost update is there: a program that passes its test many times can still be wrong.
The sweep below counts how rare it is.

Lesson:
    topic: 4
    shows: lost-updates
    search: slice:5ms random:0.002
    seeds: 0..20
    sweep: --policy random:0.002 --seeds 0..100
    explore: -D THREADS=2
"""
import threading

THREADS = 100

n = 0


def bump():
    global n
    n += 1


threads = [threading.Thread(target=bump) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(n)
print(THREADS - n)
