"""The ``df-table`` directive: options, running the snippet, located warnings.

Options are read with docutils' own converters, but applied in :meth:`run`
rather than by the parser, so that a bad value becomes a ``df_table.option``
warning at the directive (which ``suppress_warnings`` can silence) instead of a
docutils error, and the rest of the page still builds.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.parsers.rst.directives.tables import Table, align
from docutils.parsers.rst.states import RSTState
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

from .cache import ResultCache, cache_key
from .compact_rows import ExpandCompactRows, df_rows
from .config import MARKUP_CHOICES, DfTableConfig, get_config
from .execution import RunnerSettings, SnippetRunner, WorkerStartError
from .html import depart_df_rows_html, visit_df_rows_html
from .protocol import SnippetError, SnippetResult
from .summary import TableRecord, record_table
from .table_nodes import TableShapeError, build_table, plain_cell_parser, rst_cell_parser
from .warnings_ import LOGGER, DfTableWarning, warn

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

_RUNNER_ATTR = "_df_table_runner"


class DfTableError(ExtensionError):
    """A snippet failed and ``df_table_raise_on_error`` is set."""


def _identifier(argument: str | None) -> str:
    value = str(directives.unchanged_required(argument))
    if not value.isidentifier():
        raise ValueError(f"{value!r} is not a Python variable name")
    return value


def _positive_float(argument: str | None) -> float:
    value = float(directives.unchanged_required(argument))
    if value <= 0:
        raise ValueError("must be a positive number")
    return value


def _path_list(argument: str | None) -> list[str]:
    return [p for p in directives.unchanged_required(argument).split() if p]


#: The real converter of each option; applied in ``run()``.
OPTION_CONVERTERS: dict[str, Callable[[str | None], Any]] = {
    "header-rows": directives.nonnegative_int,
    "stub-columns": directives.nonnegative_int,
    "widths": directives.value_or(("auto",), directives.positive_int_list),
    "width": directives.length_or_percentage_or_unitless,
    "class": directives.class_option,
    "name": directives.unchanged,
    "align": align,
    "df-var": _identifier,
    "markup": lambda arg: directives.choice(arg, MARKUP_CHOICES),
    "timeout": _positive_float,
    "depends": _path_list,
    "no-cache": directives.flag,
}


class OptionError(ValueError):
    """An option value its converter refused."""


def convert_options(raw: dict[str, str | None]) -> dict[str, Any]:
    """Apply :data:`OPTION_CONVERTERS`, naming the option in any error."""
    converted: dict[str, Any] = {}
    for name, value in raw.items():
        try:
            converted[name] = OPTION_CONVERTERS[name](value)
        except (ValueError, TypeError) as exc:
            raise OptionError(f"invalid value for option :{name}: {value!r}: {exc}") from exc
    return converted


class _RunnerSlot:
    """Holds the runner on the environment without pickling it.

    A worker is a resource of one process; Sphinx pickles the environment (and
    ``-j`` readers send theirs back), so the slot pickles empty.
    """

    def __init__(self) -> None:
        self.runner: SnippetRunner | None = None

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
    :mod:`.execution`).
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
            )
        )
    return slot.runner


def reset_runner(app: Sphinx, _exception: BaseException | None = None) -> None:
    """Stop the worker: at ``build-finished`` whether the build succeeded or not,
    and at ``builder-inited`` in case settings changed since the last use."""
    slot = _slot(app.env)
    if slot.runner is not None:
        slot.runner.close()
        slot.runner = None


class DfTableDirective(SphinxDirective):
    """Run the pandas snippet in the body and show its DataFrame as a table."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = dict.fromkeys(
        OPTION_CONVERTERS, directives.unchanged
    )

    def snippet_location(self, line: int | None) -> str:
        """``file:LINE`` of snippet line ``line`` (1-based), else of the directive."""
        if line is None or not 0 < line <= len(self.content):
            return self.get_location()
        if isinstance(self.state, RSTState):
            # reST keeps each content line's own source and offset, which also
            # holds inside an ``.. include::``d file.
            source, offset = self.content.items[line - 1]
            return f"{source}:{offset + 1}"
        # MyST numbers content lines from 0 and gives the body's offset relative
        # to the line after the directive's first line.
        source = self.get_source_info()[0]
        return f"{source}:{self.lineno + self.content_offset + line}"

    def run(self) -> list[nodes.Node]:
        try:
            options = convert_options(self.options)
        except OptionError as exc:
            warn(str(exc), DfTableWarning.OPTION, self.get_location())
            return []
        config = get_config(self.config)
        source = self.get_source_info()[0]
        directory = Path(source).resolve().parent if source else Path(self.env.srcdir)
        try:
            result, cached = self._result(options, config, str(directory))
        except WorkerStartError as exc:
            warn(str(exc), DfTableWarning.WORKER, self.get_location())
            return []
        record_table(self.env, TableRecord(self.get_location(), result.seconds, cached))
        self._note_dependencies(result, directory, options.get("depends", []))
        if result.output:
            LOGGER.verbose(
                "output of the df-table snippet:\n%s", result.output, location=self.get_location()
            )
        if result.error is not None:
            self._report(result.error, config.raise_on_error)
            return []
        assert result.table is not None
        title, messages = Table.make_title(self)
        markup = options.get("markup", config.markup)
        parse = (
            plain_cell_parser()
            if markup == "none"
            else rst_cell_parser(self.state.document, self.lineno)
        )
        try:
            table, cell_messages = build_table(
                result.table,
                parse=parse,
                header_rows=options.get("header-rows"),
                stub_columns=options.get("stub-columns", 0),
                widths=options.get("widths"),
            )
        except TableShapeError as exc:
            warn(str(exc), DfTableWarning.OPTION, self.get_location())
            return []
        table["classes"] += ["df-table", *options.get("class", [])]
        if "align" in options:
            table["align"] = options["align"]
        if "width" in options:
            table["width"] = options["width"]
        self.set_source_info(table)
        self.add_name(table)  # reads the raw :name:, as docutils' tables do
        if title is not None:
            table.insert(0, title)
        return [table, *messages, *cell_messages]

    def _result(
        self, options: dict[str, Any], config: DfTableConfig, cwd: str
    ) -> tuple[SnippetResult, bool]:
        """The snippet's result, from the cache when allowed and still valid."""
        code = "\n".join(self.content)
        result_var = options.get("df-var", "df")
        use_cache = config.cache and "no-cache" not in options
        if use_cache:
            cache = ResultCache(
                Path(self.env.doctreedir) / "df_table_cache",
                [str(self.env.srcdir), *config.allowed_paths],
            )
            key = cache_key(code=code, preamble=config.preamble, result_var=result_var, cwd=cwd)
            if (hit := cache.get(key)) is not None:
                return hit, True
        result = get_runner(self.env).run(
            code,
            cwd=cwd,
            preamble=config.preamble,
            result_var=result_var,
            timeout=options.get("timeout", config.timeout),
        )
        if use_cache:
            cache.put(key, result)
        return result, False

    def _note_dependencies(
        self, result: SnippetResult, directory: Path, depends: list[str]
    ) -> None:
        """Rebuild this document when a file its snippet read changes.

        Only existing files under the source directory are noted: Sphinx
        re-reads a document on every build when a noted file is missing.
        """
        srcdir = Path(self.env.srcdir).resolve()
        for name in result.files_read:
            path = Path(name)
            if path.is_relative_to(srcdir) and path.is_file():
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

    def _report(self, error: SnippetError, raise_on_error: bool) -> None:
        location = self.snippet_location(None if error.in_preamble else error.line)
        where = f" (df_table_preamble, line {error.line})" if error.in_preamble else ""
        message = f"df-table snippet failed{where}: {error.message}"
        if error.traceback:
            LOGGER.verbose("df-table snippet traceback:\n%s", error.traceback, location=location)
        if raise_on_error:
            raise DfTableError(f"{location}: {message}")
        warn(message, DfTableWarning(error.kind), location)


def setup_directive(app: Sphinx) -> None:
    """Register ``df-table`` and stop its worker when the build ends."""
    app.add_directive("df-table", DfTableDirective)
    app.add_node(df_rows, html=(visit_df_rows_html, depart_df_rows_html))
    app.add_post_transform(ExpandCompactRows)
    app.connect("builder-inited", reset_runner)
    app.connect("build-finished", reset_runner)
