"""Producer/consumer with a bare list on CPython 2.7–3.10: a consumer can pop from an empty list, or stop before the last item.

A producer appends ITEMS numbers to a plain list; CONSUMERS threads take them from the
front. A consumer checks `if buf:` and then calls `buf.pop(0)`; between the two another
consumer can take the last item, and the pop finds the list empty (IndexError; the
consumer counts it in `empty_pops` and goes on). A consumer can also see the list
empty, be switched out while the producer adds the last items and the main thread
says it is done, and then stop, leaving items behind. Each of `append` and `pop` is
atomic; the check and the pop together are not. While the list is empty the
consumers spin, burning their time slices.

How often? Real CPython 2.7 and 3.9, with the switch interval cut to 1 µs, popped from an
empty list in a few runs of ten, and no run of ours left an item behind; 3.10 did it only
rarely, and 3.11 to 3.13 were always right. The run below comes from `--policy random:0.01`, a stress policy
made up for showing it, after the default 5 ms slice showed nothing in three seeds. The
exploration below finds both failures under 2.7 and 3.9, with a schedule for each. The counts of schedules there are not odds: a spinning consumer
makes nearly every schedule a long spin, so they say nothing about how often.

Lesson:
    topic: 11.1
    shows: exception
    search: slice:5ms random:0.01
    seeds: 0..3
    fix: producer_consumer_queue
    explore: -D ITEMS=1 -D CONSUMERS=2
    cpython: wrong | 2.7 3.9
    cpython: right | 3.11 3.12 3.13
    exercise: Replay the witness of the outcome that leaves an item behind with `--trace`: which line was the consumer at when the producer added the last item?
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

print(len(consumed), "consumed,", len(empty_pops), "popped from an empty list")
print(ITEMS - len(consumed))
assert len(consumed) == ITEMS and not empty_pops, (len(consumed), len(empty_pops))
