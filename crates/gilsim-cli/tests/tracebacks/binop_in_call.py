# A division by zero two calls deep, reached through an assignment and a return.
counts = [0]


def other(n):
    x = counts[0] + n / 0
    return x


def middle(n):
    return other(n)


def caller():
    y = middle(1)
    return y


caller()
