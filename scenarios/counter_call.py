"""The version story: `i += 1` stopped losing updates in 3.10; `i = inc(i)` loses them on all.

CPython 3.9 can switch threads after almost any opcode, so the load, the add and the store of
`i += 1` can be split, and updates are lost. From 3.10 on, a thread is switched out only at a
loop's back-edge or a call, and no such point lies inside `i += 1`: the classic counter stops
losing updates there, and many learners conclude it is safe. It is not, because the language
promises nothing about where a switch may happen. This version calls a Python function
between the load and the store, `i = inc(i)`. Entering the function (its RESUME in 3.11) is a
check point, so it loses updates on every version, 3.10 to 3.13 included. The runs below set
the plain counter and this one side by side under 3.9 and 3.11; `gilsim compare` shows every
version. Only a lock around the read and the write makes either correct.

Lesson:
    topic: 12
    shows: lost-updates
    search: slice:5ms random:0.002
    seeds: 0..20
    fix: counter_call_locked
    explore: -D THREADS=2 -D ITERATIONS=2
    cpython: wrong | 2.7 3.9 3.10 3.11 3.12 3.13 | -D ITERATIONS=20000
    compare: counter --python 3.9 | counter --python 3.11 | --python 3.9 | --python 3.11
    exercise: Inline `inc` back into `i += 1` and run `gilsim compare -D THREADS=2 -D ITERATIONS=2`: which versions stop losing, and which check point is gone?
"""
import threading

THREADS = 10
ITERATIONS = 100000

i = 0


def inc(x):
    return x + 1


def worker():
    global i
    for x in range(ITERATIONS):
        i = inc(i)


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(i)
print(THREADS * ITERATIONS - i)
assert i == THREADS * ITERATIONS, i
