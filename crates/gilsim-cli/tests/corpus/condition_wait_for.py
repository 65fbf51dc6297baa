# corpus: exact
# Condition.wait_for: consumers wait until enough items are ready.
import threading

cond = threading.Condition()
items = []
taken = []


def consumer(need):
    with cond:
        cond.wait_for(lambda: len(items) >= need)
        taken.append(items[:need])


ts = [threading.Thread(target=consumer, args=(n,)) for n in (2, 4)]
for t in ts:
    t.start()
for i in range(5):
    with cond:
        items.append(i)
        cond.notify_all()
for t in ts:
    t.join()
print(sorted(taken, key=len))
with cond:
    print(cond.wait_for(lambda: False, timeout=0.01))
