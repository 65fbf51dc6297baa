# Reading a variable before it is assigned: a local, a cell and a free variable.
counter = 0


def increment():
    counter += 1


def outer():
    def inner():
        return later
    try:
        inner()
    except NameError as e:
        print("caught:", e)
    later = 1
    print(later)

    def cell():
        return seen
    print(cell.__name__)
    seen = 2


outer()
try:
    increment()
except UnboundLocalError as e:
    print("caught:", e)
increment()
