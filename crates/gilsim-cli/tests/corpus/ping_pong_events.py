# corpus: exact
# Two threads take turns through a pair of Events.
import threading

ping = threading.Event()
pong = threading.Event()
log = []


def pinger():
    for i in range(3):
        log.append("ping %d" % i)
        pong.clear()
        ping.set()
        pong.wait()


def ponger():
    for i in range(3):
        ping.wait()
        ping.clear()
        log.append("pong %d" % i)
        pong.set()


a = threading.Thread(target=pinger)
b = threading.Thread(target=ponger)
a.start()
b.start()
a.join()
b.join()
print(log)
