# A module used without its import, and an attribute looked up on a class.
class Job:
    retries = 3


try:
    print(Job.retrys)
except AttributeError as e:
    print("caught:", e)
start = time.time()
