# A method that raises, called as a statement, in an expression and in a return.
class Account:
    def __init__(self):
        self.balance = 0

    def withdraw(self, amount):
        if amount > self.balance:
            raise ValueError("insufficient funds: " + str(amount))
        self.balance -= amount

    def take(self, amount):
        return self.withdraw(amount)


a = Account()
try:
    a.withdraw(5)
except ValueError as e:
    print(e)
result = a.take(10) or 0
