# functools in the shapes programs use: partial, reduce, wraps, lru_cache and cache. CPython
# writes partial, reduce and lru_cache in C; here they are Python, so a thread can be switched
# out between a cache's lookup and its store, where the C wrapper is switched out only inside
# the cached function itself.

_initial_missing = object()


def reduce(function, iterable, initial=_initial_missing):
    it = iter(iterable)
    if initial is _initial_missing:
        try:
            value = next(it)
        except StopIteration:
            raise TypeError("reduce() of empty iterable with no initial value") from None
    else:
        value = initial
    for element in it:
        value = function(value, element)
    return value


class partial:
    def __init__(self, func, *args, **keywords):
        if not callable(func):
            raise TypeError("the first argument must be callable")
        self.func = func
        self.args = args
        self.keywords = keywords

    def __call__(self, *args, **keywords):
        merged = dict(self.keywords)
        merged.update(keywords)
        return self.func(*self.args, *args, **merged)

    def __repr__(self):
        parts = [repr(self.func)]
        for a in self.args:
            parts.append(repr(a))
        for k, v in self.keywords.items():
            parts.append("%s=%r" % (k, v))
        return "functools.partial(" + ", ".join(parts) + ")"


WRAPPER_ASSIGNMENTS = ("__module__", "__name__", "__qualname__", "__doc__")


def update_wrapper(wrapper, wrapped, assigned=WRAPPER_ASSIGNMENTS, updated=()):
    wrapper.__wrapped__ = wrapped
    return wrapper


def wraps(wrapped, assigned=WRAPPER_ASSIGNMENTS, updated=()):
    def decorate(wrapper):
        return update_wrapper(wrapper, wrapped, assigned, updated)

    return decorate


class _CacheInfo(tuple):
    @property
    def hits(self):
        return self[0]

    @property
    def misses(self):
        return self[1]

    @property
    def maxsize(self):
        return self[2]

    @property
    def currsize(self):
        return self[3]

    def __repr__(self):
        return "CacheInfo(hits=%r, misses=%r, maxsize=%r, currsize=%r)" % (
            self[0],
            self[1],
            self[2],
            self[3],
        )


class _LruWrapper:
    def __init__(self, func, maxsize):
        self.__wrapped__ = func
        self._func = func
        self._maxsize = maxsize
        self._cache = {}
        self._hits = 0
        self._misses = 0

    def __call__(self, *args, **kwargs):
        key = args
        if kwargs:
            key = args + (_kwmark,) + tuple(kwargs.items())
        if key in self._cache:
            self._hits += 1
            value = self._cache.pop(key)
            self._cache[key] = value
            return value
        self._misses += 1
        value = self._func(*args, **kwargs)
        if self._maxsize is None or self._maxsize > 0:
            self._cache[key] = value
            if self._maxsize is not None and len(self._cache) > self._maxsize:
                oldest = next(iter(self._cache))
                del self._cache[oldest]
        return value

    def cache_info(self):
        return _CacheInfo((self._hits, self._misses, self._maxsize, len(self._cache)))

    def cache_clear(self):
        self._cache.clear()
        self._hits = 0
        self._misses = 0


_kwmark = object()


def lru_cache(maxsize=128, typed=False):
    if callable(maxsize) and not isinstance(maxsize, int):
        return _LruWrapper(maxsize, 128)
    if maxsize is not None and maxsize < 0:
        maxsize = 0

    def decorating_function(user_function):
        return _LruWrapper(user_function, maxsize)

    return decorating_function


def cache(user_function):
    return _LruWrapper(user_function, None)
