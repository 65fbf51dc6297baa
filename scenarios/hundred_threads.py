"""`n += 1` once in each of 100 threads on CPython 2.7–3.9: almost always 100, and still wrong.

Each thread does a single increment, so a thread is rarely switched out in the middle
of it. Real CPython 3.9 printed 100 in all of 100 runs of ours at the default 5 ms
switch interval; with the interval cut to 1 µs it printed 99 in 2 of 20 runs on an idle
machine and in none of 40 on a busy one: too rare for the test suite to check, so the
table below states only that 3.10 to 3.13 stay right. gilsim's model of the 5 ms
interval agrees with the real runs: the sweep below loses nothing in 100 seeds.

Yet the lost update is possible, and the exploration below gives the schedule that
loses one. To show a whole run that loses, the lesson falls back on
`--policy random:0.002`, a stress policy made up for showing it: it preempts at one
check point in 500, far more often than CPython does, so how often it loses says
nothing about real runs. A program that passes its test many times can still be wrong.

Lesson:
    topic: 4
    shows: lost-updates
    search: slice:5ms random:0.002
    seeds: 0..20
    sweep: --policy slice:5ms --seeds 0..100
    explore: -D THREADS=2
    cpython: right | 3.10 3.11 3.12 3.13
    exercise: Replay the witness of the explored outcome that prints `1 ⏎ 1` with `--trace`: between which two instructions of `n += 1` was the thread switched out?
"""
import threading

THREADS = 100

n = 0


def bump():
    global n
    n += 1


threads = [threading.Thread(target=bump) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()

print(n)
print(THREADS - n)
