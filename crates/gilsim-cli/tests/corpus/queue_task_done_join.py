# corpus: exact
# Workers drain a Queue and call task_done; the main thread waits with q.join().
import queue
import threading

q = queue.Queue()
done = []
lock = threading.Lock()


def worker():
    while True:
        item = q.get()
        with lock:
            done.append(item * 10)
        q.task_done()


for _ in range(3):
    threading.Thread(target=worker, daemon=True).start()
for i in range(12):
    q.put(i)
q.join()
print(sorted(done))
print(q.empty(), q.unfinished_tasks)
