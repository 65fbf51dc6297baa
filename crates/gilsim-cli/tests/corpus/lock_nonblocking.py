# corpus: exact
# Non-blocking and timed acquires while another thread holds the lock.
import threading
import time

lock = threading.Lock()
holding = threading.Event()
release = threading.Event()


def holder():
    with lock:
        holding.set()
        release.wait()


t = threading.Thread(target=holder)
t.start()
holding.wait()
print(lock.locked(), lock.acquire(blocking=False), lock.acquire(timeout=0.05))
release.set()
t.join()
print(lock.acquire(blocking=False), lock.locked())
lock.release()
try:
    lock.release()
except RuntimeError as e:
    print("RuntimeError:", e)
