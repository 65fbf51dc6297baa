# corpus: exact
# The low-level _thread module: start_new_thread, allocate_lock, get_ident.
import _thread
import time

lock = _thread.allocate_lock()
done = []


def worker(n):
    with lock:
        done.append(n * n)


for i in range(4):
    _thread.start_new_thread(worker, (i,))
while len(done) < 4:
    time.sleep(0.01)
print(sorted(done))
print(type(_thread.get_ident()).__name__)
