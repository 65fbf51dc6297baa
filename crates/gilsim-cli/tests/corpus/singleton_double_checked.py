# corpus: exact
# A singleton created once under double-checked locking, asked for by many threads.
import threading


class Settings:
    _instance = None
    _lock = threading.Lock()
    created = 0

    @classmethod
    def get(cls):
        if cls._instance is None:
            with cls._lock:
                if cls._instance is None:
                    Settings.created += 1
                    cls._instance = cls()
        return cls._instance


got = []
ts = [threading.Thread(target=lambda: got.append(Settings.get())) for _ in range(6)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(Settings.created, len(got), all(g is got[0] for g in got))
