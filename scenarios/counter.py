"""The lost update on CPython 2.7–3.9: ten threads each add 1 to a shared global a hundred thousand times.

`i += 1` is not one step: the thread loads `i`, adds 1, and stores the result. If another
thread runs between the load and the store, its increments are overwritten when the first
thread stores its stale result. On CPython 3.9 the final value is almost never 1,000,000.
From 3.10 on, CPython checks for a switch only at jumps and calls, never
between this load and store, so the same program loses nothing there (the table below
shows each version; `gilsim lesson counter_call` shows a program that loses on every one).

Lesson:
    topic: 1
    shows: lost-updates
    fix: counter_locked
    explore: -D THREADS=2 -D ITERATIONS=2
    cpython: wrong | 2.7 3.9 | -D ITERATIONS=20000
    cpython: right | 3.10 3.11 3.12 3.13 | -D ITERATIONS=20000
    exercise: Predict the final `i` with `-D THREADS=2 -D ITERATIONS=2 --python 3.10`, then run it. Then `gilsim explore` it under `--python 3.9` and replay the witness of the outcome that prints 2.
"""
import threading

THREADS = 10
ITERATIONS = 100000

i = 0


def worker():
    global i
    for x in range(ITERATIONS):
        i += 1


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(i)
print(THREADS * ITERATIONS - i)
assert i == THREADS * ITERATIONS, i
