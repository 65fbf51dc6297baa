# corpus: exact
# One producer, three consumers, one None sentinel per consumer to stop it.
import queue
import threading

CONSUMERS = 3
q = queue.Queue(maxsize=4)
got = []
lock = threading.Lock()


def producer():
    for i in range(30):
        q.put(i)
    for _ in range(CONSUMERS):
        q.put(None)


def consumer():
    while True:
        item = q.get()
        if item is None:
            return
        with lock:
            got.append(item)


ts = [threading.Thread(target=producer)] + [threading.Thread(target=consumer) for _ in range(CONSUMERS)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(len(got), sorted(got) == list(range(30)), q.qsize())
