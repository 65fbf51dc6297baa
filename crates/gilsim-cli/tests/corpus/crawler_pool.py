# corpus: exact
# A crawler's shape: a pool "fetches" pages (sleeping stands in for the network) and
# records each page's size in a shared dict under a lock.
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

PAGES = {"/": 120, "/about": 80, "/blog": 300, "/contact": 40, "/shop": 220}
sizes = {}
lock = threading.Lock()


def fetch(path):
    time.sleep(PAGES[path] / 10000)
    with lock:
        sizes[path] = PAGES[path]
    return path


with ThreadPoolExecutor(max_workers=3) as pool:
    done = [f.result() for f in as_completed([pool.submit(fetch, p) for p in PAGES])]
print(sorted(done))
print(sum(sizes.values()), len(sizes))
