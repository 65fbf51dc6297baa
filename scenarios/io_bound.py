"""I/O-bound threads overlap: waiting for the network releases the GIL.

The same REQUESTS downloads are split among THREADS threads. While a thread waits in
`requests.get` it does not hold the GIL, so the other threads send their requests in
the meantime: with 4 threads the waits overlap and the run takes a fraction of the
virtual time one thread needs. Compare cpu_bound.py. (gilsim simulates the network:
latencies are virtual and drawn from the seed; under python3 the stub `requests.py`
next to this file sleeps instead.)

Lesson:
    topic: 10.2
    compare: -D THREADS=1 | -D THREADS=2 | -D THREADS=4
    exercise: Replace the simulated network wait with a busy loop of the same length: predict the virtual time with four threads, then run it.
"""
import threading
import requests

THREADS = 4
REQUESTS = 20

statuses = []


def fetch(first, count):
    for k in range(first, first + count):
        statuses.append(requests.get("https://example.com/page/%d" % k).status_code)


share = REQUESTS // THREADS
threads = [threading.Thread(target=fetch, args=(n * share, share)) for n in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(len(statuses))
