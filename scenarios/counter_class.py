"""A Counter class on CPython 2.7–3.9: `self.value += 1` is a read-modify-write of an attribute.

`self.value += 1` compiles to LOAD_ATTR, INPLACE_ADD, STORE_ATTR: the same load-add-store
as the global counter, on an attribute instead. Threads sharing one Counter lose updates
on CPython 2.7–3.9, and, like the global counter, nothing from 3.10 on, where no switch
can land between the load and the store.
See counter_class_locked.py for the fix.

Lesson:
    topic: 5.1
    shows: lost-updates
    fix: counter_class_locked
    explore: -D THREADS=2 -D ITERATIONS=1
    cpython: wrong | 2.7 3.9 | -D ITERATIONS=20000
    cpython: right | 3.10 3.11 3.12 3.13 | -D ITERATIONS=20000
    exercise: Add `time.sleep(0)` between reading and writing `self.value` (split `+=` into two lines): predict how the number of lost updates changes on 3.12, then run it.
"""
import threading

THREADS = 10
ITERATIONS = 100000


class Counter:
    def __init__(self):
        self.value = 0

    def increment(self):
        self.value += 1


counter = Counter()


def worker():
    for x in range(ITERATIONS):
        counter.increment()


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(counter.value)
print(THREADS * ITERATIONS - counter.value)
