# corpus: exact
# A worker loops until a stop Event is set, then finishes its cleanup.
import threading
import time


class Worker(threading.Thread):
    def __init__(self):
        super().__init__(name="poller")
        self.stop_event = threading.Event()
        self.rounds = 0
        self.cleaned = False

    def run(self):
        while not self.stop_event.is_set():
            self.rounds += 1
            self.stop_event.wait(0.01)
        self.cleaned = True


w = Worker()
w.start()
time.sleep(0.05)
w.stop_event.set()
w.join()
print(w.name, w.rounds > 0, w.cleaned, w.is_alive())
