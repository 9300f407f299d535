"""The extension's error vocabulary, shared by the Sphinx process and the worker.

:class:`ErrorKind` names the ways a snippet can fail; the worker and the runner
put one in every :class:`~sphinx_df_table.messages.SnippetError`, and the
directive reports it as the ``df_table.<kind>`` warning of the same value
(:class:`~sphinx_df_table.diagnostics.DfTableWarning` takes its values from
here). :class:`DfTableError` is the base of every exception the extension
defines, so a caller can catch all of them at once.

This module imports nothing beyond the standard library: the snippet worker,
which must not import Sphinx, docutils or (before it needs it) pandas, uses it.
"""

from __future__ import annotations

from enum import Enum


class ErrorKind(str, Enum):
    """How a snippet failed; each value is a ``df_table.<value>`` warning subtype.

    A ``str`` enum, so a kind compares equal to its value (``"timeout"``) and
    pickles as plain text on the wire (see :mod:`sphinx_df_table.messages`).
    """

    SYNTAX = "syntax"
    """The snippet (or ``df_table_preamble``) is not valid Python."""
    EXCEPTION = "exception"
    """The snippet raised an exception (including ``SystemExit``, ``KeyboardInterrupt``)."""
    RESULT = "result"
    """The snippet defined no result variable, or not a non-empty DataFrame/Series."""
    TIMEOUT = "timeout"
    """The snippet ran longer than ``df_table_timeout`` / ``:timeout:``."""
    CRASH = "crash"
    """The worker process running the snippet died, or sent a malformed answer."""
    MEMORY = "memory"
    """The snippet (or its result) ran out of memory (``df_table_memory_limit``)."""
    ACCESS = "access"
    """The snippet did something the file-access policy refuses."""


class DfTableError(Exception):
    """Base of every exception that sphinx-df-table defines.

    Subclasses keep the builtin base that their callers catch as well (for
    example ``SandboxViolation`` is also a ``PermissionError``), so catching
    either works.
    """
