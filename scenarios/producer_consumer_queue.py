"""Producer/consumer with `queue.Queue`: every item arrives exactly once.

`buf.get()` checks and takes in one step under the queue's own lock, and waits (with the
GIL released) while the queue is empty instead of spinning. The producer ends by
putting one `None` per consumer, so each consumer knows when to stop and nothing is
left behind.

Lesson:
    topic: 11.2
    explore: -D ITEMS=1 -D CONSUMERS=2
    cpython: right | 2.7 3.9 3.10 3.11 3.12 3.13
    exercise: Remove the `None` sentinels and end the consumers with `buf.get(timeout=0.1)` instead: what can go wrong? Check with `gilsim explore`.
"""
try:
    import queue  # Python 3
except ImportError:
    import Queue as queue  # Python 2.7 calls the module Queue
import threading

ITEMS = 2000
CONSUMERS = 2

buf = queue.Queue()
consumed = []


def producer():
    for k in range(ITEMS):
        buf.put(k)
    for c in range(CONSUMERS):
        buf.put(None)


def consumer():
    while True:
        item = buf.get()
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

print(len(consumed), "consumed")
print(ITEMS - len(consumed))
assert len(consumed) == ITEMS, len(consumed)
