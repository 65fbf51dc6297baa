# corpus: exact
# join with a timeout returns while the thread still runs; is_alive tells the difference.
import threading
import time


def slow():
    time.sleep(0.2)


t = threading.Thread(target=slow)
t.start()
t.join(timeout=0.01)
print("after short join:", t.is_alive())
t.join()
print("after full join:", t.is_alive())
ev = threading.Event()
print(ev.wait(timeout=0.01), ev.is_set())
