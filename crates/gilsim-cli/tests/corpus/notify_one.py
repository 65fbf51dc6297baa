# corpus: exact
# Condition.notify wakes one waiter per item: each item goes to exactly one consumer.
import threading

cond = threading.Condition()
items = []
claimed = []


def consumer():
    with cond:
        while not items:
            cond.wait()
        claimed.append(items.pop())


ts = [threading.Thread(target=consumer) for _ in range(3)]
for t in ts:
    t.start()
for i in range(3):
    with cond:
        items.append(i)
        cond.notify()
for t in ts:
    t.join()
print(sorted(claimed), items)
