# corpus: exact
# Workers take jobs from a shared deque with popleft until it is empty (each pop is atomic).
import threading
from collections import deque

jobs = deque(range(1, 21))
results = []
results_lock = threading.Lock()


def worker():
    while True:
        try:
            n = jobs.popleft()
        except IndexError:
            return
        with results_lock:
            results.append(n * n)


ts = [threading.Thread(target=worker) for _ in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(len(results), sum(results))
print(jobs, len(jobs))
