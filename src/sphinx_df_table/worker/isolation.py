"""Interpreter state between snippets: saved once, put back after each snippet.

Everything a snippet could change that matters to the next snippet (working
directory, ``sys.path``, ``sys.modules``, the import system, environment,
builtins, pandas and numpy options and module attributes, warning filters,
signal handlers and timers, tracing hooks, recursion limit) is saved by
:class:`InterpreterState` when the worker starts and restored by
:meth:`InterpreterState.isolated` after each run.
"""

from __future__ import annotations

import _io
import builtins
import contextlib
import copy
import faulthandler
import gc
import io
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

#: Signals whose Python handlers a snippet might change and that could then
#: fire during a later snippet (timers, job control, termination).
_WATCHED_SIGNALS = tuple(
    getattr(signal, name)
    for name in (
        "SIGALRM",
        "SIGVTALRM",
        "SIGPROF",
        "SIGINT",
        "SIGTERM",
        "SIGHUP",
        "SIGUSR1",
        "SIGUSR2",
        "SIGCHLD",
        "SIGPIPE",
        "SIGXCPU",
        "SIGXFSZ",
    )
    if hasattr(signal, name)
)
_TIMERS = tuple(
    getattr(signal, name)
    for name in ("ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF")
    if hasattr(signal, name)
)
_MISSING = object()


def _pandas_options(pd: Any) -> dict[str, Any]:
    """Current value of every (non-deprecated) pandas option."""
    from pandas._config import config

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            key: pd.get_option(key)
            for key in sorted(config._registered_options)  # type: ignore[attr-defined]
            if key not in config._deprecated_options  # type: ignore[attr-defined]
        }


def _pandas_config() -> Any:
    """pandas' option values as a nested dict (a private detail, hence the care)."""
    from pandas._config import config

    return getattr(config, "_global_config", None)


def _pandas_options_changed(saved: Any) -> bool:
    """Whether any pandas option differs from ``saved`` (a copy of :func:`_pandas_config`).

    Comparing the nested dict takes microseconds; reading every option through
    ``pd.get_option`` takes a third of a millisecond, on every table.
    """
    try:
        return saved is None or bool(_pandas_config() != saved)
    except Exception:  # a value whose == refuses: compare option by option
        return True


def _environ_snapshot() -> dict[Any, Any]:
    """The environment, as CPython's plain dict of encoded values when it has one."""
    data = getattr(os.environ, "_data", None)
    return dict(data) if isinstance(data, dict) else dict(os.environ)


def _same(current: Any, saved: dict[str, Any]) -> bool:
    """Whether a namespace still holds exactly ``saved`` (a fast C-level comparison)."""
    try:
        return bool(current == saved)
    except Exception:  # a value was replaced by one whose == refuses (an array, pd.NA)
        return False


class _Namespace:
    """The attributes of a module or class, put back after each snippet.

    A snippet that replaces ``pd.read_csv``, deletes ``DataFrame.head``, registers
    an accessor or rebinds ``builtins.print`` would otherwise change what every
    later snippet sees. Submodules imported meanwhile are kept: the import system
    added them and will not add them again.
    """

    def __init__(self, target: Any) -> None:
        self.target = target
        self.saved = dict(vars(target))

    def restore(self) -> None:
        current = vars(self.target)
        if _same(current, self.saved):
            return
        for key in [k for k in current if k not in self.saved]:
            if not isinstance(current[key], ModuleType):
                with contextlib.suppress(AttributeError, TypeError):
                    delattr(self.target, key)
        for key, value in self.saved.items():
            if current.get(key, _MISSING) is not value:
                with contextlib.suppress(AttributeError, TypeError):
                    setattr(self.target, key, value)


