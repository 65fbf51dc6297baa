# corpus: exact
# A semaphore acquired and released by hand, the release in a finally block.
import threading
import time

limit = threading.Semaphore(3)
active = 0
peak = 0
lock = threading.Lock()


def task():
    global active, peak
    limit.acquire()
    try:
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.005)
    finally:
        with lock:
            active -= 1
        limit.release()


ts = [threading.Thread(target=task) for _ in range(9)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(peak, active)
