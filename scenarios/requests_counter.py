"""I/O-bound threads: `requests.get` releases the GIL while it waits for the network.

Each worker fetches URLs and counts the outcomes in a shared dict. The waiting overlaps,
so ten threads finish far sooner than one doing all the requests: compare the virtual
times of the first two runs below. `d['success'] += 1` is still a
read-modify-write; here it is protected by a lock. (gilsim simulates the network: latency
and status codes are virtual and drawn from the run's seed.)

Lesson:
    topic: 6
    explore: -D THREADS=2 -D REQUESTS=1
    cpython: right | 3.9 3.10 3.11 3.12 3.13
    compare: -D THREADS=1 -D REQUESTS=50 | --policy slice:5ms | --policy io | --policy random:0.5
    exercise: Remove the lock around `results[...] += 1`. Predict which versions can now lose a count, then check with `gilsim compare -D THREADS=2 -D REQUESTS=1`.
"""
import threading
import requests

THREADS = 10
REQUESTS = 5

results = {"success": 0, "failure": 0}
lock = threading.Lock()


def worker(n):
    for k in range(REQUESTS):
        response = requests.get("https://example.com/item/%d/%d" % (n, k))
        with lock:
            if response.status_code == 200:
                results["success"] += 1
            else:
                results["failure"] += 1


threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(results["success"] + results["failure"])
print(THREADS * REQUESTS - results["success"] - results["failure"])
