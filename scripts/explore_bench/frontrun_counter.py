"""The counter of gilsim's explore benchmark, as a frontrun DPOR test: THREADS workers each
add 1 to a shared attribute ITERATIONS times; every interleaving is explored (no preemption
bound, no stop at the first failure). Usage: frontrun python frontrun_counter.py THREADS ITERATIONS"""
import sys
import frontrun

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
ITERATIONS = int(sys.argv[2]) if len(sys.argv) > 2 else 3


class Counter:
    def __init__(self):
        self.value = 0


def worker(c):
    for _ in range(ITERATIONS):
        c.value += 1


result = frontrun.explore(
    setup=Counter,
    workers=[worker] * THREADS,
    invariant=lambda c: c.value == THREADS * ITERATIONS,
    preemption_bound=None,
    stop_on_first=False,
    max_executions=None,
    max_branches=10_000_000,
    detect_io=False,
)
print(type(result).__name__, {k: v for k, v in vars(result).items() if not k.startswith("_") and not isinstance(v, (list, dict))} if hasattr(result, "__dict__") else result)
