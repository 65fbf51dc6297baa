# corpus: exact
# An RLock lets a method that holds it call another method that takes it again.
import threading


class Inventory:
    def __init__(self):
        self.lock = threading.RLock()
        self.items = {}

    def add(self, name, n):
        with self.lock:
            self.items[name] = self.items.get(name, 0) + n

    def add_many(self, pairs):
        with self.lock:
            for name, n in pairs:
                self.add(name, n)


inv = Inventory()
ts = [threading.Thread(target=inv.add_many, args=([("bolt", 2), ("nut", 3)],)) for _ in range(5)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(inv.items.items()))
