import threading
import queue


class TimeoutError(Exception):
    pass


class Future:
    def __init__(self):
        self._condition = threading.Condition()
        self._state = "PENDING"
        self._result = None
        self._exception = None

    def done(self):
        return self._state == "FINISHED"

    def running(self):
        return self._state == "RUNNING"

    def result(self, timeout=None):
        with self._condition:
            if self._state != "FINISHED":
                self._condition.wait(timeout)
            if self._state != "FINISHED":
                raise TimeoutError()
            if self._exception is not None:
                raise self._exception
            return self._result

    def exception(self, timeout=None):
        with self._condition:
            if self._state != "FINISHED":
                self._condition.wait(timeout)
            if self._state != "FINISHED":
                raise TimeoutError()
            return self._exception

    def set_result(self, result):
        with self._condition:
            self._result = result
            self._state = "FINISHED"
            self._condition.notify_all()

    def set_exception(self, exception):
        with self._condition:
            self._exception = exception
            self._state = "FINISHED"
            self._condition.notify_all()


def _worker(work_queue):
    while True:
        item = work_queue.get()
        if item is None:
            work_queue.put(None)
            return
        future, fn, args, kwargs = item
        future._state = "RUNNING"
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)


_counter = 0


class ThreadPoolExecutor:
    def __init__(self, max_workers=None, thread_name_prefix=""):
        global _counter
        if max_workers is None:
            max_workers = 5
        if max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        self._max_workers = max_workers
        self._work_queue = queue.Queue()
        self._threads = []
        self._shutdown = False
        if not thread_name_prefix:
            thread_name_prefix = f"ThreadPoolExecutor-{_counter}"
            _counter += 1
        self._thread_name_prefix = thread_name_prefix

    def submit(self, fn, *args, **kwargs):
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        f = Future()
        self._work_queue.put((f, fn, args, kwargs))
        self._adjust_thread_count()
        return f

    def _adjust_thread_count(self):
        if len(self._threads) < self._max_workers:
            name = f"{self._thread_name_prefix}_{len(self._threads)}"
            t = threading.Thread(name=name, target=_worker, args=(self._work_queue,))
            t.start()
            self._threads.append(t)

    def map(self, fn, *iterables, timeout=None):
        fs = [self.submit(fn, *args) for args in zip(*iterables)]
        return [f.result(timeout) for f in fs]

    def shutdown(self, wait=True):
        if not self._shutdown:
            self._shutdown = True
            self._work_queue.put(None)
        if wait:
            for t in self._threads:
                t.join()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.shutdown(wait=True)
        return False


def as_completed(fs, timeout=None):
    return [f for f in fs if f.result(timeout) is not None or True]


def wait(fs, timeout=None):
    for f in fs:
        f.exception(timeout)
    return (set(fs), set())
