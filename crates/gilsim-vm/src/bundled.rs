//! Modules written in Python and compiled by gilsim itself, as CPython's are: `threading` and
//! the simulated `requests`. Their check points come from their own bytecode.

/// The source of a bundled module.
#[must_use]
pub fn source(name: &str) -> Option<&'static str> {
    match name {
        "threading" => Some(THREADING),
        "requests" => Some(REQUESTS),
        "queue" => Some(QUEUE),
        "concurrent.futures" => Some(FUTURES),
        "concurrent" => Some("\n"),
        "logging" => Some(LOGGING),
        _ => None,
    }
}

/// Every bundled module by name (with [`source`] for each): what the exploration's
/// attribute analysis reads, since any of them may be imported later in a run.
pub const ALL: &[&str] = &[
    "threading",
    "requests",
    "queue",
    "concurrent.futures",
    "logging",
];

/// Modules a scenario may import that gilsim does not simulate yet.
#[must_use]
pub fn planned(name: &str) -> bool {
    matches!(name, "queue" | "concurrent" | "concurrent.futures")
}

const THREADING: &str = r#"import _gilsim_thread as _thread
from time import monotonic as _time

Lock = _thread.allocate_lock
RLock = _thread.RLock
_allocate_lock = _thread.allocate_lock


class Condition:
    def __init__(self, lock=None):
        if lock is None:
            lock = RLock()
        self._lock = lock
        self.acquire = lock.acquire
        self.release = lock.release
        self._waiters = []

    def __enter__(self):
        return self._lock.__enter__()

    def __exit__(self, *args):
        return self._lock.__exit__(*args)

    def wait(self, timeout=None):
        if not _thread.is_owned(self._lock):
            raise RuntimeError("cannot wait on un-acquired lock")
        waiter = _allocate_lock()
        waiter.acquire()
        self._waiters.append(waiter)
        saved_state = _thread.release_save(self._lock)
        gotit = False
        try:
            if timeout is None:
                waiter.acquire()
                gotit = True
            else:
                if timeout > 0:
                    gotit = waiter.acquire(True, timeout)
                else:
                    gotit = waiter.acquire(False)
            return gotit
        finally:
            _thread.acquire_restore(self._lock, saved_state)
            if not gotit:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def wait_for(self, predicate, timeout=None):
        endtime = None
        waittime = timeout
        result = predicate()
        while not result:
            if waittime is not None:
                if endtime is None:
                    endtime = _time() + waittime
                else:
                    waittime = endtime - _time()
                    if waittime <= 0:
                        break
            self.wait(waittime)
            result = predicate()
        return result

    def notify(self, n=1):
        if not _thread.is_owned(self._lock):
            raise RuntimeError("cannot notify on un-acquired lock")
        waiters_to_notify = self._waiters[:n]
        for waiter in waiters_to_notify:
            waiter.release()
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def notify_all(self):
        self.notify(len(self._waiters))


class Semaphore:
    def __init__(self, value=1):
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._cond = Condition(Lock())
        self._value = value

    def acquire(self, blocking=True, timeout=None):
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        rc = False
        endtime = None
        with self._cond:
            while self._value == 0:
                if not blocking:
                    break
                if timeout is not None:
                    if endtime is None:
                        endtime = _time() + timeout
                    else:
                        timeout = endtime - _time()
                        if timeout <= 0:
                            break
                self._cond.wait(timeout)
            else:
                self._value -= 1
                rc = True
        return rc

    def __enter__(self):
        return self.acquire()

    def release(self, n=1):
        if n < 1:
            raise ValueError("n must be one or more")
        with self._cond:
            self._value += n
            for i in range(n):
                self._cond.notify()

    def __exit__(self, t, v, tb):
        self.release()


class BoundedSemaphore(Semaphore):
    def __init__(self, value=1):
        Semaphore.__init__(self, value)
        self._initial_value = value

    def release(self, n=1):
        if n < 1:
            raise ValueError("n must be one or more")
        with self._cond:
            if self._value + n > self._initial_value:
                raise ValueError("Semaphore released too many times")
            self._value += n
            for i in range(n):
                self._cond.notify()


