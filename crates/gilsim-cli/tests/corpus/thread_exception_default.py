# corpus: exact
# An exception in a worker is printed and the program goes on; the main thread exits 0.
import threading


def fail():
    raise RuntimeError("worker broke")


t = threading.Thread(target=fail)
t.start()
t.join()
print("main goes on")
