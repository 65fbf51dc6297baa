# A decorator that calls the function it decorates, which fails on a nested subscript.
def deco(fn):
    return fn(1)


x = {"a": {"b": 1}}


@deco
def run(n):
    return x["a"]["c"] + n
