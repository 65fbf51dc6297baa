"""Workers that never stop: `while True:` and the step limit.

One thread appends to a list and deletes the item again, forever; another reads
`len(items)` forever and counts how often it saw the item there. Neither ever
finishes, and the main thread waits for them with `join()`, so the program never
ends (under python3 you would press Ctrl-C). gilsim stops it at its step limit
(`--max-steps`, exit code 4) and still prints its report; the list never grows, and
the objects the loops make are collected, so memory stays bounded however long it
runs.

Lesson:
    topic: 13
    shows: step-limit
    run: --max-steps 1000000
    exercise: Add a `stop` flag the main thread sets after `time.sleep(0.01)`, and make the workers loop `while not stop:`. Does the run now finish?
"""
import threading

items = []
seen = [0, 0]


def writer():
    while True:
        items.append(1)
        del items[0]


def reader():
    while True:
        seen[len(items)] += 1


threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
for t in threads:
    t.start()
for t in threads:
    t.join()
