# corpus: exact
# CPU-bound work split over threads: prime counting with math.isqrt and a sqrt check.
import math
import threading

totals = {}


def count_primes(lo, hi):
    n = 0
    for k in range(max(lo, 2), hi):
        if all(k % d for d in range(2, math.isqrt(k) + 1)):
            n += 1
    totals[lo] = n


ranges = [(0, 500), (500, 1000), (1000, 1500)]
ts = [threading.Thread(target=count_primes, args=r) for r in ranges]
for t in ts:
    t.start()
for t in ts:
    t.join()
print([totals[lo] for lo, _ in ranges], sum(totals.values()))
print(math.factorial(20), math.gcd(84, 36), round(math.sqrt(2), 6), math.floor(-1.5))
