"""`lst.sort()` is one call: no other thread ever sees a half-sorted list.

One thread sorts a shared list back and forth, ascending then descending; another
copies it and checks that the copy is sorted one way or the other. `data.sort()` and
`list(data)` are each a single C call under the GIL (one CALL_METHOD or CALL_FUNCTION
instruction), so a switch can only happen before or after them, never in the middle:
the watcher never sees a half-sorted list. A sort written in Python, swapping items
one by one, would be switched out half-way.

Lesson:
    topic: 3.3
    explore: -D ITEMS=3 -D ROUNDS=2
    cpython: right | 2.7 3.9 3.10 3.11 3.12 3.13
    exercise: Replace `lst.sort()` with a hand-written bubble sort over `lst`. Predict whether another thread can now see a half-sorted list, and check with `gilsim explore`.
"""
import threading

ITEMS = 50
ROUNDS = 200

data = list(range(ITEMS))
half_sorted = 0


def sorter():
    for r in range(ROUNDS):
        data.sort(reverse=r % 2 == 0)


def watcher():
    global half_sorted
    for r in range(ROUNDS):
        copy = list(data)
        if copy != sorted(copy) and copy != sorted(copy, reverse=True):
            half_sorted += 1


threads = [threading.Thread(target=sorter), threading.Thread(target=watcher)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(half_sorted)
assert half_sorted == 0, half_sorted
