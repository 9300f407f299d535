"""A snippet's exception as its author needs to see it: kind, line, traceback.

:func:`error_from` classifies what a snippet raised (an
:class:`~sphinx_df_table.errors.ErrorKind`), finds the snippet (or preamble)
line to blame and trims df-table's own frames from the traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from types import TracebackType

from ..errors import ErrorKind
from ..messages import SnippetError
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


def error_from(exc: BaseException, memory_limit: int | None) -> SnippetError:
    """What a snippet raised (``exc``), classified and located in the snippet.

    A ``SyntaxError`` in the snippet or preamble is :attr:`ErrorKind.SYNTAX`,
    a :class:`SandboxViolation` :attr:`ErrorKind.ACCESS`, a ``MemoryError``
    :attr:`ErrorKind.MEMORY` (naming ``memory_limit``, in bytes, when one is
    set) and anything else :attr:`ErrorKind.EXCEPTION`.
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
    if isinstance(exc, SandboxViolation):
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
