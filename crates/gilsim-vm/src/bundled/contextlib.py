# contextlib in the shapes programs use: contextmanager, suppress, nullcontext.
# A @contextmanager generator is driven with next(); an exception raised inside its `with`
# block would have to be thrown into the generator (generator.throw), which gilsim does not
# simulate yet, so that case is refused rather than skipping the generator's cleanup.
import _gilsim_io


class _GeneratorContextManager:
    def __init__(self, func, args, kwds):
        self.gen = func(*args, **kwds)
        self.func = func

    def __enter__(self):
        try:
            return next(self.gen)
        except StopIteration:
            raise RuntimeError("generator didn't yield") from None

    def __exit__(self, typ, value, traceback):
        if typ is None:
            try:
                next(self.gen)
            except StopIteration:
                return False
            raise RuntimeError("generator didn't stop")
        _gilsim_io.refuse(
            "an exception raised inside a @contextmanager `with` block (it would be thrown into the generator with generator.throw, which gilsim does not simulate yet)"
        )


def contextmanager(func):
    def helper(*args, **kwds):
        return _GeneratorContextManager(func, args, kwds)

    return helper


class suppress:
    def __init__(self, *exceptions):
        self._exceptions = exceptions

    def __enter__(self):
        pass

    def __exit__(self, exctype, excinst, exctb):
        return exctype is not None and issubclass(exctype, self._exceptions)


class nullcontext:
    def __init__(self, enter_result=None):
        self.enter_result = enter_result

    def __enter__(self):
        return self.enter_result

    def __exit__(self, *excinfo):
        pass
