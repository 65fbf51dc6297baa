"""The same fix written out: `acquire()`, then `try` / `finally: release()`.

`finally` releases the lock even if the increment raised, so no thread is left
waiting forever for a lock nobody will release.

Lesson:
    topic: 2.2
    explore: -D THREADS=2 -D ITERATIONS=2
    cpython: right | 2.7 3.9 3.10 3.11 3.12 3.13 | -D ITERATIONS=20000
    exercise: Delete the `finally:` (keep `release()` after `i += 1`) and add a `raise` inside the `try` on one iteration: what does the other thread do? Run it and read the deadlock report.
"""
import threading

THREADS = 10
ITERATIONS = 100000

i = 0
lock = threading.Lock()


def worker():
    global i
    for x in range(ITERATIONS):
        lock.acquire()
        try:
            i += 1
        finally:
            lock.release()


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(i)
print(THREADS * ITERATIONS - i)
assert i == THREADS * ITERATIONS, i
