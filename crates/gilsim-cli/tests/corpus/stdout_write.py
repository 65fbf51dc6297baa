# corpus: exact stderr
# sys.stdout.write and flush, print(flush=True), and print to sys.stderr, from worker threads one at a time.
import sys
import threading


def report(n):
    written = sys.stdout.write("worker %d done\n" % n)
    sys.stdout.flush()
    print("wrote", written, "characters", flush=True)
    print("note from", n, file=sys.stderr)


for i in range(3):
    t = threading.Thread(target=report, args=(i,))
    t.start()
    t.join()
print(sys.stdout.write(""), file=sys.stdout)
