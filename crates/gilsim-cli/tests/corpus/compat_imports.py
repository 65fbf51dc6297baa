# corpus: exact
# The Python 2/3 import idiom, and from __future__ import print_function.
from __future__ import print_function

try:
    import queue
except ImportError:
    import Queue as queue
import threading

q = queue.Queue()
threading.Thread(target=q.put, args=("hi",)).start()
print(q.get(), "there", sep=", ")
