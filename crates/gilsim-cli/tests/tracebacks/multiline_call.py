# A call that spans several lines.
def combine(a, b, c):
    return a + b + c


value = combine(
    1,
    2,
    "three",
)
