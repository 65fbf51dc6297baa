"""Producer/consumer with `queue.Queue`: every item arrives exactly once.

`q.get()` checks and takes in one step under the queue's own lock, and waits (with the
GIL released) while the queue is empty instead of spinning. The producer ends by
putting one `None` per consumer, so each consumer knows when to stop and nothing is
left behind.

Lesson:
    topic: 11.2
    explore: -D ITEMS=1 -D CONSUMERS=2
"""
import queue
import threading

ITEMS = 2000
CONSUMERS = 2

q = queue.Queue()
consumed = []


def producer():
    for k in range(ITEMS):
        q.put(k)
    for c in range(CONSUMERS):
        q.put(None)


def consumer():
    while True:
        item = q.get()
        if item is None:
            break
        consumed.append(item)


consumers = [threading.Thread(target=consumer) for _ in range(CONSUMERS)]
for c in consumers:
    c.start()
p = threading.Thread(target=producer)
p.start()
p.join()
for c in consumers:
    c.join()

print(len(consumed), 0)
print(ITEMS - len(consumed))
assert len(consumed) == ITEMS, len(consumed)
