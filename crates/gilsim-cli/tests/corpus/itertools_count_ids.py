# corpus: exact
# Unique ids from a shared itertools.count, taken under a lock by many threads.
import itertools
import threading

ids = itertools.count(1)
lock = threading.Lock()
taken = []


def take(k):
    for _ in range(k):
        with lock:
            taken.append(next(ids))


ts = [threading.Thread(target=take, args=(25,)) for _ in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(len(taken), len(set(taken)), min(taken), max(taken))
