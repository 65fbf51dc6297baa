# corpus: exact
# A semaphore lets at most two of five workers into the section at once.
import threading
import time

slots = threading.BoundedSemaphore(2)
inside = 0
most = 0
count_lock = threading.Lock()


def visit():
    global inside, most
    with slots:
        with count_lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.01)
        with count_lock:
            inside -= 1


ts = [threading.Thread(target=visit) for _ in range(5)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("most inside at once:", most)
try:
    slots.release()
except ValueError as e:
    print("ValueError:", e)
