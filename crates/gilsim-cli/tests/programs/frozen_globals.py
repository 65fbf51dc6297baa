"""Module-level names that readers read: `step` is bound once before any thread starts, so it
keeps its value; `limit` and `flag` are rebound by each round of a loop of the module body
that starts a reader. A reader that sees `flag` still 0 and `limit` already 10 was switched
out between its two reads."""
import threading

step = 1
flag = 0
out = []


def reader():
    out.append((flag, limit * step))


for rnd in range(2):
    limit = rnd * 10
    r = threading.Thread(target=reader)
    r.start()
    flag = rnd + 1
r.join()
print(sorted(out))
