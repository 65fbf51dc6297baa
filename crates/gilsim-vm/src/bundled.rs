//! Modules written in Python and compiled by gilsim itself, as CPython's are: `threading` and
//! the simulated `requests`. Their check points come from their own bytecode.

/// The source of a bundled module.
#[must_use]
pub fn source(name: &str) -> Option<&'static str> {
    match name {
        "threading" => Some(THREADING),
        "requests" => Some(REQUESTS),
        _ => None,
    }
}

/// Modules a scenario may import that gilsim does not simulate yet.
#[must_use]
pub fn planned(name: &str) -> bool {
    matches!(
        name,
        "queue" | "concurrent" | "concurrent.futures" | "logging"
    )
}

const THREADING: &str = r#"import _thread

Lock = _thread.allocate_lock
RLock = _thread.RLock


class Thread:
    def __init__(self, group=None, target=None, name=None, args=(), kwargs=None, *, daemon=None):
        self._target = target
        self._args = args
        self._kwargs = {} if kwargs is None else kwargs
        self.ident = _thread.new_ident(self)
        if name is None:
            name = _thread.default_name(self.ident, target)
        self.name = name
        self.daemon = bool(daemon)
        self._started = False

    def start(self):
        if self._started:
            raise RuntimeError("threads can only be started once")
        self._started = True
        _thread.start(self.ident, self._bootstrap, self.name, self.daemon)

    def _bootstrap(self):
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
        _thread.join(self.ident, timeout)

    def is_alive(self):
        return _thread.is_alive(self.ident)

    def getName(self):
        return self.name

    def setName(self, name):
        self.name = name


def current_thread():
    return _thread.current()


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
