# corpus: exact
# An executor nobody shuts down: the interpreter joins its workers at exit.
from concurrent.futures import ThreadPoolExecutor


def greet(name):
    return "hello " + name


pool = ThreadPoolExecutor(max_workers=2)
f = pool.submit(greet, "world")
print(f.result())
print(pool.submit(len, "abc").result())
