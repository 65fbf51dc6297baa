# corpus: exact
# Workers pop tasks from a LifoQueue (newest first) until a sentinel.
import queue
import threading

stack = queue.LifoQueue()
for i in range(8):
    stack.put(i)
stack.put(None)
seen = []


def worker():
    while True:
        item = stack.get()
        if item is None:
            stack.put(None)
            return
        seen.append(item)


ts = [threading.Thread(target=worker) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(seen), stack.qsize())
