"""The fix for the deadlock: every thread takes the locks in the same order.

Both threads take `a` first, then `b`. Whoever gets `a` first also gets `b` (the other
waits for `a` and holds nothing), so no thread ever holds one lock while waiting for a
lock the other holds: there is no cycle, and both finish.

Lesson:
    topic: 8.2
    explore:
    cpython: right | 2.7 3.9 3.10 3.11 3.12 3.13
    exercise: Add a third lock and a third thread that takes them in order c, a. Is it still free of deadlock? Check with `gilsim explore`.
"""
import threading
import time

a = threading.Lock()
b = threading.Lock()


def one():
    with a:
        time.sleep(0.01)
        with b:
            print("one got both")


def two():
    with a:
        time.sleep(0.01)
        with b:
            print("two got both")


t1 = threading.Thread(target=one)
t2 = threading.Thread(target=two)
t1.start()
t2.start()
t1.join()
t2.join()
print(0)
