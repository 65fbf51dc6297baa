# corpus: exact
# A custom threading.excepthook collects what the workers raised.
import threading

errors = []


def hook(args):
    errors.append((args.thread.name, args.exc_type.__name__, str(args.exc_value)))


threading.excepthook = hook


def bad(n):
    if n % 2:
        raise ValueError("odd %d" % n)


threads = [threading.Thread(target=bad, args=(i,), name="w%d" % i) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for e in sorted(errors):
    print(e)
