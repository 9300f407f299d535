"""A snippet's exception as its author needs to see it: kind, line, traceback.

:func:`error_from` classifies what a snippet raised (an
:class:`~sphinx_df_table.errors.ErrorKind`), finds the snippet (or preamble)
line to blame and trims df-table's own frames from the traceback.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import ErrorKind
from ..messages import SnippetError
from .dataframe_libraries import install_hint
from .guard import SandboxViolation

#: The file names the snippet and ``df_table_preamble`` are compiled under.
SNIPPET_FILENAME = "<df-table>"
PREAMBLE_FILENAME = "<df_table_preamble>"
_USER_FILES = (SNIPPET_FILENAME, PREAMBLE_FILENAME)
#: Frames from this package are left out of the tracebacks shown to authors.
_PACKAGE_DIR = str(Path(__file__).resolve().parents[1]) + os.sep


def _snippet_line(tb: TracebackType | None) -> tuple[int | None, bool]:
    """The last traceback line that is in the snippet or the preamble."""
    line: int | None = None
    in_preamble = False
    for frame, lineno in traceback.walk_tb(tb):
        name = frame.f_code.co_filename
        if name in _USER_FILES:
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


def user_traceback(exc: BaseException) -> str:
    """The formatted traceback of ``exc`` without any frame of df-table itself."""
    te = traceback.TracebackException.from_exception(exc)
    _without_own_frames(te)
    return "".join(te.format())


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SandboxViolation):
        return str(exc)  # the subtype already says it is an access refusal
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def format_size(size: int) -> str:
    """``size`` bytes for people: ``"512 B"``, ``"1.5 KiB"``, ``"4 GiB"``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:g} {unit}" if unit == "B" else f"{size:.3g} {unit}"
        size /= 1024  # type: ignore[assignment]
    raise AssertionError  # pragma: no cover - the loop always returns


def kernel_refusal(exc: BaseException, guard: Any) -> str | None:
    """The access message for a ``PermissionError`` the kernel's sandbox raised, else None.

    Where Landlock confines the child, a file the guard did not see opened
    (through ``ctypes``, a C library, a path trick) fails with a plain
    ``PermissionError``. When its path is one the policy of ``guard`` refuses,
    that is the sandbox at work, and the author gets the same kind of message
    as from the guard.
    """
    if guard is None or not isinstance(exc, PermissionError) or not exc.filename:
        return None
    if isinstance(exc, SandboxViolation):
        return None
    name = os.fsdecode(exc.filename)
    policy = guard.policy
    if policy.allow_unsafe or (policy.may_read(name) and policy.may_write(name)):
        return None
    if policy.may_read(name):
        what = f"writing {name!r}"
        setting = "set df_table_allow_unsafe = True in conf.py to allow it"
    else:
        what = f"opening {name!r}"
        setting = "add its directory to df_table_allowed_paths in conf.py to allow it"
    return f"{what} was refused by the kernel's sandbox (Landlock); {setting}"


def error_from(exc: BaseException, memory_limit: int | None, guard: Any = None) -> SnippetError:
    """What a snippet raised (``exc``), classified and located in the snippet.

    A ``SyntaxError`` in the snippet or preamble is :attr:`ErrorKind.SYNTAX`,
    a :class:`SandboxViolation` (or a ``PermissionError`` that the kernel's
    sandbox raised for a path the policy of ``guard`` refuses)
    :attr:`ErrorKind.ACCESS`, a ``MemoryError`` :attr:`ErrorKind.MEMORY`
    (naming ``memory_limit``, in bytes, when one is set) and anything else
    :attr:`ErrorKind.EXCEPTION`.
    """
    if isinstance(exc, SyntaxError) and exc.filename in _USER_FILES:
        # The location says where; format_exception_only would repeat the line.
        return SnippetError(
            kind=ErrorKind.SYNTAX,
            message=f"{type(exc).__name__}: {exc.msg}",
            line=exc.lineno,
            in_preamble=exc.filename == PREAMBLE_FILENAME,
        )
    line, in_preamble = _snippet_line(exc.__traceback__)
    message = _describe(exc)
    refusal = kernel_refusal(exc, guard)
    if refusal:
        kind, message = ErrorKind.ACCESS, refusal
    elif isinstance(exc, SandboxViolation):
        kind = ErrorKind.ACCESS
    elif isinstance(exc, MemoryError):
        kind = ErrorKind.MEMORY
        if memory_limit:
            message += (
                f" (the snippet worker may use {format_size(memory_limit)} of address space;"
                " raise df_table_memory_limit in conf.py to allow more)"
            )
    else:
        kind = ErrorKind.EXCEPTION
        if isinstance(exc, ModuleNotFoundError) and (hint := install_hint(exc.name)):
            message += f" (install it with: {hint})"
    return SnippetError(
        kind=kind,
        message=message,
        line=line,
        in_preamble=in_preamble,
        traceback=user_traceback(exc),
    )


def exit_report(status: int) -> str:
    """What to write to stderr when a snippet calls ``os._exit(status)``.

    The snippet lines on the caller's stack, written like faulthandler's frames,
    which is how the parent locates crashes (see
    :mod:`sphinx_df_table.execute.runner`).
    """
    frames = [
        f'  File "{f.filename}", line {f.lineno} in {f.name}\n'
        for f in reversed(traceback.extract_stack(sys._getframe(1)))
        if f.filename in _USER_FILES
    ]
    return f"os._exit({status}) called\n{''.join(frames)}"


_FAULT_LINE = re.compile(rf'File "{re.escape(SNIPPET_FILENAME)}", line (\d+)')
_THREAD_HEADER = re.compile(r"^(?:Current thread|Thread) 0x[0-9a-f]+ ", re.MULTILINE)
_OWN_FRAME = re.compile(
    r'^\s*File "(?:' + re.escape(_PACKAGE_DIR.rstrip(os.sep)) + r'[^"]*|<frozen runpy>)"'
)


def how_it_ended(code: int | None) -> str:
    """``"was killed by SIGSEGV"`` or ``"exited with status 3"`` for a
    ``Popen.returncode``-style status (negative: the signal)."""
    if code is not None and code < 0:
        how = f"was killed by {signal.Signals(-code).name}"
        if -code == signal.SIGKILL:
            how += " (out of memory?)"
        return how
    return f"exited with status {code}"


def clean_dump(output: str) -> str:
    """A faulthandler dump without df-table's own frames and the module list."""
    return "".join(
        line
        for line in output.splitlines(keepends=True)
        if not _OWN_FRAME.match(line) and not line.startswith("Extension modules:")
    )


def last_fault_line(output: str, main_thread: int | None = None) -> int | None:
    """The innermost snippet line in a faulthandler dump (it lists innermost first).

    A dump lists every thread; the snippet runs in the process's main thread
    (``main_thread``, its ident), so that thread's part is searched first.
    """
    if main_thread is not None:
        header = re.compile(rf"^(?:Current thread|Thread) {main_thread:#018x} ", re.MULTILINE)
        if start := header.search(output):
            block = output[start.end() :]
            block = block[: end.start()] if (end := _THREAD_HEADER.search(block)) else block
            if match := _FAULT_LINE.search(block):
                return int(match.group(1))
    match = _FAULT_LINE.search(output)
    return int(match.group(1)) if match else None
