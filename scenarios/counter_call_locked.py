"""The fix for the version story: a lock around `i = inc(i)`, so it holds on every version.

The call to `inc` is a check point on every version, 3.10 to 3.13 included, so no version
keeps another thread out of the gap between the load of `i` and the store of the result.
A lock does: only the thread that holds it may load `i`, call `inc` and store the result,
and the other threads wait at `with lock:` until it is done. A switch can still happen
inside the call, but the thread that runs next cannot touch `i` until the lock is
released. The total is THREADS * ITERATIONS on every version, under every policy and
seed: the claims below run it under 3.9 and 3.11 and check that nothing is lost, and
exploring the small configuration finds a single outcome.



Lesson:
    topic: 12.1
    explore: -D THREADS=2 -D ITERATIONS=2
    cpython: right | 2.7 3.9 3.10 3.11 3.12 3.13 | -D ITERATIONS=20000
    claim: keeps | --python 3.9 -D ITERATIONS=10000
    claim: keeps | --python 3.11 -D ITERATIONS=10000
    claim: keeps | --python 3.9 --policy every:3 -D ITERATIONS=2000
    compare: --python 3.9 -D ITERATIONS=10000 | --python 3.11 -D ITERATIONS=10000
    exercise: Take the lock inside `inc` instead of around the call: is it still correct on every version? Explain from `gilsim dis`.
"""
import threading

THREADS = 10
ITERATIONS = 100000

i = 0
lock = threading.Lock()


def inc(x):
    return x + 1


def worker():
    global i
    for x in range(ITERATIONS):
        with lock:
            i = inc(i)


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(i)
print(THREADS * ITERATIONS - i)
assert i == THREADS * ITERATIONS, i
