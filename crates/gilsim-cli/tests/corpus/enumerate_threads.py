# corpus: exact
# threading.enumerate() and active_count() while workers wait on an event.
import threading

go = threading.Event()


def wait_for_go():
    go.wait()


ts = [threading.Thread(target=wait_for_go, name="waiter-%d" % i) for i in range(3)]
for t in ts:
    t.start()
names = sorted(t.name for t in threading.enumerate())
print(names)
print(threading.active_count())
print(threading.main_thread().name, threading.current_thread() is threading.main_thread())
go.set()
for t in ts:
    t.join()
print([t.name for t in threading.enumerate()])
print(threading.TIMEOUT_MAX > 1000)
