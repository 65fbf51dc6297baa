# A comparison between unorderable types, and an unpacking that does not fit.
def smaller(a, b):
    if a < b:
        return a
    return b


try:
    smaller(1, "two")
except TypeError as e:
    print("caught:", e)
pairs = [(1, 2), (3, 4, 5)]
for x, y in pairs:
    print(x + y)
