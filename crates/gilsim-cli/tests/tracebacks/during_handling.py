# An exception raised while handling another one.
import threading

lock = threading.Lock()
data = {"a": 1}


def lookup(key):
    try:
        return data[key]
    except KeyError:
        return data["fallback"] * 2


print(lookup("a"))
lookup("b")
