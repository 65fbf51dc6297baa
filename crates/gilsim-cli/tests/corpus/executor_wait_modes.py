# corpus: exact
# concurrent.futures.wait with FIRST_COMPLETED, FIRST_EXCEPTION and ALL_COMPLETED.
import time
from concurrent import futures


def task(delay, fail=False):
    time.sleep(delay)
    if fail:
        raise KeyError(delay)
    return delay


pool = futures.ThreadPoolExecutor(max_workers=3)
fs = [pool.submit(task, 0.3), pool.submit(task, 0.1), pool.submit(task, 0.2)]
done, pending = futures.wait(fs, return_when=futures.FIRST_COMPLETED)
print(len(done), len(pending), [f.result() for f in done])
fs2 = [pool.submit(task, 0.2), pool.submit(task, 0.05, True), pool.submit(task, 0.4)]
res = futures.wait(fs2, return_when=futures.FIRST_EXCEPTION)
print(len(res.done), len(res.not_done))
print(sorted(f.result() for f in futures.wait(fs).done))
pool.shutdown()
print(fs2[1].exception().__class__.__name__)
