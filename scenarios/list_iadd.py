"""`l += [1]` loses nothing: the list is extended in place by one C call.

INPLACE_ADD on a list extends the very list object and STORE_GLOBAL puts back the object
that was already bound. Even if another thread runs between them, nothing is overwritten.
Compare list_add.py.

Lesson:
    topic: 3.2
    explore: -D THREADS=2 -D ITERATIONS=2
    cpython: right | 2.7 3.9 3.10 3.11 3.12 3.13
    claim: keeps | --policy every:101
    claim: keeps | --python 2.7
    exercise: Replace `l += [1]` with `l.extend([1])` and then with `l = l + [1]`: which of the three can lose appends on 3.9? Check each with `gilsim explore`.
"""
import threading

THREADS = 4
ITERATIONS = 2000

l = []


def worker():
    global l
    for x in range(ITERATIONS):
        l += [1]


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(len(l))
print(THREADS * ITERATIONS - len(l))