class Event:
    def __init__(self):
        self._cond = Condition(Lock())
        self._flag = False

    def is_set(self):
        return self._flag

    def set(self):
        with self._cond:
            self._flag = True
            self._cond.notify_all()

    def clear(self):
        with self._cond:
            self._flag = False

    def wait(self, timeout=None):
        with self._cond:
            signaled = self._flag
            if not signaled:
                signaled = self._cond.wait(timeout)
            return signaled


class BrokenBarrierError(RuntimeError):
    pass


class Barrier:
    def __init__(self, parties, action=None, timeout=None):
        self._cond = Condition(Lock())
        self._action = action
        self._timeout = timeout
        self.parties = parties
        self._state = 0
        self._count = 0

    def wait(self, timeout=None):
        if timeout is None:
            timeout = self._timeout
        with self._cond:
            self._enter()
            index = self._count
            self._count += 1
            try:
                if index + 1 == self.parties:
                    self._release()
                else:
                    self._wait(timeout)
                return index
            finally:
                self._count -= 1
                self._exit()

    def _enter(self):
        while self._state in (-1, 1):
            self._cond.wait()
        if self._state < 0:
            raise BrokenBarrierError

    def _release(self):
        try:
            if self._action:
                self._action()
            self._state = 1
            self._cond.notify_all()
        except BaseException:
            self._break()
            raise

    def _wait(self, timeout):
        if not self._cond.wait_for(lambda: self._state != 0, timeout):
            self._break()
            raise BrokenBarrierError
        if self._state < 0:
            raise BrokenBarrierError

    def _exit(self):
        if self._count == 0:
            if self._state in (-1, 1):
                self._state = 0
                self._cond.notify_all()

    def _break(self):
        self._state = -2
        self._cond.notify_all()

    def abort(self):
        with self._cond:
            self._break()

    @property
    def n_waiting(self):
        if self._state == 0:
            return self._count
        return 0

    @property
    def broken(self):
        return self._state == -2


class Thread:
    def __init__(self, group=None, target=None, name=None, args=(), kwargs=None, *, daemon=None):
        self._target = target
        self._args = args
        self._kwargs = {} if kwargs is None else kwargs
        self._ident = _thread.new_ident(self)
        if name is None:
            name = _thread.default_name(self._ident, target)
        self.name = name
        self.daemon = bool(daemon)
        self._started = False

    def start(self):
        if self._started:
            raise RuntimeError("threads can only be started once")
        self._started = True
        _thread.start(self._ident, self._bootstrap_inner, self.name, self.daemon)

    @property
    def ident(self):
        # As in CPython: None until the thread has started.
        if self._started:
            return self._ident
        return None

    def _bootstrap_inner(self):
        try:
            self.run()
        except SystemExit:
            pass
        except BaseException as e:
            _thread.excepthook(self.name, e)

    def run(self):
        if self._target is not None:
            self._target(*self._args, **self._kwargs)

    def join(self, timeout=None):
        if not self._started:
            raise RuntimeError("cannot join thread before it is started")
        _thread.join(self._ident, timeout)

    def is_alive(self):
        return _thread.is_alive(self._ident)

    def getName(self):
        return self.name

    def setName(self, name):
        self.name = name


class _MainThread(Thread):
    def __init__(self):
        self._target = None
        self._args = ()
        self._kwargs = {}
        self._ident = 0
        self.name = "MainThread"
        self.daemon = False
        self._started = True


_main_thread = _MainThread()
_thread.register_main(_main_thread)


def current_thread():
    return _thread.current()


def main_thread():
    return _main_thread


def get_ident():
    return _thread.get_ident()


def active_count():
    return _thread.active_count()
"#;

const REQUESTS: &str = r#"import _gilsim_io


class HTTPError(Exception):
    pass


class Response:
    def __init__(self, url, status_code, elapsed):
        self.url = url
        self.status_code = status_code
        self.ok = status_code < 400
        self.elapsed = elapsed
        self.text = f"simulated response from {url}"

    def json(self):
        return {"url": self.url, "status": self.status_code}

    def raise_for_status(self):
        if not self.ok:
            raise HTTPError(f"{self.status_code} Error for url: {self.url}")


