# A tab-indented line and a call whose arguments span lines.
def f(a, b):
	return a / b


def g():
    return f(1,
             0)


g()
