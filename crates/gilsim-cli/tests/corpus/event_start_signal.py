# corpus: exact
# Workers wait for a start signal, then record their order of arrival under a lock.
import threading

start = threading.Event()
arrived = []
lock = threading.Lock()


def runner(n):
    start.wait()
    with lock:
        arrived.append(n)


ts = [threading.Thread(target=runner, args=(i,)) for i in range(5)]
for t in ts:
    t.start()
print("waiting:", start.is_set(), arrived)
start.set()
for t in ts:
    t.join()
print(sorted(arrived), start.wait(0.1))
