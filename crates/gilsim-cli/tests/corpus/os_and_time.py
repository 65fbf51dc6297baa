# corpus: exact
# The process id and core count as thread demos print them, and elapsed time with perf_counter.
import os
import threading
import time

pids = set()


def report():
    pids.add(os.getpid())


start = time.perf_counter()
ts = [threading.Thread(target=report) for _ in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
elapsed = time.perf_counter() - start
print("one process:", len(pids) == 1 and os.getpid() in pids)
print("cores known:", os.cpu_count() is not None and os.cpu_count() > 0)
print("elapsed is small:", 0 <= elapsed < 5)
print(type(time.time_ns()).__name__, type(time.ctime()).__name__)
