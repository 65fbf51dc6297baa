"""A worker joins a thread the main thread is only about to start: the join raises
RuntimeError if it comes first, else it waits for that thread. It never returns before the
thread has run, so "joined" always comes after "b"."""
import threading

out = []


def fa():
    try:
        tb.join()
        out.append("joined")
    except RuntimeError:
        out.append("not started")


def fb():
    out.append("b")


ta = threading.Thread(target=fa)
tb = threading.Thread(target=fb)
ta.start()
tb.start()
tb.join()
ta.join()
print(out)
