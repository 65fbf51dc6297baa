# The low-level `_thread` module (`thread` in Python 2.7) in the shapes old tutorials use:
# start_new_thread, allocate_lock, get_ident. Its threads are daemons: the program ends when
# the main thread does, without waiting for them, as CPython's do.
import threading
import _gilsim_thread

allocate_lock = _gilsim_thread.allocate_lock
allocate = _gilsim_thread.allocate_lock
get_ident = threading.get_ident
get_native_id = threading.get_native_id
LockType = type(allocate_lock())
RLock = _gilsim_thread.RLock
error = RuntimeError
TIMEOUT_MAX = threading.TIMEOUT_MAX

if _gilsim_thread.at_least(3, 8):
    _HEADER = "Exception ignored in thread started by: "
else:
    _HEADER = "Unhandled exception in thread started by "


class _StartedThread(threading.Thread):
    def _bootstrap_inner(self):
        try:
            self.run()
        except SystemExit:
            pass
        except BaseException as e:
            _gilsim_thread.report(_HEADER + repr(self._target), e)


def start_new_thread(function, args, kwargs=None):
    if type(args) is not tuple:
        raise TypeError("2nd arg must be a tuple")
    if kwargs is not None and type(kwargs) is not dict:
        raise TypeError("optional 3rd arg must be a dictionary")
    if not callable(function):
        raise TypeError("first arg must be callable")
    # CPython names such a thread only if it asks threading for itself (a _DummyThread,
    # "Dummy-N", numbered with the Thread-N counter).
    t = _StartedThread(target=function, args=args, kwargs=kwargs, name="", daemon=True)
    t.name = "Dummy-" + _gilsim_thread.default_name(t._ident, None)[7:]
    t.start()
    return t.ident


start_new = start_new_thread


def exit():
    raise SystemExit


exit_thread = exit
