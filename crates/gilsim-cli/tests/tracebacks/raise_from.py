# An exception raised from another, with a lambda and a generator on the way.
def values():
    for v in ["1", "x"]:
        yield int(v)


def load():
    try:
        return sum(values())
    except ValueError as e:
        raise RuntimeError("bad data") from e


convert = lambda items: [load() for _ in items]
convert([1])