def get(url, params=None, timeout=None, **kwargs):
    status, elapsed = _gilsim_io.http_get(url)
    return Response(url, status, elapsed)
"#;

const QUEUE: &str = r#"import threading
from time import monotonic as time


class Empty(Exception):
    pass


class Full(Exception):
    pass


class Queue:
    def __init__(self, maxsize=0):
        self.maxsize = maxsize
        self.queue = []
        self.mutex = threading.Lock()
        self.not_empty = threading.Condition(self.mutex)
        self.not_full = threading.Condition(self.mutex)
        self.all_tasks_done = threading.Condition(self.mutex)
        self.unfinished_tasks = 0

    def task_done(self):
        with self.all_tasks_done:
            unfinished = self.unfinished_tasks - 1
            if unfinished <= 0:
                if unfinished < 0:
                    raise ValueError("task_done() called too many times")
                self.all_tasks_done.notify_all()
            self.unfinished_tasks = unfinished

    def join(self):
        with self.all_tasks_done:
            while self.unfinished_tasks:
                self.all_tasks_done.wait()

    def qsize(self):
        with self.mutex:
            return len(self.queue)

    def empty(self):
        with self.mutex:
            return not len(self.queue)

    def full(self):
        with self.mutex:
            return 0 < self.maxsize <= len(self.queue)

    def put(self, item, block=True, timeout=None):
        with self.not_full:
            if self.maxsize > 0:
                if not block:
                    if len(self.queue) >= self.maxsize:
                        raise Full
                elif timeout is None:
                    while len(self.queue) >= self.maxsize:
                        self.not_full.wait()
                elif timeout < 0:
                    raise ValueError("'timeout' must be a non-negative number")
                else:
                    endtime = time() + timeout
                    while len(self.queue) >= self.maxsize:
                        remaining = endtime - time()
                        if remaining <= 0.0:
                            raise Full
                        self.not_full.wait(remaining)
            self.queue.append(item)
            self.unfinished_tasks += 1
            self.not_empty.notify()

    def get(self, block=True, timeout=None):
        with self.not_empty:
            if not block:
                if not len(self.queue):
                    raise Empty
            elif timeout is None:
                while not len(self.queue):
                    self.not_empty.wait()
            elif timeout < 0:
                raise ValueError("'timeout' must be a non-negative number")
            else:
                endtime = time() + timeout
                while not len(self.queue):
                    remaining = endtime - time()
                    if remaining <= 0.0:
                        raise Empty
                    self.not_empty.wait(remaining)
            item = self.queue.pop(0)
            self.not_full.notify()
            return item

    def put_nowait(self, item):
        return self.put(item, block=False)

    def get_nowait(self):
        return self.get(block=False)
"#;

const FUTURES: &str = r#"import threading
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
"#;

const LOGGING: &str = r#"import sys
import time
import threading
import _gilsim_io

CRITICAL = 50
FATAL = CRITICAL
ERROR = 40
WARNING = 30
WARN = WARNING
INFO = 20
DEBUG = 10
NOTSET = 0

_levelToName = {CRITICAL: "CRITICAL", ERROR: "ERROR", WARNING: "WARNING", INFO: "INFO", DEBUG: "DEBUG", NOTSET: "NOTSET"}
_nameToLevel = {"CRITICAL": CRITICAL, "FATAL": FATAL, "ERROR": ERROR, "WARN": WARNING, "WARNING": WARNING, "INFO": INFO, "DEBUG": DEBUG, "NOTSET": NOTSET}

BASIC_FORMAT = "%(levelname)s:%(name)s:%(message)s"
_FIELDS = ["name", "msg", "args", "levelname", "levelno", "message", "asctime", "created", "msecs", "relativeCreated", "thread", "threadName"]
_startTime = time.time()
_lock = threading.RLock()


def getLevelName(level):
    result = _levelToName.get(level)
    if result is not None:
        return result
    result = _nameToLevel.get(level)
    if result is not None:
        return result
    return "Level %s" % level


