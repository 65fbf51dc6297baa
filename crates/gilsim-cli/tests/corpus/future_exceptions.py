# corpus: exact
# A future whose function raised: exception() returns it, result() raises it.
from concurrent.futures import ThreadPoolExecutor


def divide(a, b):
    return a / b


with ThreadPoolExecutor(max_workers=2) as ex:
    good = ex.submit(divide, 6, 3)
    bad = ex.submit(divide, 1, 0)
    print(good.result(), good.exception())
    print(type(bad.exception()).__name__)
    try:
        bad.result()
    except ZeroDivisionError as e:
        print("raised:", e)
