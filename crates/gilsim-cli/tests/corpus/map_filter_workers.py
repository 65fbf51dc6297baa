# corpus: exact
# map, filter and pow in worker threads, results gathered by index.
import threading

out = [None] * 4


def work(i):
    evens = list(filter(lambda x: x % 2 == 0, range(i * 10, i * 10 + 10)))
    out[i] = sum(map(lambda x: pow(x, 2, 97), evens))


ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(out)
print(list(map(str, [1, 2, 3])), list(iter([3, 2, 1, 0].pop, 2)))
