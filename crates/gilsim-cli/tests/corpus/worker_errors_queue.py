# corpus: exact
# Workers catch their own exceptions and hand them to the main thread through a Queue.
import queue
import threading

errors = queue.Queue()


def risky(n):
    try:
        if n % 3 == 0:
            raise ValueError("bad input %d" % n)
    except Exception as e:
        errors.put((n, type(e).__name__, str(e)))


ts = [threading.Thread(target=risky, args=(n,)) for n in range(7)]
for t in ts:
    t.start()
for t in ts:
    t.join()
found = []
while not errors.empty():
    found.append(errors.get())
print(sorted(found))
