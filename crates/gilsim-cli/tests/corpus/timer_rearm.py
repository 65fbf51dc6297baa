# corpus: exact
# A Timer that re-arms itself from its own callback three times.
import threading

ticks = []
finished = threading.Event()


def tick():
    ticks.append(len(ticks))
    if len(ticks) < 3:
        threading.Timer(0.01, tick).start()
    else:
        finished.set()


threading.Timer(0.01, tick).start()
print(finished.wait(5), ticks)
