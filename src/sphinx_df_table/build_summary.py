"""The build summary: how many tables, how many ran, how long snippets took.

Each document's tables are recorded in the environment, keyed by docname, so
the numbers survive ``-j`` (reader processes' records come back through
``env-merge-info``) and a document that is purged loses its records. At the end
of the build one info line sums the documents read in that build::

    df-table: 12 tables, 3 executed, 9 from cache, 0.41 s in snippets (sandbox: landlock ABI 7)

and ``-v`` adds the slowest snippets with their locations.

The records also say which result-cache entry and which chart files each
document uses, so that a build that read every document can remove the rest
(:func:`used_cache_keys`, :func:`used_files`, :func:`read_every_document`).
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from typing import TYPE_CHECKING, NamedTuple

from .diagnostics import LOGGER

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

_RECORDS = "df_table_records"
_READING = "df_table_reading"
#: How many of the slowest snippets ``-v`` lists.
SLOWEST = 5


class TableRecord(NamedTuple):
    """One df-table directive as it ran in this build."""

    location: str
    seconds: float
    cached: bool
    #: The result-cache key it used ("" when it did not use the cache).
    cache_key: str = ""
    #: Names of the files it stages under the doctree directory (a chart's).
    files: tuple[str, ...] = ()
    #: What confined its snippet ("landlock ABI 7", "guard only", "unsafe");
    #: "" when it came from the cache.
    sandbox: str = ""


def _records(env: BuildEnvironment) -> dict[str, list[TableRecord]]:
    records: dict[str, list[TableRecord]] | None = getattr(env, _RECORDS, None)
    if records is None:
        records = {}
        setattr(env, _RECORDS, records)
    return records


def record_table(env: BuildEnvironment, record: TableRecord) -> None:
    """Note that a table of the current document ran (or came from the cache)."""
    _records(env).setdefault(env.docname, []).append(record)


def summary_line(records: Iterable[TableRecord]) -> tuple[str, list[TableRecord]]:
    """The summary text and the records sorted slowest first."""
    executed = [r for r in records if not r.cached]
    cached = sum(1 for r in records if r.cached)
    seconds = sum(r.seconds for r in executed)
    line = (
        f"df-table: {len(executed) + cached} tables, {len(executed)} executed, "
        f"{cached} from cache, {seconds:.2f} s in snippets"
    )
    if modes := sorted({r.sandbox for r in executed if r.sandbox}):
        line += f" (sandbox: {', '.join(modes)})"
    return line, sorted(executed, key=lambda r: r.seconds, reverse=True)


def used_cache_keys(env: BuildEnvironment) -> set[str]:
    """The result-cache keys that the documents of ``env`` used when they were last read."""
    return {r.cache_key for records in _records(env).values() for r in records if r.cache_key}


def used_files(env: BuildEnvironment) -> set[str]:
    """The names of the files the documents of ``env`` staged when they were last read."""
    return {name for records in _records(env).values() for r in records for name in r.files}


def read_every_document(env: BuildEnvironment) -> bool:
    """Whether this build read every document of the project (then the records
    of :func:`used_cache_keys` and :func:`used_files` are all from this build).

    Valid during ``build-finished`` before the summary's own listener (priority
    400), which forgets what was read.
    """
    reading: set[str] = getattr(env, _READING, set())
    return bool(reading) and reading >= set(env.found_docs)


def _purge(_app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _records(env).pop(docname, None)


def _merge(
    _app: Sphinx, env: BuildEnvironment, docnames: Set[str], other: BuildEnvironment
) -> None:
    mine, theirs = _records(env), _records(other)
    for docname in docnames:
        if docname in theirs:
            mine[docname] = theirs[docname]


def _before_read(_app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    setattr(env, _READING, set(docnames))


def _report(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None:
        return
    env = app.env
    reading: set[str] = getattr(env, _READING, set())
    records = [r for name in sorted(reading) for r in _records(env).get(name, [])]
    if not records:
        return
    line, slowest = summary_line(records)
    LOGGER.info(line)
    for record in slowest[:SLOWEST]:
        LOGGER.verbose("df-table: %.3f s  %s", record.seconds, record.location)
    setattr(env, _READING, set())


def setup_summary(app: Sphinx) -> None:
    """Keep per-document records and print the summary when the build ends."""
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-before-read-docs", _before_read)
    app.connect("build-finished", _report, priority=400)
