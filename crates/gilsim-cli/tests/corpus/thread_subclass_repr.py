# corpus: exact
# A Thread subclass with its own run(), and what a thread's repr says before and after.
import threading


class Worker(threading.Thread):
    def __init__(self, n):
        super().__init__(name="worker-%d" % n)
        self.n = n
        self.result = None

    def run(self):
        self.result = sum(range(self.n))


w = Worker(10)
print(repr(w))
w.start()
w.join()
print(repr(w).split(" ")[0], repr(w).split(" ")[1])
print(w.result, w.ident is not None, w.native_id is not None)
d = threading.Thread(target=print, args=("daemon says hi",), daemon=True)
print(d.daemon, repr(d))
d.start()
d.join()
