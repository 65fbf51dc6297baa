# corpus: exact
# Transfers between accounts lock both, lower id first, so opposite transfers cannot deadlock.
import threading


class Account:
    def __init__(self, ident, balance):
        self.ident = ident
        self.balance = balance
        self.lock = threading.Lock()


def transfer(src, dst, amount):
    first, second = sorted([src, dst], key=lambda a: a.ident)
    with first.lock:
        with second.lock:
            if src.balance >= amount:
                src.balance -= amount
                dst.balance += amount


a = Account(1, 500)
b = Account(2, 500)
ts = []
for _ in range(5):
    ts.append(threading.Thread(target=transfer, args=(a, b, 30)))
    ts.append(threading.Thread(target=transfer, args=(b, a, 20)))
for t in ts:
    t.start()
for t in ts:
    t.join()
print(a.balance, b.balance, a.balance + b.balance)
