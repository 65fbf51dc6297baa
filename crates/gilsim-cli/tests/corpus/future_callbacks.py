# corpus: exact
# Future.add_done_callback, cancel, done and exception.
import threading
import time
from concurrent.futures import ThreadPoolExecutor

log = []
log_lock = threading.Lock()


def note(fut):
    with log_lock:
        log.append(("done", fut.result()))


def work(n):
    time.sleep(0.05)
    return n + 100


with ThreadPoolExecutor(max_workers=1) as ex:
    a = ex.submit(work, 1)
    b = ex.submit(work, 2)
    c = ex.submit(work, 3)
    a.add_done_callback(note)
    print("cancel c:", c.cancel())
    print("b:", b.result(), b.done(), b.exception())
print(a.done(), c.cancelled(), c.done())
print(log)
a.add_done_callback(note)
print(log)
