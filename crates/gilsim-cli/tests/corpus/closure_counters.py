# corpus: exact
# A counter kept in a closure, updated with nonlocal under a lock.
import threading


def make_counter():
    count = 0
    lock = threading.Lock()

    def increment():
        nonlocal count
        with lock:
            count += 1

    def value():
        return count

    return increment, value


inc, value = make_counter()
ts = [threading.Thread(target=lambda: [inc() for _ in range(300)]) for _ in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(value())
