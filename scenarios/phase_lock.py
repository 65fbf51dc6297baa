"""Phase locking: on CPython 3.9 an exact `every:N` policy can hit the same instruction every time.

The loop body `for x in range(ITERATIONS): i += 1` has 5 check points (`gilsim dis`
marks them with ⇄): after FOR_ITER, LOAD_GLOBAL, INPLACE_ADD, STORE_GLOBAL and
JUMP_ABSOLUTE. Under `every:N` a thread is preempted after exactly N check points. When
N is a multiple of 5, every preemption of a thread lands at the same place of the loop,
wherever the first one landed; when it is not, the place moves on by N mod 5 check
points each time, visiting every place in turn. Where the first one lands depends on how
many check points a thread passes before its loop, which SKEW sets: the empty loop
`for s in range(SKEW): pass` passes 2 per round. If the locked place is between the load
and the store of `i`, every single preemption loses the other thread's updates; anywhere
else, none does. Each round of SKEW moves the place back by 2 of the 5: SKEW = 0 locks
`every:100` onto FOR_ITER and SKEW = 1 onto STORE_GLOBAL, so it loses nothing, while
SKEW = 2 locks it onto LOAD_GLOBAL, between the load and the store, so it loses about half
of all the updates, more than `every:101`, which visits every place in turn. The runs
below show where their preemptions landed, and the claims at the end are checked on each
narration. Real CPython's switch interval is in time, not in check points, so it
does not lock onto a loop like this; an exact round-robin is a teaching device, and this
is its trap.

Lesson:
    topic: 9.2
    explore: -D ITERATIONS=2
    cpython: wrong | 2.7 3.9 | -D ITERATIONS=20000
    cpython: right | 3.10 3.11 3.12 3.13 | -D ITERATIONS=20000
    compare: --policy every:100 | --policy every:101 | --policy every:100 -D SKEW=0 | --policy every:100 -D SKEW=2
    claim: keeps | --policy every:100
    claim: keeps | --policy every:100 -D SKEW=0
    claim: loses | --policy every:101
    claim: loses | --policy every:100 -D SKEW=2
    exercise: Find another N for which `--policy every:N` loses nothing with SKEW=0. What do those N have in common with the loop's length in check points?
"""
import threading

THREADS = 2
ITERATIONS = 10000
SKEW = 1

i = 0


def worker():
    global i
    for s in range(SKEW):  # does nothing but pass 2 check points per round
        pass
    for x in range(ITERATIONS):
        i += 1


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(i)
print(THREADS * ITERATIONS - i)
