"""The snippet worker: a separate Python process that runs df-table snippets.

Started by :mod:`sphinx_df_table.execute.runner` as
``python -m sphinx_df_table.worker REQ_FD RESP_FD``.
It imports pandas once, then answers one request at a time. Everything a
snippet could change that matters to the next snippet (working directory,
``sys.path``, ``sys.modules``, environment, builtins, pandas and numpy options
and module attributes, warning filters, signal handlers and timers, standard
streams) is restored after each run; whatever the snippet writes to file
descriptors 1 and 2 goes to a capture file, never to the protocol pipe. What
cannot be put back (a thread the snippet left running, another audit hook)
makes the worker ask to be replaced after answering.

User code only ever runs here, so that ``os._exit``, a segfault, an endless loop
or exhausted memory cost a worker, not the Sphinx build.
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
import time
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any, NoReturn

from .. import messages
from .guard import Guard, Policy, SandboxViolation

#: Saved before any snippet runs (see ``_captured_output``).
_REAL_OPEN = _io.open
SNIPPET_FILENAME = "<df-table>"
PREAMBLE_FILENAME = "<df_table_preamble>"
#: At most this much captured output is sent back per snippet.
MAX_OUTPUT = 64 * 1024
#: At most this much output is written to the capture file per snippet.
MAX_OUTPUT_FILE = 16 * 1024 * 1024
#: Frames from this package are left out of the tracebacks shown to authors.
_PACKAGE_DIR = str(Path(__file__).resolve().parents[1]) + os.sep
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


def _snippet_line(tb: Any) -> tuple[int | None, bool]:
    """The last traceback line that is in the snippet or the preamble."""
    line: int | None = None
    in_preamble = False
    for frame, lineno in traceback.walk_tb(tb):
        name = frame.f_code.co_filename
        if name in (SNIPPET_FILENAME, PREAMBLE_FILENAME):
            line, in_preamble = lineno, name == PREAMBLE_FILENAME
    return line, in_preamble


def _without_own_frames(te: traceback.TracebackException) -> None:
    """Drop this package's frames from ``te`` and the exceptions it chains to."""
    seen: set[int] = set()
    pending = [te]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.stack = traceback.StackSummary.from_list(
            [f for f in current.stack if not (f.filename or "").startswith(_PACKAGE_DIR)]
        )
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        pending.extend(getattr(current, "exceptions", None) or ())


def _user_traceback(exc: BaseException) -> str:
    """The traceback as the snippet's author needs it: no frames of df-table itself."""
    te = traceback.TracebackException.from_exception(exc)
    _without_own_frames(te)
    return "".join(te.format())


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SandboxViolation):
        return str(exc)  # the subtype already says it is an access refusal
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def _format_size(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:g} {unit}" if unit == "B" else f"{size:.3g} {unit}"
        size /= 1024  # type: ignore[assignment]
    raise AssertionError  # pragma: no cover - the loop always returns


def _error_from(exc: BaseException, memory_limit: int | None) -> messages.SnippetError:
    """Classify a snippet's exception and find the snippet line to blame."""
    if isinstance(exc, SyntaxError) and exc.filename in (SNIPPET_FILENAME, PREAMBLE_FILENAME):
        # The location says where; format_exception_only would repeat the line.
        return messages.SnippetError(
            kind="syntax",
            message=f"{type(exc).__name__}: {exc.msg}",
            line=exc.lineno,
            in_preamble=exc.filename == PREAMBLE_FILENAME,
        )
    line, in_preamble = _snippet_line(exc.__traceback__)
    message = _describe(exc)
    if isinstance(exc, SandboxViolation):
        kind = "access"
    elif isinstance(exc, MemoryError):
        kind = "memory"
        if memory_limit:
            message += (
                f" (the snippet worker may use {_format_size(memory_limit)} of address space;"
                " raise df_table_memory_limit in conf.py to allow more)"
            )
    else:
        kind = "exception"
    return messages.SnippetError(
        kind=kind,
        message=message,
        line=line,
        in_preamble=in_preamble,
        traceback=_user_traceback(exc),
    )


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


_MISSING = object()


