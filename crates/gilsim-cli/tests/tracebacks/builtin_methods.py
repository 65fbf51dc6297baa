# Misspelt methods of builtin types, and a misspelt local inside a list comprehension.
import threading


def shout():
    return "abc".uper()


def totals():
    total = 1
    return [totl for _ in range(2)]


x = [1]
try:
    x.appendd(2)
except AttributeError as e:
    print("caught:", e)
for target in (shout, totals):
    t = threading.Thread(target=target)
    t.start()
    t.join()
