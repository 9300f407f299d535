"""The warnings df-table emits, one subtype each, so users can silence them.

Every warning has ``type="df_table"`` and one of the subtypes below, so a project
can write ``suppress_warnings = ["df_table.timeout"]`` (or ``["df_table"]`` for
all of them) in conf.py. Every warning has a location: the document line of the
failing snippet line where one is known, else the directive's first line.
"""

from __future__ import annotations

from enum import Enum

from sphinx.util.logging import getLogger

from .compat import sphinx_shows_warning_types
from .errors import ErrorKind

WARNING_TYPE = "df_table"
LOGGER = getLogger("sphinx_df_table")


class DfTableWarning(Enum):
    """Subtypes of ``df_table`` warnings.

    The subtypes of a failed snippet take their values from
    :class:`~sphinx_df_table.errors.ErrorKind` (same name, same value), so the
    kind the worker reports is always a subtype here: ``DfTableWarning(kind.value)``.
    """

    SYNTAX = ErrorKind.SYNTAX.value
    """The snippet (or ``df_table_preamble``) is not valid Python."""
    EXCEPTION = ErrorKind.EXCEPTION.value
    """The snippet raised an exception (including ``SystemExit``, ``KeyboardInterrupt``)."""
    RESULT = ErrorKind.RESULT.value
    """The snippet defined no result variable, or not a non-empty DataFrame/Series."""
    OPTION = "option"
    """A directive option has an invalid value, or does not fit the table."""
    TIMEOUT = ErrorKind.TIMEOUT.value
    """The snippet ran longer than ``df_table_timeout`` / ``:timeout:``."""
    CRASH = ErrorKind.CRASH.value
    """The worker process running the snippet died (``os._exit``, a segfault, ...),
    or answered with something that is not a valid result message."""
    MEMORY = ErrorKind.MEMORY.value
    """The snippet ran out of memory (``df_table_memory_limit``)."""
    ACCESS = ErrorKind.ACCESS.value
    """The snippet did something the file-access policy refuses."""
    TRUNCATED = "truncated"
    """A table had more rows than ``df_table_max_rows``; the rest are left out."""
    CONFIG = "config"
    """A ``df_table_*`` value in conf.py is invalid; its default is used instead."""
    WORKER = "worker"
    """The worker process could not be started at all."""
    CHANGED = "changed"
    """A file the snippet read changed while it ran: the table is shown, but may
    mix old and new data, and is not cached."""
    CACHE = "cache"
    """The result cache cannot be written (a full disk, a read-only folder): the
    build goes on without storing results (one warning per build and process)."""
    MARKUP = "markup"
    """Cells longer than the limit for inline markup, shown literally; or the
    count of cells whose markup problems a table does not report one by one."""
    CHART = "chart"
    """A ``df-chart`` cannot be drawn: matplotlib is not installed
    (``pip install sphinx-df-table[charts]``)."""
    EXPECT = "expect"
    """A table's result fails one of its ``:expect-*:`` options (one warning
    per failed expectation); the table is still shown."""
    UPDATED = "updated"
    """A ``:df-updated:`` role has no date to show: its page has no df-table or
    df-chart that read a file, or the file it names does not exist. It shows
    ``unknown``."""
    LATEX = "latex"
    """A table is too wide for a LaTeX/PDF page even in the smallest type and
    turned (or in the type and orientation its options ask for)."""

    @classmethod
    def of(cls, kind: ErrorKind) -> DfTableWarning:
        """The subtype that reports a snippet failure of ``kind`` (same value)."""
        return cls(kind.value)


def warn(message: str, subtype: DfTableWarning, location: str | None) -> None:
    """Log one ``df_table.<subtype>`` warning at ``location`` (``"path/file.rst:LINE"``).

    ``location`` ``None`` logs it without a location. Raises nothing itself;
    Sphinx raises ``SphinxWarning`` when warnings are errors (``-W``). On a
    Sphinx that never shows warning types (before 7.3), the message ends with
    ``[df_table.<subtype>]``, as newer Sphinx versions write it.
    """
    if not sphinx_shows_warning_types():
        message = f"{message} [{WARNING_TYPE}.{subtype.value}]"
    LOGGER.warning(message, type=WARNING_TYPE, subtype=subtype.value, location=location)
