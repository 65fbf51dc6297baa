# corpus: exact
# A barrier that broke is reset and used again.
import threading

b = threading.Barrier(2, timeout=0.05)
try:
    b.wait()
except threading.BrokenBarrierError:
    print("broken:", b.broken)
b.reset()
print("after reset:", b.broken, b.parties, b.n_waiting)
order = []
t = threading.Thread(target=lambda: order.append(b.wait()))
t.start()
order.append(b.wait())
t.join()
print(sorted(order))
