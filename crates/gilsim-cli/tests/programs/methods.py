"""Method lookups: a worker sets `flag`, then replaces `Greeter.hello`. The main thread reads
`flag`, then calls `g.hello()`: seeing 0 and then "HELLO" needs a switch between the read
and the method's lookup, which the reduction must keep because `hello` is assigned."""
import threading


class Greeter:
    def hello(self):
        return "hello"


def shout(self):
    return "HELLO"


g = Greeter()
flag = 0


def worker():
    global flag
    flag = 1
    Greeter.hello = shout


t = threading.Thread(target=worker)
t.start()
seen = flag
said = g.hello()
t.join()
print(seen, said)
