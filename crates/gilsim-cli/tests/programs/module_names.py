"""Module-level names: `mine` only the module body touches (no switch is needed before its
loads and stores), `flag` a worker reads (a switch must stay possible between its stores,
or the worker could never see 1)."""
import threading

flag = 0
seen = []


def worker():
    seen.append(flag)


t = threading.Thread(target=worker)
t.start()
mine = 5
flag = 1
mine = mine + 1
flag = 2
mine = mine * 2
t.join()
print(seen, mine)
