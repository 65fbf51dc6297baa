"""The fix: a lock around each increment, taken with `with lock:`.

Only the thread holding the lock may load, add and store `i`, so no other thread's
increment can land between this thread's load and its store. The total is always
THREADS * ITERATIONS, under every policy and seed.

Lesson:
    topic: 2.1
    explore: -D THREADS=2 -D ITERATIONS=2
    cpython: right | 2.7 3.9 3.10 3.11 3.12 3.13 | -D ITERATIONS=20000
    compare: -D ITERATIONS=10000 | counter_whole_loop -D ITERATIONS=10000
    exercise: Move `with lock:` so it guards only the `for` line, not `i += 1`. Predict whether updates are lost, then check with `gilsim explore -D THREADS=2 -D ITERATIONS=2`.
"""
import threading

THREADS = 10
ITERATIONS = 100000

i = 0
lock = threading.Lock()


def worker():
    global i
    for x in range(ITERATIONS):
        with lock:
            i += 1


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(i)
print(THREADS * ITERATIONS - i)
assert i == THREADS * ITERATIONS, i
