# An undefined name inside a call, and then as a whole statement.
def show():
    print(undefined_name)


try:
    show()
except NameError as e:
    print("caught:", e)
undefined_name
