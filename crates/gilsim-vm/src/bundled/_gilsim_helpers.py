def _list(iterable):
    out = []
    for x in iterable:
        out.append(x)
    return out


def _tuple(iterable):
    return tuple(_list(iterable))


def _set(iterable):
    return set(_list(iterable))


def _dict(iterable):
    return dict(_list(iterable))


def _sum(iterable, start):
    total = start
    for x in iterable:
        total = total + x
    return total


def _min(iterable):
    first = True
    best = None
    for x in iterable:
        if first or x < best:
            best = x
            first = False
    if first:
        raise ValueError("min() arg is an empty sequence")
    return best


def _max(iterable):
    first = True
    best = None
    for x in iterable:
        if first or x > best:
            best = x
            first = False
    if first:
        raise ValueError("max() arg is an empty sequence")
    return best


def _any(iterable):
    for x in iterable:
        if x:
            return True
    return False


def _all(iterable):
    for x in iterable:
        if not x:
            return False
    return True


def _sorted(iterable, reverse):
    out = _list(iterable)
    out.sort(reverse=reverse)
    return out


def _keyed(iterable, key, reverse):
    # Decorate with the position so that items are never compared and equal keys keep their
    # order, also under reverse (CPython's sort is stable both ways).
    decorated = []
    i = 0
    for x in iterable:
        if reverse:
            decorated.append((key(x), -i, x))
        else:
            decorated.append((key(x), i, x))
        i += 1
    decorated.sort(reverse=reverse)
    out = []
    for d in decorated:
        out.append(d[2])
    return out


def _sort_key(target, key, reverse):
    target[:] = _keyed(target, key, reverse)


def _min_key(iterable, key, default, has_default):
    first = True
    best = None
    best_key = None
    for x in iterable:
        k = key(x)
        if first or k < best_key:
            best = x
            best_key = k
            first = False
    if first:
        if has_default:
            return default
        raise ValueError("min() arg is an empty sequence")
    return best


def _max_key(iterable, key, default, has_default):
    first = True
    best = None
    best_key = None
    for x in iterable:
        k = key(x)
        if first or k > best_key:
            best = x
            best_key = k
            first = False
    if first:
        if has_default:
            return default
        raise ValueError("max() arg is an empty sequence")
    return best


def _user_iter(iterator):
    # A user class's iterator in a for loop: its StopIteration ends the loop.
    while True:
        try:
            x = iterator.__next__()
        except StopIteration:
            return
        yield x


def _print(args, sep, end, file):
    parts = []
    for a in args:
        parts.append(str(a))
    print(*parts, sep=sep, end=end, file=file)


def _join(sep, iterable):
    return sep.join(_list(iterable))


def _extend(target, iterable):
    for x in iterable:
        target.append(x)


def _enumerate(iterable, start):
    n = start
    for x in iterable:
        yield (n, x)
        n += 1


def _zip(iterables):
    its = [iter(x) for x in iterables]
    while True:
        item = []
        for it in its:
            for v in it:
                item.append(v)
                break
            else:
                return
        yield tuple(item)


def _next(iterator, default, has_default):
    for x in iterator:
        return x
    if has_default:
        return default
    value = _returned(iterator)
    if value is None:
        raise StopIteration
    raise StopIteration(value)


def _map(func, iterables):
    for args in zip(*iterables):
        yield func(*args)


def _filter(func, iterable):
    for x in iterable:
        if func is None:
            if x:
                yield x
        elif func(x):
            yield x


def _iter_call(func, sentinel):
    while True:
        value = func()
        if value == sentinel:
            return
        yield value
