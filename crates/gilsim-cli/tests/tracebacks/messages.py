# TypeError messages of sequences, indexing and argument counts, caught and printed.
def f():
    pass


def g(a, b=1):
    pass


s = "abc"
k = "x"
cases = [lambda: "a" * s, lambda: [1] * 1.5, lambda: s[k], lambda: [1][k], lambda: (1,)[k],
         lambda: f(1), lambda: g(1, 2, 3), lambda: g(), lambda: s * s]
for c in cases:
    try:
        c()
    except Exception as x:
        print(type(x).__name__, x)
