# corpus: exact
# A bounded Queue refuses put_nowait when full and get_nowait when empty.
import queue

q = queue.Queue(maxsize=2)
q.put("a")
q.put_nowait("b")
try:
    q.put_nowait("c")
except queue.Full:
    print("full at", q.qsize(), q.full())
print(q.get(), q.get_nowait())
try:
    q.get(timeout=0.01)
except queue.Empty:
    print("empty", q.empty())
