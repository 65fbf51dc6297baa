# A KeyError inside a thread: `d['success'] += 1` on a missing key.
import threading

d = {}


def worker():
    d['success'] += 1


t = threading.Thread(target=worker)
t.start()
t.join()
print("done")
