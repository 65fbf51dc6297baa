# corpus: exact
# A daemon thread that never ends does not keep the program alive.
import threading
import time

ticks = []


def background():
    while True:
        ticks.append(1)
        time.sleep(0.01)


d = threading.Thread(target=background, daemon=True)
d.start()
time.sleep(0.05)
print(d.daemon, d.is_alive(), len(ticks) > 0)
print("main exits")
