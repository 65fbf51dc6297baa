# corpus: exact
# A bounded buffer guarded by a Condition: producers wait when full, consumers when empty.
import threading

buffer = []
CAPACITY = 3
cond = threading.Condition()
consumed = []


def producer(start):
    for i in range(start, start + 5):
        with cond:
            while len(buffer) >= CAPACITY:
                cond.wait()
            buffer.append(i)
            cond.notify_all()


def consumer():
    for _ in range(5):
        with cond:
            while not buffer:
                cond.wait()
            consumed.append(buffer.pop(0))
            cond.notify_all()


threads = [threading.Thread(target=producer, args=(s,)) for s in (0, 100)]
threads += [threading.Thread(target=consumer) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(consumed))
print(len(buffer))
