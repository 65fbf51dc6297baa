# An operation whose operands span lines, and a keyword call.
def report(name, count=0):
    return name + ": " + count


total = (1 +
         2)
print(total)
text = report("threads",
              count=total)
