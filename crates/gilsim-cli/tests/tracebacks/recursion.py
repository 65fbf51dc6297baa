# Deep recursion: the traceback folds the repeated frames.
def countdown(n):
    if n == 0:
        return {}["end"]
    return countdown(n - 1)


def start():
    result = countdown(6)
    return result


start()