class InterpreterState:
    """The pristine interpreter state, saved when the worker has started.

    ``pd`` and ``np`` are the imported pandas and numpy modules, whose options
    and attributes are saved too. Create it after the worker's own imports and
    ``sys.path`` set-up, before the audit hook and any snippet.
    """

    def __init__(self, pd: Any, np: Any) -> None:
        self.pd = pd
        self.np = np
        self.base_sys_path = list(sys.path)
        self.base_meta_path = list(sys.meta_path)
        self.base_path_hooks = list(sys.path_hooks)
        self.base_sys_modules = dict(sys.modules)
        self.base_environ = dict(os.environ)
        self.base_np_err = np.geterr()
        self.base_np_print = np.get_printoptions()
        self.base_pd_options = _pandas_options(pd)
        self.base_pd_config = copy.deepcopy(_pandas_config())
        self.base_environ_data = _environ_snapshot()
        self.base_handlers = {s: signal.getsignal(s) for s in _WATCHED_SIGNALS}
        self.base_sigmask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        self.base_hooks = (sys.excepthook, sys.displayhook, sys.breakpointhook)
        self._builtins = _Namespace(builtins)
        self.namespaces = [
            self._builtins,
            *(
                _Namespace(target)
                # io and _io: the worker's own file work (matplotlib's first
                # import, with the guard aside) must not call a snippet's open.
                for target in (os, os.path, io, _io, pd, np, pd.DataFrame, pd.Series, pd.Index)
            ),
        ]

    def restore_builtins(self) -> None:
        """Put back the ``builtins`` module's attributes (the first thing to restore:
        all other code, the standard library's included, relies on them)."""
        self._builtins.restore()

    @contextlib.contextmanager
    def isolated(self, cwd: str) -> Iterator[None]:
        """Run the block in directory ``cwd``, then put everything back (also on error)."""
        recursion = sys.getrecursionlimit()
        os.chdir(cwd)
        try:
            with warnings.catch_warnings():
                yield
        finally:
            self._restore(recursion)

    def _restore(self, recursion: int) -> None:
        sys.settrace(None)
        sys.setprofile(None)
        threading.settrace(None)
        threading.setprofile(None)
        for timer in _TIMERS:
            signal.setitimer(timer, 0)
        for signum, handler in self.base_handlers.items():
            if signal.getsignal(signum) is not handler and handler is not None:
                signal.signal(signum, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, self.base_sigmask)
        sys.excepthook, sys.displayhook, sys.breakpointhook = self.base_hooks
        sys.setrecursionlimit(recursion)
        if not gc.isenabled():
            gc.enable()
        sys.path[:] = self.base_sys_path
        # The import system: a finder or hook a snippet installed would run
        # with the guard aside whenever the worker imports something itself.
        if sys.meta_path != self.base_meta_path or sys.path_hooks != self.base_path_hooks:
            sys.meta_path[:] = self.base_meta_path
            sys.path_hooks[:] = self.base_path_hooks
            sys.path_importer_cache.clear()
        self._restore_sys_modules()
        for namespace in self.namespaces:
            namespace.restore()
        if _environ_snapshot() != self.base_environ_data:
            os.environ.clear()
            os.environ.update(self.base_environ)
        if _pandas_options_changed(self.base_pd_config):
            self._restore_pandas_options()
        self.np.seterr(**self.base_np_err)
        self.np.set_printoptions(**self.base_np_print)
        if not faulthandler.is_enabled():
            faulthandler.enable()

    def _restore_sys_modules(self) -> None:
        """Put back replaced or removed modules; drop entries that are not modules.

        Modules a snippet imported stay: they are what the import system made,
        and keeping them makes the next import of the same module free.
        """
        modules = sys.modules
        for name, module in self.base_sys_modules.items():
            if modules.get(name) is not module:
                modules[name] = module
        if len(modules) != len(self.base_sys_modules):
            for name in [n for n, m in modules.items() if not isinstance(m, ModuleType)]:
                if name not in self.base_sys_modules:
                    del modules[name]

    def _restore_pandas_options(self) -> None:
        """Put back pandas options a snippet changed (only those: some have costly
        validators, e.g. ``plotting.backend`` imports matplotlib)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for key, value in self.base_pd_options.items():
                if self.pd.get_option(key) != value:
                    self.pd.set_option(key, value)
