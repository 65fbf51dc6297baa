"""Threads that end while another still runs and the main thread joins them: a bound method as
the target, and a `Thread` subclass with its own `run`. What the main thread sees after joining
`a` alone depends on how far `b` got; joining a thread that is already done, and a join with a
timeout, are in the mix."""
import threading

x = 0


class A:
    def work(self):
        global x
        x = x + 1


class B(threading.Thread):
    def run(self):
        global x
        x = x * 10


a = threading.Thread(target=A().work)
b = B()
a.start()
b.start()
a.join()
seen = x
a.join()
b.join(0.5)
b.join()
print(seen, x)
