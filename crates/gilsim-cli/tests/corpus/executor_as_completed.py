# corpus: exact
# as_completed hands futures back in the order they finish, not the order submitted.
import time
from concurrent.futures import ThreadPoolExecutor, as_completed


def slow_square(n):
    time.sleep(0.1 * (4 - n))
    return n * n


with ThreadPoolExecutor(max_workers=4) as pool:
    futures = {pool.submit(slow_square, n): n for n in range(4)}
    for fut in as_completed(futures):
        print(futures[fut], "->", fut.result())
