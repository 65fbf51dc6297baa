"""`n += 1` once in each of 100 threads: usually 100, sometimes 99.

Each thread does a single increment, so a thread is rarely switched out in the middle
of it: most runs end with 100. Find a seed where it does not (`gilsim run
hundred_threads.py --policy random:0.2 --seed N`), and the lost update is there.

Lesson:
    topic: 4
    shows: lost-updates
    search: slice:5ms random:0.002
    seeds: 0..20
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
