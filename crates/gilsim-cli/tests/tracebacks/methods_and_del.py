# A missing method, a one-letter typo, a del out of range, each in its own thread, and a
# misspelt True.
import threading


class A:
    def m(self):
        return 1


def missing_method():
    A().meth()


def typo():
    print(A().mm())


def delete():
    x = [1]
    del x[5]


for target in (missing_method, typo, delete):
    t = threading.Thread(target=target)
    t.start()
    t.join()
flag = Tru
