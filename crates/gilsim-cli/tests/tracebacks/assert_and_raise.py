# A failing assert inside a thread and a raise with a message.
import threading

results = []


def check(n):
    assert n > 0, "n must be positive"
    results.append(n)


t = threading.Thread(target=check, args=(0,))
t.start()
t.join()
raise RuntimeError("stopped after " + str(len(results)) + " results")
