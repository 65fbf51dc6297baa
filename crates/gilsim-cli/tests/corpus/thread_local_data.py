# corpus: exact
# threading.local: each thread sees only its own attributes of the shared object.
import threading

data = threading.local()
data.owner = "main"
seen = {}
lock = threading.Lock()


def worker(n):
    print_before = hasattr(data, "owner")
    data.owner = "worker-%d" % n
    data.count = 0
    for _ in range(n + 1):
        data.count += 1
    with lock:
        seen[n] = (print_before, data.owner, data.count)


ts = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(seen.items()))
print(data.owner, hasattr(data, "count"))


class Config(threading.local):
    level = "default"


cfg = Config()


def tweak():
    cfg.level = "changed in thread"


t = threading.Thread(target=tweak)
t.start()
t.join()
print(cfg.level)
del data.owner
print(hasattr(data, "owner"))
