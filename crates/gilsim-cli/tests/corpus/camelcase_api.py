# corpus: exact stderr
# The old camelCase names of threading, as tutorials written for Python 2 use them.
import threading


def job():
    me = threading.currentThread()
    print("in", me.getName(), me.isDaemon())


t = threading.Thread(target=job, name="helper")
t.setDaemon(False)
t.setName("renamed")
t.start()
t.join()
print(threading.activeCount())
ev = threading.Event()
print(ev.isSet())
ev.set()
print(ev.isSet())
cond = threading.Condition()
with cond:
    cond.notifyAll()
for _ in range(3):
    threading.currentThread()
