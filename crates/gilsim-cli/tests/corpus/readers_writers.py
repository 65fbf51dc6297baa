# corpus: exact
# Readers share the data, a writer needs it alone: a reader count guarded by a Condition.
import threading


class RWLock:
    def __init__(self):
        self.cond = threading.Condition()
        self.readers = 0

    def acquire_read(self):
        with self.cond:
            self.readers += 1

    def release_read(self):
        with self.cond:
            self.readers -= 1
            if self.readers == 0:
                self.cond.notify_all()

    def acquire_write(self):
        self.cond.acquire()
        while self.readers > 0:
            self.cond.wait()

    def release_write(self):
        self.cond.release()


rw = RWLock()
shared = {"version": 0}
observed = []
obs_lock = threading.Lock()


def reader():
    for _ in range(5):
        rw.acquire_read()
        v = shared["version"]
        rw.release_read()
        with obs_lock:
            observed.append(v)


def writer():
    for _ in range(3):
        rw.acquire_write()
        shared["version"] += 1
        rw.release_write()


ts = [threading.Thread(target=reader) for _ in range(3)] + [threading.Thread(target=writer)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(shared["version"], len(observed), all(0 <= v <= 3 for v in observed))
