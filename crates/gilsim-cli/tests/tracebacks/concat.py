# The `+` errors of str, list and tuple, and an index out of range.
results = []
for left, right in [("a", 1), ([1], (2,)), ((1,), [2]), (1, "a")]:
    try:
        results.append(left + right)
    except TypeError as e:
        print(e)
log = "count: "
log += 1
