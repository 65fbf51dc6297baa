# corpus: exact
# FIFO, LIFO and priority queues, and SimpleQueue, fed by one thread and drained by another.
import queue
import threading

kinds = [queue.Queue(), queue.LifoQueue(), queue.PriorityQueue(), queue.SimpleQueue()]


def fill():
    for q in kinds:
        for item in [(3, "c"), (1, "a"), (2, "b")]:
            q.put(item)


t = threading.Thread(target=fill)
t.start()
t.join()
for q in kinds:
    out = []
    while not q.empty():
        out.append(q.get()[1])
    print(type(q).__name__, "".join(out))
try:
    kinds[0].get_nowait()
except queue.Empty:
    print("empty")
