"""The fix for check-then-act: the check and the take happen under one lock.

A buyer takes the lock, checks the stock, takes the apple and only then releases the
lock. The other buyer's check waits for the lock, so it sees the stock after the
first buyer took the apple: exactly one apple is sold.

Lesson:
    topic: 7.2
    explore:
    cpython: right | 2.7 3.9 3.10 3.11 3.12 3.13
    exercise: Put the lock around the check only, not the take. Predict the outcomes, then check with `gilsim explore`.
"""
import threading
import time

stock = {"apples": 1}
sold = []
lock = threading.Lock()


def buy(name):
    with lock:
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
