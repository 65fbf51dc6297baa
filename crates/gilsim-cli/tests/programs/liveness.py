"""The main thread reads what a worker wrote, then asks whether the worker is still alive:
`1 True` needs the worker to have written but not yet ended, so a thread's end is a step of
its own here."""
import threading

x = 0


def work():
    global x
    x = 1


t = threading.Thread(target=work)
t.start()
seen = x
alive = t.is_alive()
t.join()
print(seen, alive)
