# corpus: exact
# A @contextmanager that takes a lock and logs around the block, used from several threads.
import threading
from contextlib import contextmanager, suppress

lock = threading.Lock()
entries = []


@contextmanager
def guarded(name):
    with lock:
        entries.append(name + " in")
        yield len(entries)
        entries.append(name + " out")


def worker(n):
    with guarded("w%d" % n) as position:
        assert position % 2 == 1


ts = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(len(entries), all(entries[i][:2] == entries[i + 1][:2] for i in range(0, 8, 2)))
with suppress(ZeroDivisionError):
    print(1 / 0)
print("done")
