# corpus: exact
# A Timer that fires, and one cancelled before it could.
import threading
import time

fired = []


def ring(name):
    fired.append(name)
    print("ring", name)


t1 = threading.Timer(0.05, ring, args=["first"])
t2 = threading.Timer(0.5, ring, args=["second"])
t1.start()
t2.start()
time.sleep(0.2)
t2.cancel()
t1.join()
t2.join()
print("fired:", fired)
print(t1.is_alive(), t2.is_alive())
