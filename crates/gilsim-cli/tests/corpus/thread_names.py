# corpus: exact
# Named workers report their own names through current_thread().
import threading

names = []
lock = threading.Lock()


def who():
    with lock:
        names.append(threading.current_thread().name)


ts = [threading.Thread(target=who, name="worker-%s" % c) for c in "cab"]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(names), threading.current_thread().name)
print([t.name for t in ts])
