# corpus: exact
# A bank account shared by depositors and withdrawers, every balance change under one lock.
import threading


class Account:
    def __init__(self, balance):
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        with self.lock:
            self.balance += amount

    def withdraw(self, amount):
        with self.lock:
            if self.balance >= amount:
                self.balance -= amount
                return True
            return False


acct = Account(100)


def saver():
    for _ in range(200):
        acct.deposit(5)


def spender():
    for _ in range(100):
        acct.withdraw(3)


workers = [threading.Thread(target=saver) for _ in range(3)]
workers += [threading.Thread(target=spender) for _ in range(3)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print("final balance:", acct.balance)
