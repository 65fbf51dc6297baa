# corpus: exact
# Threads count words into a shared defaultdict(int), each update under a lock.
import threading
from collections import defaultdict, Counter

TEXT = "the quick brown fox jumps over the lazy dog the end"
counts = defaultdict(int)
lock = threading.Lock()


def count_words(words):
    for w in words:
        with lock:
            counts[w] += 1


words = TEXT.split()
chunks = [words[i::3] for i in range(3)]
ts = [threading.Thread(target=count_words, args=(c,)) for c in chunks]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(counts.items()))
print(Counter(words).most_common(1))
print(counts["missing"], len(counts))
