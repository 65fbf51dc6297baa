"""`l = l + [1]` loses appends: it builds a new list and stores it back.

BINARY_ADD makes a new list from the old one; if another thread stores its own new list
in between, this thread's STORE_GLOBAL throws that work away. Compare list_iadd.py.

Lesson:
    topic: 3.1
    shows: lost-updates
    fix: list_iadd
    explore: -D THREADS=2 -D ITERATIONS=2
"""
import threading

THREADS = 4
ITERATIONS = 2000

l = []


def worker():
    global l
    for x in range(ITERATIONS):
        l = l + [1]


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(len(l))
print(THREADS * ITERATIONS - len(l))