class Worker:
    """Holds the per-process state: the guard and the pristine settings."""

    def __init__(self, init: dict[str, Any]) -> None:
        import numpy as np
        import pandas as pd

        # What a snippet sees by default; registering a few submodules now also
        # keeps their import out of the first snippet's time and file reads.
        from .frame_cells import frame_to_table  # noqa: F401

        self.pd = pd
        self.np = np
        self.pid = os.getpid()
        self.memory_limit: int | None = init["memory_limit"]
        sys.path[:] = init["sys_path"]
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
        self.base_threads = threading.active_count()
        self.base_hooks = (sys.excepthook, sys.displayhook, sys.breakpointhook)
        self.namespaces = [
            _Namespace(target)
            for target in (builtins, os, os.path, pd, np, pd.DataFrame, pd.Series, pd.Index)
        ]
        self.real_exit = os._exit
        self.guard = Guard(
            Policy(
                read_roots=init["read_roots"],
                allow_unsafe=init["allow_unsafe"],
                import_roots=init["import_roots"],
                scratch_dirs=init.get("scratch_dirs", []),
            )
        )
        sys.addaudithook(self.guard)
        self.guard.active = True  # for good: see Guard
        self.capture_path: str = init["capture_path"]
        # Descriptors for the real fds 1 and 2, to put back after each capture.
        self.saved_fds = (os.dup(1), os.dup(2))
        self.streams = (sys.stdout, sys.stderr)

    @contextlib.contextmanager
    def _captured_output(self, sink: list[str]) -> Iterator[None]:
        """Send fds 1 and 2 to the capture file, through fresh ``sys.stdout``/``stderr``.

        The snippet gets its own stream objects, so that closing or replacing
        them cannot break the next snippet's ``print``.
        """
        with self.guard.internal():  # the one file the worker itself writes
            # With the open function saved at start-up: a snippet that replaced
            # io.open must not get its function called with the guard aside.
            capture = _REAL_OPEN(self.capture_path, "w+b")
        with capture:
            os.dup2(capture.fileno(), 1)
            os.dup2(capture.fileno(), 2)
            streams = [
                io.TextIOWrapper(
                    io.FileIO(fd, "w", closefd=False),
                    encoding="utf-8",
                    errors="backslashreplace",
                    write_through=True,
                )
                for fd in (1, 2)
            ]
            sys.stdout, sys.stderr = streams
            try:
                yield
            finally:
                for stream in streams:
                    with contextlib.suppress(Exception):
                        stream.flush()
                sys.stdout, sys.stderr = self.streams
                os.dup2(self.saved_fds[0], 1)
                os.dup2(self.saved_fds[1], 2)
                capture.seek(0)
                data = capture.read(MAX_OUTPUT + 1)
                text = data[:MAX_OUTPUT].decode("utf-8", "replace")
                if len(data) > MAX_OUTPUT:
                    text += "\n[... output truncated]"
                sink.append(text)

    @contextlib.contextmanager
    def _isolated(self, cwd: str) -> Iterator[None]:
        """Run in ``cwd`` and put everything a snippet may change back afterwards."""
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

    def _compile(self, source: str, filename: str) -> CodeType:
        return compile(source, filename, "exec", dont_inherit=True)

    def _located_exit(self, status: int) -> NoReturn:
        """``os._exit`` for snippets: say which snippet line called it, then exit.

        The line is written like a faulthandler frame, which is how the parent
        locates crashes.
        """
        with contextlib.suppress(Exception):
            frames = [
                f'  File "{f.filename}", line {f.lineno} in {f.name}\n'
                for f in reversed(traceback.extract_stack(sys._getframe(1)))
                if f.filename in (SNIPPET_FILENAME, PREAMBLE_FILENAME)
            ]
            os.write(2, f"os._exit({status}) called\n{''.join(frames)}".encode())
        self.real_exit(status)

    def run(self, request: dict[str, Any]) -> messages.SnippetResult:
        """Execute one snippet and reduce its result to table text."""
        from .frame_cells import ResultTypeError
        from .rendering import render_result

        started = time.perf_counter()
        output: list[str] = []
        result_var = request["result_var"]
        namespace: dict[str, Any] = {
            "__name__": "__df_table__",
            "__builtins__": builtins,
            "pd": self.pd,
            "np": self.np,
        }
        error: messages.SnippetError | None = None
        table = None
        self.guard.files_read = []
        try:
            with self._isolated(request["cwd"]), self._captured_output(output):
                if "chart" in request["render"]:
                    from .chart_drawing import prepare_matplotlib

                    # A df-chart: matplotlib's first import writes its font
                    # cache, in this worker's own directory.
                    with self.guard.internal():
                        prepare_matplotlib(os.path.dirname(self.capture_path))
                preamble = self._compile(request["preamble"], PREAMBLE_FILENAME)
                code = self._compile(request["code"], SNIPPET_FILENAME)
                os._exit = self._located_exit
                try:
                    exec(preamble, namespace)
                    exec(code, namespace)
                finally:
                    # Builtins first: all the code below (and in the standard
                    # library) relies on them.
                    self.namespaces[0].restore()
                    os._exit = self.real_exit
                    if os.getpid() != self.pid:  # a fork the snippet made (allow_unsafe)
                        self.real_exit(0)
                table = render_result(namespace, result_var, request["render"])
        except ResultTypeError as exc:
            error = messages.SnippetError(kind="result", message=str(exc))
        except BaseException as exc:  # the snippet's own failure, reported to its author
            error = _error_from(exc, self.memory_limit)
        return messages.SnippetResult(
            table=None if error else table,
            error=error,
            files_read=tuple(dict.fromkeys(self.guard.files_read)),
            output="".join(output),
            seconds=time.perf_counter() - started,
        )

    def tainted(self) -> str | None:
        """Why this worker cannot be trusted to run another snippet, if it cannot."""
        if threading.active_count() > self.base_threads:
            return "the snippet left a thread running"
        return self.guard.tainted


