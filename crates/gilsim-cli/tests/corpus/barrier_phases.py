# corpus: exact
# Workers meet at a barrier between two phases; the action runs once per crossing.
import threading

crossings = []
seen = []
barrier = threading.Barrier(3, action=lambda: crossings.append(len(crossings)))


def runner(name):
    seen.append((1, name))
    barrier.wait()
    seen.append((2, name))
    barrier.wait()
    assert all(p == 2 for p, _ in seen[3:])


ts = [threading.Thread(target=runner, args=("r%d" % i,)) for i in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("crossings", crossings)
print([p for p, _ in seen])
