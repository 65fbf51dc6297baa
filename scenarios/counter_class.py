"""A Counter class: `self.value += 1` is a read-modify-write of an attribute.

`self.value += 1` compiles to LOAD_ATTR, INPLACE_ADD, STORE_ATTR: the same load-add-store
as the global counter, on an attribute instead. Threads sharing one Counter lose updates.
See counter_class_locked.py for the fix.

Lesson:
    topic: 5.1
    shows: lost-updates
    fix: counter_class_locked
    explore: -D THREADS=2 -D ITERATIONS=1
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
