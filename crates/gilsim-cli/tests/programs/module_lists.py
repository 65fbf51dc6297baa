"""Lists bound to module names: `mine` is made and iterated by the module body only (its
`for` needs no switch), `shared` is handed to a worker that rewrites it while the main thread
sums it: 10 + 99 needs a switch in the middle of the main thread's loop."""
import threading

mine = [1, 2]
shared = [10, 20]


def worker(lst):
    lst[0] = 77
    lst[1] = 99


t = threading.Thread(target=worker, args=(shared,))
t.start()
total = 0
for x in mine:
    total = total + x
for x in shared:
    total = total + x
t.join()
print(total)
