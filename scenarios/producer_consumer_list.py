"""Producer/consumer with a bare list: items go missing.

A producer appends ITEMS numbers to a plain list; CONSUMERS threads take them from the
front. A consumer checks `if buf:` and then calls `buf.pop(0)`; between the two another
consumer can take the last item, and the pop finds the list empty (IndexError; the
consumer counts it in `empty_pops` and goes on). A consumer can also see the list
empty, be switched out while the producer adds the last items and the main thread
says it is done, and then stop, leaving items behind. Each of `append` and `pop` is
atomic; the check and the pop together are not. While the list is empty the
consumers spin, burning their time slices. See producer_consumer_queue.py for the fix.

Lesson:
    topic: 11.1
    shows: exception
    search: slice:5ms random:0.01
    seeds: 0..3
    fix: producer_consumer_queue
    explore: -D ITEMS=1 -D CONSUMERS=2
"""
import threading

ITEMS = 2000
CONSUMERS = 2

buf = []
consumed = []
empty_pops = []
done = False


def producer():
    for k in range(ITEMS):
        buf.append(k)


def consumer():
    while True:
        if buf:
            try:
                consumed.append(buf.pop(0))
            except IndexError:
                empty_pops.append(1)
        elif done:
            break


consumers = [threading.Thread(target=consumer) for _ in range(CONSUMERS)]
for c in consumers:
    c.start()
p = threading.Thread(target=producer)
p.start()
p.join()
done = True
for c in consumers:
    c.join()

print(len(consumed), len(empty_pops))
print(ITEMS - len(consumed))
assert len(consumed) == ITEMS and not empty_pops, (len(consumed), len(empty_pops))
