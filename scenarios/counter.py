"""The lost update: ten threads each add 1 to a shared global a hundred thousand times.

`i += 1` is not one step: the thread loads `i`, adds 1, and stores the result. If another
thread runs between the load and the store, its increments are overwritten when the first
thread stores its stale result. On CPython 3.9 the final value is almost never 1,000,000.

Lesson:
    topic: 1
    shows: lost-updates
    fix: counter_locked
    explore: -D THREADS=2 -D ITERATIONS=2
"""
import threading

THREADS = 10
ITERATIONS = 100000

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
assert i == THREADS * ITERATIONS, i
