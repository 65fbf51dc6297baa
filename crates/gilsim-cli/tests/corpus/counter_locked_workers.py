# corpus: exact
# The counter of every tutorial, fixed with a lock: ten workers, no update lost.
import threading

counter = 0
lock = threading.Lock()


def increment(times):
    global counter
    for _ in range(times):
        with lock:
            counter += 1


workers = [threading.Thread(target=increment, args=(2000,)) for _ in range(10)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print("counter =", counter)
print("lost", 20000 - counter)
