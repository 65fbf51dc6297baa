# corpus: exact
# Two locks taken in opposite orders, but with timeouts: one side backs off and retries.
import threading
import time

a = threading.Lock()
b = threading.Lock()
log = []


def left():
    with a:
        time.sleep(0.01)
        if b.acquire(timeout=0.05):
            log.append("left got both")
            b.release()
        else:
            log.append("left backed off")


def right():
    time.sleep(0.001)
    with b:
        time.sleep(0.2)
    with a:
        log.append("right got a")


ts = [threading.Thread(target=left), threading.Thread(target=right)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(log)
