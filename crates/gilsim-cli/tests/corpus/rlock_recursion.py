# corpus: exact
# A recursive function that takes the same RLock at every level.
import threading

lock = threading.RLock()
visited = []


def walk(tree, depth=0):
    with lock:
        visited.append((depth, tree[0]))
        for child in tree[1]:
            walk(child, depth + 1)


TREE = ("root", [("a", [("a1", []), ("a2", [])]), ("b", [])])
ts = [threading.Thread(target=walk, args=(TREE,)) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(len(visited), visited[:5] == visited[5:])
