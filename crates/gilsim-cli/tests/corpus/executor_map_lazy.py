# corpus: exact
# Executor.map returns an iterator: results come in input order, each as it is asked for.
from concurrent.futures import ThreadPoolExecutor


def double(x):
    return 2 * x


with ThreadPoolExecutor(max_workers=2) as ex:
    results = ex.map(double, range(6))
    print(type(results).__name__)
    print(next(results))
    print(list(results))
    print(list(ex.map(lambda a, b: a ** b, [2, 3, 4], [5, 2, 1])))