def _limit_file_size(limit: int) -> None:
    """Cap what a snippet can write to its output capture file.

    ``while True: print("x" * 10**6)`` would otherwise fill the disk before its
    timeout. Past the limit a write fails with ``OSError: [Errno 27] File too
    large`` in the snippet (SIGXFSZ, which would kill the worker, is ignored).
    """
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _lower_limit("RLIMIT_FSIZE", limit)


def _lower_limit(name: str, limit: int) -> None:
    """Set the soft resource limit ``name`` to ``limit`` (never above the hard one).

    A system that refuses the limit (macOS and ``RLIMIT_AS``) runs without it
    rather than not at all; the security page says so.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    which = getattr(resource, name)
    _soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(which, (limit, hard))


def _no_core_dumps() -> None:
    """A segfault or a timeout's SIGABRT must not write a core file into the docs."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


def _apply_memory_limit(limit: int | None) -> None:
    if limit:
        _lower_limit("RLIMIT_AS", limit)


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to kill this process when its parent dies (best effort).

    Without it, a worker stuck in ``while True: pass`` would outlive a Sphinx
    that was itself killed, as nobody would read its answer or close its pipe.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)


def main(argv: list[str]) -> int:
    """Serve requests until the request pipe closes."""
    req_fd, resp_fd = int(argv[0]), int(argv[1])
    faulthandler.enable()
    try:
        init = messages.read_message(req_fd, plain=False)
        _die_with_parent(init["parent_pid"])
        _apply_memory_limit(init["memory_limit"])
        _no_core_dumps()
        if not init["allow_unsafe"]:  # snippets write nothing but their output
            _limit_file_size(MAX_OUTPUT_FILE)
        worker = Worker(init)
    except BaseException as exc:  # startup failed: tell the parent why, then stop
        messages.write_message(resp_fd, {"ready": False, "error": traceback.format_exc()})
        return 1 if not isinstance(exc, SystemExit) else 2
    # On a timeout the parent sends SIGABRT: faulthandler then writes every
    # thread's stack to the capture file, and the main thread's names the line.
    ready = {"ready": True, "pid": os.getpid(), "main_thread": threading.get_ident()}
    messages.write_message(resp_fd, ready)
    while True:
        try:
            request = messages.read_message(req_fd, plain=False)
        except messages.ProtocolError:
            return 0
        result = worker.run(request)
        restart = worker.tainted()
        try:
            plain = result.to_plain()
            messages.write_message(
                resp_fd, {"id": request["id"], "result": plain, "restart": restart}
            )
        except MemoryError:
            failure = messages.SnippetResult(
                error=messages.SnippetError(
                    kind="memory", message="MemoryError: the result is too large to send"
                ),
                files_read=result.files_read,
            )
            messages.write_message(
                resp_fd, {"id": request["id"], "result": failure.to_plain(), "restart": restart}
            )
        if restart:
            # Leave at once: a normal exit would wait for the snippet's threads.
            worker.real_exit(0)
