import sys
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
