"""`l = l + [1]` loses appends on CPython 2.7 and 3.9: it builds a new list and stores it back.

BINARY_ADD makes a new list from the old one; if another thread stores its own new list
in between, this thread's STORE_GLOBAL throws that work away. Compare list_iadd.py. From
3.10 on, no switch point lies between the load and the store of `l = l + [1]`, so the appends
all land there (and in real CPython 3.10-3.13); the line is still not atomic by the
language's rules, as `gilsim lesson counter_call` shows. The claims below are checked.

Lesson:
    topic: 3.1
    shows: lost-updates
    fix: list_iadd
    explore: -D THREADS=2 -D ITERATIONS=2
    cpython: wrong | 2.7 3.9
    cpython: right | 3.10 3.11 3.12 3.13
    claim: loses | --policy every:101
    claim: loses | --python 2.7
    claim: keeps | --python 3.10
    claim: keeps | --python 3.12
    exercise: Run `-D THREADS=2 -D ITERATIONS=2 --python 3.12` under `gilsim explore`: how many outcomes? Then try `--python 3.13t` and explain the difference.
"""
import threading

THREADS = 4
ITERATIONS = 2000

l = []


def worker():
    global l
    for x in range(ITERATIONS):
        l = l + [1]


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(len(l))
print(THREADS * ITERATIONS - len(l))
