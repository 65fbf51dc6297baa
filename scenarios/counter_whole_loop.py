"""The lock held around the whole loop: correct too, but the threads take turns.

Each worker takes the lock once and does all its increments while holding it, so no
other thread can touch `i` in between: the total is exact, like counter_locked.py.
But while one thread holds the lock the others can only wait, so the work is done
one thread after another, with far fewer lock operations and switches. Compare the
two runs: same answer, different interleavings and virtual time.

Lesson:
    topic: 2.3
    explore: -D THREADS=2 -D ITERATIONS=2
    cpython: right | 2.7 3.9 3.10 3.11 3.12 3.13 | -D ITERATIONS=20000
    compare: counter_locked -D ITERATIONS=10000 | -D ITERATIONS=10000
    exercise: Compare the virtual time of this lesson's run with counter_locked's (`gilsim run` both with `-D ITERATIONS=10000`): which finishes sooner, and why?
"""
import threading

THREADS = 10
ITERATIONS = 100000

i = 0
lock = threading.Lock()


def worker():
    global i
    with lock:
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