def _checkLevel(level):
    if isinstance(level, int):
        return level
    if str(level) == level:
        if level not in _nameToLevel:
            raise ValueError("Unknown level: %r" % level)
        return _nameToLevel[level]
    raise TypeError("Level not an integer or a valid string: %r" % level)


def _check_format(fmt):
    # Every %(field) must be one gilsim fills in; others are refused, located at the caller.
    rest = fmt
    while "%(" in rest:
        rest = rest[rest.find("%(") + 2:]
        end = rest.find(")")
        if end < 0:
            break
        field = rest[:end]
        if field not in _FIELDS:
            _gilsim_io.refuse("the logging format field %(" + field + ") is not simulated; gilsim fills in name, levelname, levelno, message, asctime, created, msecs, relativeCreated, thread and threadName")


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _civil(t):
    # Seconds since the epoch to (year, month, day, hour, minute, second), in UTC.
    secs = int(t)
    days = secs // 86400
    rem = secs - days * 86400
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    if mp < 10:
        m = mp + 3
    else:
        m = mp - 9
    if m <= 2:
        y += 1
    return (y, m, d, rem // 3600, (rem % 3600) // 60, rem % 60)


def _strftime(datefmt, t):
    y, mo, d, h, mi, s = _civil(t)
    out = ""
    i = 0
    while i < len(datefmt):
        c = datefmt[i]
        if c == "%" and i + 1 < len(datefmt):
            k = datefmt[i + 1]
            i += 2
            if k == "Y":
                out += "%04d" % y
            elif k == "m":
                out += "%02d" % mo
            elif k == "d":
                out += "%02d" % d
            elif k == "H":
                out += "%02d" % h
            elif k == "M":
                out += "%02d" % mi
            elif k == "S":
                out += "%02d" % s
            elif k == "y":
                out += "%02d" % (y % 100)
            elif k == "b":
                out += _MONTHS[mo - 1]
            elif k == "%":
                out += "%"
            else:
                _gilsim_io.refuse("the date format %" + k + " is not simulated in logging's datefmt; use %Y %m %d %H %M %S %y %b")
        else:
            out += c
            i += 1
    return out


class Formatter:
    def __init__(self, fmt=None, datefmt=None, style="%"):
        if style != "%":
            _gilsim_io.refuse("logging formats with style='" + style + "' are not simulated; use %(name)s fields")
        if fmt is None:
            fmt = "%(message)s"
        _check_format(fmt)
        self._fmt = fmt
        self.datefmt = datefmt

    def formatTime(self, record, datefmt=None):
        if datefmt:
            return _strftime(datefmt, record["created"])
        return "%s,%03d" % (_strftime("%Y-%m-%d %H:%M:%S", record["created"]), record["msecs"])

    def format(self, record):
        msg = str(record["msg"])
        args = record["args"]
        if args:
            msg = msg % args
        record["message"] = msg
        if "%(asctime)" in self._fmt:
            record["asctime"] = self.formatTime(record, self.datefmt)
        return self._fmt % record


class Handler:
    def __init__(self, level=NOTSET):
        self.level = _checkLevel(level)
        self.formatter = None
        self.lock = threading.RLock()

    def setLevel(self, level):
        self.level = _checkLevel(level)

    def setFormatter(self, fmt):
        self.formatter = fmt

    def format(self, record):
        fmt = self.formatter
        if fmt is None:
            fmt = _defaultFormatter
        return fmt.format(record)

    def handle(self, record):
        with self.lock:
            self.emit(record)


class StreamHandler(Handler):
    def __init__(self, stream=None):
        Handler.__init__(self)
        if stream is None:
            stream = sys.stderr
        self.stream = stream

    def emit(self, record):
        msg = self.format(record)
        print(msg, file=self.stream)


class Logger:
    def __init__(self, name, level=NOTSET):
        self.name = name
        self.level = _checkLevel(level)
        self.parent = None
        self.propagate = True
        self.handlers = []
        self.disabled = False

    def setLevel(self, level):
        self.level = _checkLevel(level)

    def getEffectiveLevel(self):
        logger = self
        while logger:
            if logger.level:
                return logger.level
            logger = logger.parent
        return NOTSET

    def isEnabledFor(self, level):
        return level >= self.getEffectiveLevel()

    def addHandler(self, hdlr):
        if hdlr not in self.handlers:
            self.handlers.append(hdlr)

    def removeHandler(self, hdlr):
        if hdlr in self.handlers:
            self.handlers.remove(hdlr)

    def hasHandlers(self):
        c = self
        while c:
            if c.handlers:
                return True
            if not c.propagate:
                return False
            c = c.parent
        return False

    def debug(self, msg, *args):
        if self.isEnabledFor(DEBUG):
            self._log(DEBUG, msg, args)

    def info(self, msg, *args):
        if self.isEnabledFor(INFO):
            self._log(INFO, msg, args)

    def warning(self, msg, *args):
        if self.isEnabledFor(WARNING):
            self._log(WARNING, msg, args)

    def warn(self, msg, *args):
        self.warning(msg, *args)

    def error(self, msg, *args):
        if self.isEnabledFor(ERROR):
            self._log(ERROR, msg, args)

    def critical(self, msg, *args):
        if self.isEnabledFor(CRITICAL):
            self._log(CRITICAL, msg, args)

    fatal = critical

    def log(self, level, msg, *args):
        if not isinstance(level, int):
            raise TypeError("level must be an integer")
        if self.isEnabledFor(level):
            self._log(level, msg, args)

    def _log(self, level, msg, args):
        if len(args) == 1 and isinstance(args[0], dict) and args[0]:
            args = args[0]
        ct = time.time()
        record = {
            "name": self.name,
            "msg": msg,
            "args": args,
            "levelname": getLevelName(level),
            "levelno": level,
            "created": ct,
            "msecs": (ct - int(ct)) * 1000,
            "relativeCreated": (ct - _startTime) * 1000,
            "thread": threading.get_ident(),
            "threadName": threading.current_thread().name,
        }
        found = 0
        c = self
        while c:
            for hdlr in c.handlers:
                found = found + 1
                if level >= hdlr.level:
                    hdlr.handle(record)
            if not c.propagate:
                c = None
            else:
                c = c.parent
        if found == 0 and level >= lastResort.level:
            lastResort.handle(record)


_defaultFormatter = Formatter()
lastResort = StreamHandler()
lastResort.level = WARNING
root = Logger("root", WARNING)
_loggers = {}


def getLogger(name=None):
    if not name or name == "root":
        return root
    with _lock:
        logger = _loggers.get(name)
        if logger is None:
            logger = Logger(name)
            _loggers[name] = logger
            # The nearest existing ancestor ("a" for "a.b") is the parent; else the root.
            parent = root
            prefix = name
            while "." in prefix:
                prefix = ".".join(prefix.split(".")[:-1])
                if prefix in _loggers:
                    parent = _loggers[prefix]
                    break
            logger.parent = parent
            for other in _loggers.values():
                if other.name.startswith(name + ".") and (other.parent is root or len(other.parent.name) < len(name)):
                    other.parent = logger
        return logger


def basicConfig(**kwargs):
    with _lock:
        force = kwargs.pop("force", False)
        if force:
            root.handlers = []
        if len(root.handlers) == 0:
            for key in ["filename", "filemode", "handlers"]:
                if key in kwargs:
                    _gilsim_io.refuse("logging.basicConfig(" + key + "=...) is not simulated: a scenario never writes files; logging goes to stderr")
            stream = kwargs.pop("stream", None)
            h = StreamHandler(stream)
            fs = kwargs.pop("format", BASIC_FORMAT)
            dfs = kwargs.pop("datefmt", None)
            style = kwargs.pop("style", "%")
            h.setFormatter(Formatter(fs, dfs, style))
            root.addHandler(h)
            level = kwargs.pop("level", None)
            if level is not None:
                root.setLevel(level)
            if kwargs:
                keys = ", ".join(kwargs.keys())
                raise ValueError("Unrecognised argument(s): %s" % keys)


def debug(msg, *args):
    if len(root.handlers) == 0:
        basicConfig()
    root.debug(msg, *args)


def info(msg, *args):
    if len(root.handlers) == 0:
        basicConfig()
    root.info(msg, *args)


def warning(msg, *args):
    if len(root.handlers) == 0:
        basicConfig()
    root.warning(msg, *args)


def warn(msg, *args):
    warning(msg, *args)


def error(msg, *args):
    if len(root.handlers) == 0:
        basicConfig()
    root.error(msg, *args)


def critical(msg, *args):
    if len(root.handlers) == 0:
        basicConfig()
    root.critical(msg, *args)


fatal = critical


def log(level, msg, *args):
    if len(root.handlers) == 0:
        basicConfig()
    root.log(level, msg, *args)
"#;

/// Python versions of the builtins that consume an iterable, used when the iterable is a
/// generator (its frames must run on the machine like any other Python code). Only `def`s: the
/// machine builds the functions without running a module body. Every parameter is passed.
pub const BUILTINS_HELPERS: &str = r#"def _list(iterable):
    out = []
    for x in iterable:
        out.append(x)
    return out


def _tuple(iterable):
    return tuple(_list(iterable))


def _set(iterable):
    return set(_list(iterable))


def _dict(iterable):
    return dict(_list(iterable))


def _sum(iterable, start):
    total = start
    for x in iterable:
        total = total + x
    return total


def _min(iterable):
    first = True
    best = None
    for x in iterable:
        if first or x < best:
            best = x
            first = False
    if first:
        raise ValueError("min() arg is an empty sequence")
    return best


def _max(iterable):
    first = True
    best = None
    for x in iterable:
        if first or x > best:
            best = x
            first = False
    if first:
        raise ValueError("max() arg is an empty sequence")
    return best


def _any(iterable):
    for x in iterable:
        if x:
            return True
    return False


def _all(iterable):
    for x in iterable:
        if not x:
            return False
    return True


def _sorted(iterable, reverse):
    out = _list(iterable)
    out.sort(reverse=reverse)
    return out


def _keyed(iterable, key, reverse):
    # Decorate with the position so that items are never compared and equal keys keep their
    # order, also under reverse (CPython's sort is stable both ways).
    decorated = []
    i = 0
    for x in iterable:
        if reverse:
            decorated.append((key(x), -i, x))
        else:
            decorated.append((key(x), i, x))
        i += 1
    decorated.sort(reverse=reverse)
    out = []
    for d in decorated:
        out.append(d[2])
    return out


def _sort_key(target, key, reverse):
    target[:] = _keyed(target, key, reverse)


def _min_key(iterable, key, default, has_default):
    first = True
    best = None
    best_key = None
    for x in iterable:
        k = key(x)
        if first or k < best_key:
            best = x
            best_key = k
            first = False
    if first:
        if has_default:
            return default
        raise ValueError("min() arg is an empty sequence")
    return best


def _max_key(iterable, key, default, has_default):
    first = True
    best = None
    best_key = None
    for x in iterable:
        k = key(x)
        if first or k > best_key:
            best = x
            best_key = k
            first = False
    if first:
        if has_default:
            return default
        raise ValueError("max() arg is an empty sequence")
    return best


def _user_iter(iterator):
    # A user class's iterator in a for loop: its StopIteration ends the loop.
    while True:
        try:
            x = iterator.__next__()
        except StopIteration:
            return
        yield x


def _print(args, sep, end, file):
    parts = []
    for a in args:
        parts.append(str(a))
    print(*parts, sep=sep, end=end, file=file)


def _join(sep, iterable):
    return sep.join(_list(iterable))


def _extend(target, iterable):
    for x in iterable:
        target.append(x)


def _enumerate(iterable, start):
    n = start
    for x in iterable:
        yield (n, x)
        n += 1


def _zip(iterables):
    its = [iter(x) for x in iterables]
    while True:
        item = []
        for it in its:
            for v in it:
                item.append(v)
                break
            else:
                return
        yield tuple(item)


def _next(iterator, default, has_default):
    for x in iterator:
        return x
    if has_default:
        return default
    value = _returned(iterator)
    if value is None:
        raise StopIteration
    raise StopIteration(value)
"#;
