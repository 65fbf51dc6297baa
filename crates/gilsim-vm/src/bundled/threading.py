import _gilsim_thread as _thread
from time import monotonic as _time

Lock = _thread.allocate_lock
RLock = _thread.RLock
_allocate_lock = _thread.allocate_lock
get_native_id = _thread.get_native_id
TIMEOUT_MAX = 9223372036.0
ThreadError = RuntimeError


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

    def notifyAll(self):
        _thread.deprecated("notifyAll() is deprecated, use notify_all() instead")
        self.notify_all()


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

    def isSet(self):
        _thread.deprecated("isSet() is deprecated, use is_set() instead")
        return self.is_set()

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

    def reset(self):
        with self._cond:
            if self._count > 0:
                if self._state == 0:
                    self._state = -1
                elif self._state == -2:
                    self._state = -1
            else:
                self._state = 0
            self._cond.notify_all()

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
        if daemon is None:
            daemon = current_thread().daemon
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
            return _thread.ident_of(self._ident)
        return None

    @property
    def native_id(self):
        if self._started:
            return _thread.native_id(self._ident)
        return None

    def _bootstrap_inner(self):
        try:
            self.run()
        except SystemExit:
            pass
        except BaseException as e:
            _invoke_excepthook(self, e)

    def run(self):
        if self._target is not None:
            self._target(*self._args, **self._kwargs)

    def join(self, timeout=None):
        if not self._started:
            raise RuntimeError("cannot join thread before it is started")
        _thread.join(self._ident, timeout)

    def is_alive(self):
        return _thread.is_alive(self._ident)

    def isDaemon(self):
        _thread.deprecated("isDaemon() is deprecated, get the daemon attribute instead")
        return self.daemon

    def setDaemon(self, daemonic):
        _thread.deprecated("setDaemon() is deprecated, set the daemon attribute instead")
        if self._started:
            raise RuntimeError("cannot set daemon status of active thread")
        self.daemon = daemonic

    def getName(self):
        _thread.deprecated("getName() is deprecated, get the name attribute instead")
        return self.name

    def setName(self, name):
        _thread.deprecated("setName() is deprecated, set the name attribute instead")
        self.name = str(name)


class Timer(Thread):
    def __init__(self, interval, function, args=None, kwargs=None):
        Thread.__init__(self)
        self.interval = interval
        self.function = function
        self.args = args if args is not None else []
        self.kwargs = kwargs if kwargs is not None else {}
        self.finished = Event()

    def cancel(self):
        self.finished.set()

    def run(self):
        self.finished.wait(self.interval)
        if not self.finished.is_set():
            self.function(*self.args, **self.kwargs)
        self.finished.set()


class ExceptHookArgs:
    def __init__(self, exc_type, exc_value, exc_traceback, thread):
        self.exc_type = exc_type
        self.exc_value = exc_value
        self.exc_traceback = exc_traceback
        self.thread = thread

    def __iter__(self):
        return iter((self.exc_type, self.exc_value, self.exc_traceback, self.thread))


def excepthook(args):
    if args.exc_type is SystemExit:
        return
    if args.thread is not None:
        name = args.thread.name
    else:
        name = get_ident()
    _thread.excepthook(name, args.exc_value)


__excepthook__ = excepthook


def _invoke_excepthook(thread, exc):
    hook = excepthook
    if hook is __excepthook__:
        _thread.excepthook(thread.name, exc)
        return
    try:
        hook(ExceptHookArgs(type(exc), exc, None, thread))
    except Exception as hook_exc:
        _thread.excepthook(thread.name, hook_exc)


class _MainThread(Thread):
    def __init__(self):
        self._target = None
        self._args = ()
        self._kwargs = {}
        self._ident = 0
        self.name = "MainThread"
        self.daemon = False
        self._started = True


class local:
    # One attribute dict per thread: the machine keeps them (see _gilsim_thread.register_local).
    pass


_thread.register_local(local)

_main_thread = _MainThread()
_thread.register_main(_main_thread)


def current_thread():
    return _thread.current()


def currentThread():
    _thread.deprecated("currentThread() is deprecated, use current_thread() instead")
    return current_thread()


def main_thread():
    return _main_thread


def get_ident():
    return _thread.get_ident()


def active_count():
    return _thread.active_count()


def activeCount():
    _thread.deprecated("activeCount() is deprecated, use active_count() instead")
    return active_count()


def enumerate():
    return _thread.enumerate()


_threading_atexits = []


def _register_atexit(func, *arg, **kwargs):
    _threading_atexits.append((func, arg, kwargs))


def _shutdown():
    # What the interpreter runs when the main thread ends: the exit hooks (an executor
    # joining its workers), last registered first.
    while _threading_atexits:
        func, arg, kwargs = _threading_atexits.pop()
        func(*arg, **kwargs)
