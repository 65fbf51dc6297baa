# A Counter class whose increment forgets to initialise, called under a lock in two threads.
import threading


class Counter:
    def __init__(self, start):
        self.lock = threading.Lock()
        self.start = start

    def increment(self):
        with self.lock:
            self.count += 1


counter = Counter(0)
threads = [threading.Thread(target=counter.increment) for _ in range(2)]
for t in threads:
    t.start()
    t.join()
items = [1, 2, 3]
print(items[counter.start + 5])
