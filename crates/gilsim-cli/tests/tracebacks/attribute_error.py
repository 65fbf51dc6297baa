# A missing attribute and a method call on the wrong type.
class Counter:
    def __init__(self):
        self.value = 0


c = Counter()
total = c.value + c.missing
