"""Threads whose target is no function of the program's own: `out.append` and `done.set`.
Their only check points are in threading's bootstrap, so there a switch counts."""
import threading

out = []
done = threading.Event()
t = threading.Thread(target=out.append, args=(1,))
e = threading.Thread(target=done.set)
t.start()
e.start()
out.append(2)
seen = done.is_set()
t.join()
e.join()
print(out, seen)
