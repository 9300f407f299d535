"""What every snippet directive shares: options, running, caching, located warnings.

:class:`SnippetDirective` runs its body in the worker (through the result
cache), notes the files it read as dependencies, records it for the build
summary and reports a failure as a located ``df_table.*`` warning. Subclasses
(``df-table``, ``df-chart``) declare their own options and turn a successful
result into nodes in :meth:`SnippetDirective.make_nodes`.

Options are read with docutils' own converters, but applied in ``run()``
rather than by the parser, so that a bad value becomes a ``df_table.option``
warning at the directive (which ``suppress_warnings`` can silence) instead of a
docutils error, and the rest of the page still builds.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.parsers.rst.states import RSTState
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

from ..build_summary import TableRecord, read_every_document, record_table, used_cache_keys
from ..config import DfTableConfig, get_config
from ..diagnostics import LOGGER, DfTableWarning, warn
from ..errors import DfTableError
from ..execute.result_cache import ResultCache, cache_key, changed_files
from ..execute.runner import (
    RunnerSettings,
    SnippetRequest,
    SnippetRunner,
    Ticket,
    WorkerStartError,
)
from ..messages import FileStamp, SnippetError, SnippetResult
from ..output.sources import data_files, note_data_files

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

_RUNNER_ATTR = "_df_table_runner"
#: The cache's folder under the doctree directory.
CACHE_FOLDER = "df_table_cache"

#: An option converter: raw option text (``None`` for a flag) -> value.
Converter = Callable[[str | None], Any]


class SnippetFailedError(DfTableError, ExtensionError):
    """A snippet failed and ``df_table_raise_on_error`` is set (stops the build)."""


class OptionError(DfTableError, ValueError):
    """An option value its converter refused; the message names the option."""


def identifier(argument: str | None) -> str:
    """A Python variable name (``:df-var:``); raises ``ValueError`` for anything else."""
    value = str(directives.unchanged_required(argument))
    if not value.isidentifier():
        raise ValueError(f"{value!r} is not a Python variable name")
    return value


def positive_float(argument: str | None) -> float:
    """A number above 0 (``:timeout:``, in seconds); raises ``ValueError`` otherwise."""
    value = float(directives.unchanged_required(argument))
    if value <= 0:
        raise ValueError("must be a positive number")
    return value


def path_list(argument: str | None) -> list[str]:
    """Whitespace-separated paths (``:depends:``); raises ``ValueError`` without a value."""
    return [p for p in directives.unchanged_required(argument).split() if p]


#: Options of every snippet directive.
EXECUTION_OPTIONS: dict[str, Converter] = {
    "df-var": identifier,
    "timeout": positive_float,
    "depends": path_list,
    "no-cache": directives.flag,
}


def convert_options(raw: dict[str, str | None], converters: dict[str, Converter]) -> dict[str, Any]:
    """Apply each option's converter to the raw option text.

    ``raw`` maps option names to their text (``None`` for a flag); every name
    must have a converter in ``converters``. Returns the converted values.
    Raises :class:`OptionError`, naming the option and its value, when a
    converter refuses a value (``ValueError`` or ``TypeError``).
    """
    converted: dict[str, Any] = {}
    for name, value in raw.items():
        try:
            converted[name] = converters[name](value)
        except (ValueError, TypeError) as exc:
            raise OptionError(f"invalid value for option :{name}: {value!r}: {exc}") from exc
    return converted


@dataclass(frozen=True)
class SnippetPlan:
    """What a snippet directive asks for: the runner's arguments, the cache key.

    ``request`` is what :meth:`SnippetRunner.run` takes;
    ``key`` the result-cache key ("" when the cache is not used); ``depends``
    the absolute ``:depends:`` paths; ``identity`` a text that is equal for
    two plans exactly when their requests are (how a result run ahead is
    matched with its directive).
    """

    request: SnippetRequest
    key: str
    depends: list[Path]
    identity: str


def plan_snippet(
    code: str,
    options: dict[str, Any],
    config: DfTableConfig,
    directory: Path,
    render: dict[str, Any],
) -> SnippetPlan:
    """The plan of a snippet with converted ``options``, run in ``directory``.

    ``render`` is the directive's render spec. The one place both the
    directive and the execute-ahead scan (:mod:`~sphinx_df_table.directives.ahead`)
    build requests and keys, so that they agree.
    """
    result_var = options.get("df-var", "df")
    depends = [(directory / name).resolve() for name in options.get("depends", [])]
    request = SnippetRequest(
        code=code,
        cwd=str(directory),
        preamble=config.preamble,
        result_var=result_var,
        timeout=options.get("timeout", config.timeout),
        render=render,
    )
    key = ""
    if config.cache and "no-cache" not in options:
        key = cache_key(
            code=code,
            preamble=config.preamble,
            result_var=result_var,
            cwd=str(directory),
            render=render,
            allowed_paths=config.allowed_paths,
            allow_unsafe=config.allow_unsafe,
            depends=[str(path) for path in depends],
            sandbox=config.sandbox,
        )
    identity = json.dumps(request.to_wire(), sort_keys=True, default=str)
    return SnippetPlan(request, key, depends, identity)


@dataclass
class Ahead:
    """A snippet found before its directive ran: its cached result (``hit``), or
    the ticket of its run, with its ``:depends:`` stamps from before that run."""

    hit: SnippetResult | None = None
    ticket: Ticket | None = None
    depends_stamps: list[FileStamp] = field(default_factory=list)
    #: The size of the hit's cache entry (counted against ahead.HIT_BUDGET).
    hit_bytes: int = 0


class _RunnerSlot:
    """Holds the runner on the environment without pickling it.

    A worker is a resource of one process; Sphinx pickles the environment (and
    ``-j`` readers send theirs back), so the slot pickles empty. It also
    remembers whether writing the result cache failed in this process during
    this build: a forked ``-j`` reader starts from its parent's slot, so each
    process warns about it at most once.
    """

    def __init__(self) -> None:
        self.runner: SnippetRunner | None = None
        #: Snippets found and started ahead of their directives, by plan identity.
        self.ahead: dict[str, Ahead] = {}
        #: How many directives used a result run ahead (for tests and ``-v``).
        self.ahead_used = 0
        #: Bytes of cache entries held in ``ahead`` (see ahead.HIT_BUDGET).
        self.ahead_hit_bytes = 0
        #: ``sphinx-build -j``: how many processes share the machine's cores.
        self.jobs = 1
        #: Whether this build reads its documents in one process (see ahead.py).
        self.serial = True
        self.cache_write_failed = False

    def __reduce__(self) -> tuple[type[_RunnerSlot], tuple[()]]:
        return (_RunnerSlot, ())


def _slot(env: BuildEnvironment) -> _RunnerSlot:
    slot: _RunnerSlot | None = getattr(env, _RUNNER_ATTR, None)
    if slot is None:
        slot = _RunnerSlot()
        setattr(env, _RUNNER_ATTR, slot)
    return slot


def get_runner(env: BuildEnvironment) -> SnippetRunner:
    """The snippet runner of this build (it starts its worker lazily).

    It is kept on the environment because that is what a directive can reach;
    a forked ``-j`` reader inherits it but starts its own worker (see
    :mod:`sphinx_df_table.execute.runner`).
    """
    slot = _slot(env)
    if slot.runner is None:
        config = get_config(env.config)
        slot.runner = SnippetRunner(
            RunnerSettings(
                srcdir=str(env.srcdir),
                allowed_paths=tuple(config.allowed_paths),
                allow_unsafe=config.allow_unsafe,
                memory_limit=config.memory_limit_bytes,
                sandbox=config.sandbox,
                max_result_size=config.max_result_size_bytes,
                # All the cores this process may use: -j readers share its worker
                # (one that cannot starts its own, with its share of them).
                max_children=available_cores(),
                jobs=slot.jobs,
            )
        )
    return slot.runner


def reset_runner(app: Sphinx, _exception: BaseException | None = None) -> None:
    """Stop the worker: at ``build-finished`` whether the build succeeded or not,
    and at ``builder-inited`` in case settings changed since the last use.
    A failure to write the cache is forgotten too: the next build tries again."""
    slot = _slot(app.env)
    slot.cache_write_failed = False
    slot.ahead.clear()
    slot.ahead_hit_bytes = 0
    slot.jobs = max(1, int(getattr(app, "parallel", 1) or 1))
    if slot.runner is not None:
        slot.runner.close()
        slot.runner = None


class SnippetDirective(SphinxDirective):
    """Runs the pandas snippet in its body; subclasses make nodes of the result."""

    has_content = True
    #: Each option's converter (execution options plus the subclass's own).
    converters: ClassVar[dict[str, Converter]] = EXECUTION_OPTIONS
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = dict.fromkeys(
        EXECUTION_OPTIONS, directives.unchanged
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The parser accepts any value; ``run()`` converts and reports.
        cls.option_spec = dict.fromkeys(cls.converters, directives.unchanged)

    def render_spec(self, options: dict[str, Any]) -> dict[str, Any]:
        """What the worker needs, beyond the snippet, to produce the result.

        ``options`` are the converted options. Returns plain, JSON-serialisable
        data (part of the cache key): see
        :func:`~sphinx_df_table.worker.rendering.render_result`.
        """
        return {}

    def staged_files(self, result: SnippetResult) -> tuple[str, ...]:
        """Names of the files a result puts under the doctree directory (none
        here; a chart's files for ``df-chart``), kept while a document uses them."""
        return ()

    def make_nodes(
        self, result: SnippetResult, options: dict[str, Any], config: DfTableConfig
    ) -> list[nodes.Node]:
        """The nodes for a successful result (subclasses implement this).

        ``result`` has the table or chart that :meth:`render_spec` asked for
        (never an error); ``options`` are the converted options.
        """
        raise NotImplementedError

    def holding_file(self) -> Path | None:
        """The file this directive is written in, when that is a real source file.

        That is the document, or a file it includes (``.. include::``, MyST's
        ``{include}``). Text that another directive generates and parses
        (sphinxcontrib-datatemplates, Jinja-based extensions) reaches the
        parser under a source name that is not where the directive is written
        (a data file's, a template's); such a source counts only if its line
        at the directive's line number names this directive. Returns an
        absolute path, or ``None`` for generated text.
        """
        source, line = self.get_source_info()
        if not source:
            return None
        # docutils names an included file relative to the working directory.
        path = Path(os.path.abspath(source))
        if path == self.document_file():
            return path
        try:
            with path.open(encoding="utf-8", errors="replace") as stream:
                text = next((t for n, t in enumerate(stream, 1) if n == line), "")
        except OSError:
            return None
        return path if self.name in text else None

    def document_file(self) -> Path:
        """The absolute path of the document being read."""
        return Path(os.path.abspath(self.env.doc2path(self.env.docname)))

    def snippet_directory(self) -> Path:
        """The folder the snippet runs in, against which its relative paths resolve.

        The folder of :meth:`holding_file`, as for ``csv-table``'s ``:file:``
        (so also an included file's own folder), else the document's folder.
        """
        holder = self.holding_file()
        return (holder or self.document_file()).parent

    def get_location(self) -> str:
        """``file:LINE`` of the directive, with an absolute path.

        docutils names an ``.. include::``d file relative to the working
        directory; warnings should not depend on where sphinx-build runs. In
        generated text, the location is the document (its line numbers would
        be those of the generated text).
        """
        source, line = self.get_source_info()
        if source and self.holding_file() is None:
            return str(self.document_file())
        return f"{os.path.abspath(source) if source else '<unknown>'}:{line or ''}"

    def snippet_location(self, line: int | None) -> str:
        """``file:LINE`` of snippet line ``line`` (1-based), else of the directive."""
        if line is None or not 0 < line <= len(self.content) or self.holding_file() is None:
            return self.get_location()
        if isinstance(self.state, RSTState):
            # reST keeps each content line's own source and offset, which also
            # holds inside an ``.. include::``d file.
            source, offset = self.content.items[line - 1]
            # docutils gives an included file relative to the working directory.
            return f"{os.path.abspath(source)}:{offset + 1}"
        # MyST numbers content lines from 0 and gives the body's offset relative
        # to the line after the directive's first line.
        source = self.get_source_info()[0]
        return f"{source}:{self.lineno + self.content_offset + line}"

    def run(self) -> list[nodes.Node]:
        """Run the snippet (or take its cached result) and return its nodes.

        Every failure (an option, the worker's start, the snippet itself) is a
        located ``df_table.*`` warning and no nodes; with
        ``df_table_raise_on_error`` a failed snippet raises
        :class:`SnippetFailedError` instead.
        """
        try:
            options = convert_options(self.options, self.converters)
        except OptionError as exc:
            warn(str(exc), DfTableWarning.OPTION, self.get_location())
            return []
        config = get_config(self.config)
        directory = self.snippet_directory()
        try:
            result, cached, key = self._result(options, config, directory)
        except WorkerStartError as exc:
            warn(str(exc), DfTableWarning.WORKER, self.get_location())
            return []
        record = TableRecord(
            self.get_location(),
            result.seconds,
            cached,
            key,
            self.staged_files(result),
            "" if cached else (get_runner(self.env).sandbox or ""),
        )
        record_table(self.env, record)
        self._note_dependencies(result, directory, options.get("depends", []))
        if result.output:
            LOGGER.verbose(
                "output of the %s snippet:\n%s",
                self.name,
                result.output,
                location=self.get_location(),
            )
        if result.error is not None:
            if _MISSING_FILE.search(result.error.message):
                # A file that does not exist cannot be noted as a dependency:
                # read the page again each build, until the file is there.
                self.env.note_reread()
            self._report(result.error, config.raise_on_error, directory)
            return []
        note_data_files(self.env, self.data_files(result))
        return self.make_nodes(result, options, config)

    def data_files(self, result: SnippetResult) -> list[str]:
        """The data files the snippet of ``result`` read (absolute paths, in order):
        those under the source folder that are not Python code."""
        return data_files(result.files_read, str(self.env.srcdir))

    def _result(
        self, options: dict[str, Any], config: DfTableConfig, directory: Path
    ) -> tuple[SnippetResult, bool, str]:
        """The snippet's result, whether it came from the cache, and its cache
        key ("" when the cache is not used).

        A successful result is stored unless a file it depends on changed while
        the snippet ran (then a ``df_table.changed`` warning says which, and the
        page is read again next build) or a ``:depends:`` file is missing. A
        cache that cannot be written gives one ``df_table.cache`` warning; the
        build goes on without storing.
        """
        plan = plan_snippet(
            "\n".join(self.content), options, config, directory, self.render_spec(options)
        )
        key = plan.key
        cache = ResultCache(
            Path(self.env.doctreedir) / CACHE_FOLDER, [str(self.env.srcdir), *config.allowed_paths]
        )
        slot = _slot(self.env)
        ahead = slot.ahead.pop(plan.identity, None)
        if ahead is not None and ahead.hit is not None:  # looked up by the scan
            slot.ahead_hit_bytes -= ahead.hit_bytes
            return ahead.hit, True, key
        if key and ahead is None and (hit := cache.get(key)) is not None:
            return hit, True, key
        runner = get_runner(self.env)
        result = runner.collect(ahead.ticket) if ahead and ahead.ticket else None
        if result is not None:
            assert ahead is not None
            slot.ahead_used += 1
            # Stamped when it was submitted: before its run, like the files it reads.
            depends_stamps = ahead.depends_stamps
        else:
            # Stamped before the run, like the files the snippet reads when it opens them.
            depends_stamps = _stamps_of(plan.depends)
            result = runner.run(plan.request)
        if result.error is not None:
            return result, False, key
        if changed := changed_files(cache.dependencies(result, depends_stamps)):
            # Sphinx stamps the page as read after the change: it would not see it.
            self.env.note_reread()
            warn(
                f"{self.name}: {', '.join(changed)} changed while the snippet ran; "
                "the result may mix old and new data and is not cached",
                DfTableWarning.CHANGED,
                self.get_location(),
            )
            return result, False, key
        if key and len(depends_stamps) == len(plan.depends):
            self._store(cache, key, result, depends_stamps)
        return result, False, key

    def _store(
        self, cache: ResultCache, key: str, result: SnippetResult, depends: list[FileStamp]
    ) -> None:
        """Put ``result`` in the cache; after a failure to write, warn once and stop trying."""
        slot = _slot(self.env)
        if slot.cache_write_failed:
            return
        try:
            cache.put(key, result, depends)
        except OSError as exc:
            slot.cache_write_failed = True
            warn(
                f"cannot write the df-table result cache in {cache.directory} ({exc}); "
                "results of this build are not cached",
                DfTableWarning.CACHE,
                self.get_location(),
            )

    def _note_dependencies(
        self, result: SnippetResult, directory: Path, depends: list[str]
    ) -> None:
        """Rebuild this document when a file its snippet read changes.

        Only existing files under the source directory and the folders of
        :confval:`df_table_allowed_paths` are noted (library files are covered
        by the cache key's versions; Sphinx re-reads a document on every build
        when a noted file is missing).
        """
        roots = [
            Path(root).resolve()
            for root in (self.env.srcdir, *get_config(self.config).allowed_paths)
        ]
        for name in result.files_read:
            path = Path(name)
            if any(path.is_relative_to(root) for root in roots) and path.is_file():
                self.env.note_dependency(os.fspath(path))
        for name in depends:
            path = (directory / name).resolve()
            if path.is_file():
                self.env.note_dependency(os.fspath(path))
            else:
                warn(
                    f":depends: file not found: {name} (looked for {path})",
                    DfTableWarning.OPTION,
                    self.get_location(),
                )

    def _report(self, error: SnippetError, raise_on_error: bool, directory: Path) -> None:
        """Warn about ``error`` at its snippet line, or raise :class:`SnippetFailedError`."""
        location = self.snippet_location(None if error.in_preamble else error.line)
        where = f" (df_table_preamble, line {error.line})" if error.in_preamble else ""
        message = f"{self.name} snippet failed{where}: {error.message}"
        message += self._missing_file_hint(error, directory)
        if error.traceback:
            LOGGER.verbose(
                "%s snippet traceback:\n%s", self.name, error.traceback, location=location
            )
        if raise_on_error:
            raise SnippetFailedError(f"{location}: {message}")
        warn(message, DfTableWarning.of(error.kind), location)

    def _missing_file_hint(self, error: SnippetError, directory: Path) -> str:
        """A sentence for a file not found in an included file's folder but next to the page.

        Pages written for the original in-house directive, which resolved paths
        against the including document's folder, fail this way; the hint says
        how to fix them. Empty when it does not apply.
        """
        found = _MISSING_FILE.search(error.message)
        document_folder = self.document_file().parent
        if found is None or directory == document_folder or os.path.isabs(found[1]):
            return ""
        beside = document_folder / found[1]
        if not beside.exists():
            return ""
        relative = os.path.relpath(beside, directory)
        return (
            f" (relative paths resolve against the folder of the included file,"
            f" {directory}; the file exists next to the document: write {relative!r})"
        )


def available_cores() -> int:
    """How many CPU cores this process may run on (its affinity mask where known)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS
        return os.cpu_count() or 1


def _stamps_of(paths: list[Path]) -> list[FileStamp]:
    """The stamps of those ``paths`` that are files (a missing one has none)."""
    stamps = []
    for path in paths:
        if path.is_file():
            with contextlib.suppress(OSError):  # removed since
                stamps.append(FileStamp.of(str(path)))
    return stamps


#: The path in a ``FileNotFoundError`` message (Python's and pandas' wording).
_MISSING_FILE = re.compile(r"No such file or directory: '([^']+)'")


def tidy_cache(app: Sphinx, exception: BaseException | None) -> None:
    """At the end of a successful build, keep the result cache in bounds.

    After a build that read every document, the entries none of them used
    are removed; then the least recently used entries beyond
    :confval:`df_table_cache_size`. Nothing happens with :confval:`df_table_cache`
    off (the entries wait for it to be on again). Files that cannot be
    removed are left where they are.
    """
    config = get_config(app.config)
    if exception is not None or not config.cache:
        return
    cache = ResultCache(Path(app.env.doctreedir) / CACHE_FOLDER, [])
    if read_every_document(app.env):
        cache.prune(used_cache_keys(app.env))
    cache.evict(config.cache_size_bytes)


def setup_snippet_runner(app: Sphinx) -> None:
    """Stop the worker when a build ends (and drop a stale one when it starts),
    and keep the result cache in bounds."""
    app.connect("builder-inited", reset_runner)
    app.connect("build-finished", reset_runner)
    # Before the build summary (400), which forgets which documents were read.
    app.connect("build-finished", tidy_cache, priority=300)
