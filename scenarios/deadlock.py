"""Deadlock: two threads take two locks in opposite orders.

Thread 1 holds `a` and waits for `b`; thread 2 holds `b` and waits for `a`. Neither can
go on. The fix is a lock order: every thread takes `a` before `b`.

Lesson:
    topic: 8.1
    shows: deadlock
    fix: deadlock_ordered
    explore:
    claim: deadlocks |
    exercise: Make one thread take its second lock with `acquire(timeout=0.1)` and give up when it fails: does the deadlock go away? What does the program print now?
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
    with b:
        time.sleep(0.01)
        with a:
            print("two got both")


t1 = threading.Thread(target=one)
t2 = threading.Thread(target=two)
t1.start()
t2.start()
t1.join()
t2.join()
print(0)
