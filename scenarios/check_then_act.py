"""Check-then-act: two buyers, one apple.

Each buyer checks that an apple is in stock, then takes it. If the other buyer runs
between the check and the take, both see one apple and both take it: the stock goes
negative. The fix is to make the check and the take one step under a lock.

The exploration below finds a quieter ending too: `0 ['ann', 'bob']`. Both buyers got
the apple, yet the stock reads 0, not -1: their two `stock["apples"] -= 1` overlapped as
well, both read 1 and both wrote 0, so one decrement was lost. A check of the stock alone
would never notice the oversell; only the list of sales shows it.

Lesson:
    topic: 7.1
    shows: check-then-act
    fix: check_then_act_locked
    explore:
    cpython: wrong | 2.7 3.9 3.10 3.11 3.12 3.13
    exercise: The outcome `0 ['ann', 'bob']` sells two apples and leaves a stock of 0: which two writes overlapped? Replay its witness with `--trace` and find them.
"""
import threading
import time

stock = {"apples": 1}
sold = []


def buy(name):
    if stock["apples"] > 0:
        time.sleep(0.001)  # think about it for a moment
        stock["apples"] -= 1
        sold.append(name)


buyers = [threading.Thread(target=buy, args=(name,)) for name in ("ann", "bob")]
for b in buyers:
    b.start()
for b in buyers:
    b.join()

print(stock["apples"], sold)
print(len(sold) - 1)
