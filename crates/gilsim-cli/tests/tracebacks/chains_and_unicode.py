# Non-ASCII text, a method chain over lines, a lambda and a chained comparison.
data = {"ключ": 1}
values = [1, 2]


def get(k):
    return data[k]


def chain(x):
    return (x
            .upper()
            .missing())


try:
    print(get("κ") + 1)
except KeyError as e:
    print("caught", e)
try:
    chain("a")
except AttributeError as e:
    print("caught", e)
f = lambda v: v[5]
try:
    f(values)
except IndexError as e:
    print("caught", e)
result = values[0] < values[1] < "x"
