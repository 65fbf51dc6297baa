# corpus: exact
# The docs' shape: a pool maps a CPU function over inputs; results come back in input order.
import concurrent.futures
import math

NUMBERS = [112272535095293, 1099726899285419, 15, 97, 1000003]


def is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    for d in range(3, min(math.isqrt(n), 2000) + 1, 2):
        if n % d == 0:
            return False
    return True


with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
    for number, prime in zip(NUMBERS, pool.map(is_prime, NUMBERS)):
        print("%d is prime: %s" % (number, prime))
