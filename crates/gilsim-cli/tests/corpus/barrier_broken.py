# corpus: exact
# A barrier whose party never arrives: the waiters time out and see BrokenBarrierError.
import threading

barrier = threading.Barrier(3, timeout=0.05)
results = []
lock = threading.Lock()


def arrive(n):
    try:
        barrier.wait()
        outcome = "passed"
    except threading.BrokenBarrierError:
        outcome = "broken"
    with lock:
        results.append(outcome)


ts = [threading.Thread(target=arrive, args=(i,)) for i in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(results, barrier.broken)
