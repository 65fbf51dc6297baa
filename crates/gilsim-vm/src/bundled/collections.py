# collections in the shapes threading programs use: deque, Counter, defaultdict, OrderedDict.
# CPython writes deque in C; here each method's change to the items is one list operation
# (one atomic step under the GIL, as the C method is), so append and popleft from several
# threads never corrupt it. A bounded deque (maxlen) trims in a second step.
import _gilsim_thread


class deque:
    def __init__(self, iterable=(), maxlen=None):
        if maxlen is not None and maxlen < 0:
            raise ValueError("maxlen must be non-negative")
        self._items = list(iterable)
        self._maxlen = maxlen
        if maxlen is not None:
            while len(self._items) > maxlen:
                self._items.pop(0)

    @property
    def maxlen(self):
        return self._maxlen

    def _trim_left(self):
        if self._maxlen is not None and len(self._items) > self._maxlen:
            self._items.pop(0)

    def _trim_right(self):
        if self._maxlen is not None and len(self._items) > self._maxlen:
            self._items.pop()

    def append(self, x):
        self._items.append(x)
        self._trim_left()

    def appendleft(self, x):
        self._items.insert(0, x)
        self._trim_right()

    def pop(self):
        try:
            return self._items.pop()
        except IndexError:
            raise IndexError("pop from an empty deque") from None

    def popleft(self):
        try:
            return self._items.pop(0)
        except IndexError:
            raise IndexError("pop from an empty deque") from None

    def extend(self, iterable):
        for x in list(iterable):
            self.append(x)

    def extendleft(self, iterable):
        for x in list(iterable):
            self.appendleft(x)

    def clear(self):
        self._items.clear()

    def copy(self):
        return deque(self._items, self._maxlen)

    def count(self, x):
        return self._items.count(x)

    def index(self, x):
        return self._items.index(x)

    def insert(self, i, x):
        if self._maxlen is not None and len(self._items) >= self._maxlen:
            raise IndexError("deque already at its maximum size")
        self._items.insert(i, x)

    def remove(self, value):
        try:
            self._items.remove(value)
        except ValueError:
            raise ValueError("deque.remove(x): x not in deque") from None

    def reverse(self):
        self._items.reverse()

    def rotate(self, n=1):
        size = len(self._items)
        if size:
            n = n % size
            if n:
                self._items[:] = self._items[-n:] + self._items[:-n]

    def __len__(self):
        return len(self._items)

    def __bool__(self):
        return len(self._items) > 0

    def __iter__(self):
        return iter(list(self._items))

    def __contains__(self, x):
        return x in self._items

    def __getitem__(self, i):
        try:
            return self._items[i]
        except IndexError:
            raise IndexError("deque index out of range") from None

    def __setitem__(self, i, x):
        self._items[i] = x

    def __eq__(self, other):
        if isinstance(other, deque):
            return self._items == other._items
        return NotImplemented

    def __repr__(self):
        if self._maxlen is None:
            return "deque(%r)" % (self._items,)
        return "deque(%r, maxlen=%d)" % (self._items, self._maxlen)


class defaultdict(dict):
    def __init__(self, default_factory=None, *args, **kwargs):
        if default_factory is not None and not callable(default_factory):
            raise TypeError("first argument must be callable or None")
        self.default_factory = default_factory
        for k, v in dict(*args, **kwargs).items():
            self[k] = v

    def __missing__(self, key):
        if self.default_factory is None:
            raise KeyError(key)
        value = self.default_factory()
        self[key] = value
        return value

    def __repr__(self):
        return "defaultdict(%r, %r)" % (self.default_factory, dict(self))


class Counter(dict):
    def __init__(self, iterable=None, **kwds):
        self.update(iterable, **kwds)

    def __missing__(self, key):
        return 0

    def update(self, iterable=None, **kwds):
        if iterable is not None:
            if isinstance(iterable, dict):
                for elem, count in iterable.items():
                    self[elem] = self[elem] + count
            else:
                for elem in iterable:
                    self[elem] = self[elem] + 1
        for elem, count in kwds.items():
            self[elem] = self[elem] + count

    def subtract(self, iterable=None, **kwds):
        if iterable is not None:
            if isinstance(iterable, dict):
                for elem, count in iterable.items():
                    self[elem] = self[elem] - count
            else:
                for elem in iterable:
                    self[elem] = self[elem] - 1
        for elem, count in kwds.items():
            self[elem] = self[elem] - count

    def most_common(self, n=None):
        ranked = sorted(self.items(), key=_count_of, reverse=True)
        if n is None:
            return ranked
        return ranked[:n]

    def elements(self):
        out = []
        for elem, count in self.items():
            for _ in range(count):
                out.append(elem)
        return iter(out)

    def total(self):
        return sum(self.values())

    def __repr__(self):
        if not self:
            return "Counter()"
        parts = []
        for elem, count in self.most_common():
            parts.append("%r: %r" % (elem, count))
        return "Counter({" + ", ".join(parts) + "})"


def _count_of(item):
    return item[1]


class OrderedDict(dict):
    def move_to_end(self, key, last=True):
        value = self.pop(key)
        if last:
            self[key] = value
        else:
            rest = list(self.items())
            self.clear()
            self[key] = value
            for k, v in rest:
                self[k] = v

    def popitem(self, last=True):
        if not self:
            raise KeyError("dictionary is empty")
        keys = list(self.keys())
        key = keys[-1] if last else keys[0]
        return (key, self.pop(key))

    def __repr__(self):
        if not self:
            return "OrderedDict()"
        if _gilsim_thread.at_least(3, 12):
            return "OrderedDict(%r)" % (dict(self),)
        return "OrderedDict(%r)" % (list(self.items()),)
