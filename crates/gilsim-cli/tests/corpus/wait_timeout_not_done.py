# corpus: exact
# wait with a timeout: the slow future is still in not_done when it returns.
import time
from concurrent.futures import ThreadPoolExecutor, wait

ex = ThreadPoolExecutor(max_workers=2)
fast = ex.submit(time.sleep, 0.01)
slow = ex.submit(time.sleep, 0.5)
done, not_done = wait([fast, slow], timeout=0.1)
print(fast in done, slow in not_done, slow.running())
ex.shutdown(wait=True)
print(slow.done())
