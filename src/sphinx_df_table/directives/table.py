"""The ``df-table`` directive: the snippet's DataFrame as a docutils table.

Running the snippet, caching, dependencies and warnings are shared with every
snippet directive (:mod:`sphinx_df_table.directives.snippet`); this module adds the table
options, with docutils' meaning, and builds the table (:mod:`sphinx_df_table.output.table_nodes`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.parsers.rst.directives.tables import Table, align

from ..compat import document_data
from ..config import MARKUP_CHOICES, DfTableConfig, get_config
from ..diagnostics import DfTableWarning, warn
from ..messages import SnippetResult
from ..output.cell_markup import RstCellParser, SharedParses, markup_warnings, role_context
from ..output.compact_rows import ExpandCompactRows
from ..output.html_tables import setup_html
from ..output.interactive import (
    INTERACTIVE_OPTIONS,
    download_render_spec,
    enhance_table,
    wants_download,
)
from ..output.latex import LATEX_OPTIONS, mark_latex_options, setup_latex
from ..output.sources import sources_line
from ..output.table_nodes import TableShapeError, build_table, plain_cell_parser
from ..output.wide_tables import WIDE_OPTIONS, mark_wide_table
from .options import (
    EXPECT_OPTIONS,
    RENDER_OPTIONS,
    align_option,
    expect_spec,
    expectation_text,
    table_spec,
)
from .snippet import EXECUTION_OPTIONS, Converter, SnippetDirective, setup_snippet_runner

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: Where a document's :class:`SharedParses` are kept (Sphinx's per-document data).
_SHARED_PARSES = "df_table_shared_parses"

#: A render option's TableOptions field -> the option's name.
OPTION_OF_FIELD = {field_name: option for option, (field_name, _) in RENDER_OPTIONS.items()}

#: Table options, with docutils' converters.
TABLE_OPTIONS: dict[str, Converter] = {
    "header-rows": directives.nonnegative_int,
    "stub-columns": directives.nonnegative_int,
    "widths": directives.value_or(("auto",), directives.positive_int_list),
    "width": directives.length_or_percentage_or_unitless,
    "class": directives.class_option,
    "name": directives.unchanged,
    "align": align,
    "markup": lambda arg: directives.choice(arg, MARKUP_CHOICES),
    "align-columns": align_option,
    **{name: converter for name, (_field, converter) in RENDER_OPTIONS.items()},
    **{name: converter for name, (_key, converter) in EXPECT_OPTIONS.items()},
    "sources": directives.flag,
    "no-sources": directives.flag,
}


class DfTableDirective(SnippetDirective):
    """Run the pandas snippet in the body and show its DataFrame as a table."""

    optional_arguments = 1
    final_argument_whitespace = True
    converters: ClassVar[dict[str, Converter]] = {
        **TABLE_OPTIONS,
        **INTERACTIVE_OPTIONS,
        **WIDE_OPTIONS,
        **EXECUTION_OPTIONS,
        **LATEX_OPTIONS,
    }

    def render_spec(self, options: dict[str, Any]) -> dict[str, Any]:
        """The table's formatting options, whether to send CSV text for a
        download, and the expectations to check."""
        config = get_config(self.config)
        spec = table_spec(options, config.max_rows)
        expect = expect_spec(options)
        return {
            **({"table": spec} if spec else {}),
            **download_render_spec(options, config),
            **({"expect": expect} if expect else {}),
        }

    def make_nodes(
        self, result: SnippetResult, options: dict[str, Any], config: DfTableConfig
    ) -> list[nodes.Node]:
        """The table (with its title, download node and cell messages).

        Options that do not fit the table (``:header-rows:``, ``:widths:``...)
        give a ``df_table.option`` warning instead, and no nodes. Options the
        result left unused (a Styler's ``:formats:``) give one such warning
        each, and the table is shown; so do wide-table options that cannot
        apply (:func:`~sphinx_df_table.output.wide_tables.mark_wide_table`).
        Cells too long for markup, and cell
        markup problems beyond the few reported one by one, give
        ``df_table.markup`` warnings (see :mod:`sphinx_df_table.output.cell_markup`).
        """
        data = result.table
        assert data is not None
        title, messages = Table.make_title(self)
        if title is None and data.caption:  # a Styler's caption
            title = nodes.title(data.caption, data.caption)
        if data.truncated and "max-rows" not in options:
            warn(
                f"the table has {data.truncated:,} more rows than df_table_max_rows "
                f"({config.max_rows:,}) shows; set :max-rows: to choose",
                DfTableWarning.TRUNCATED,
                self.get_location(),
            )
        for option, found in data.expectations:
            warn(
                f"{self._described(title, options)} fails :{option}: "
                f"{expectation_text(option, options)}: {found}",
                DfTableWarning.EXPECT,
                self.get_location(),
            )
        for field_name, why in data.ignored:
            warn(
                f":{OPTION_OF_FIELD.get(field_name, field_name)}: does not apply: {why}",
                DfTableWarning.OPTION,
                self.get_location(),
            )
        markup = options.get("markup", config.markup)
        rst = (
            None
            if markup == "none"
            else RstCellParser(self.state.document, self.lineno, *self._shared_parses())
        )
        try:
            table, cell_messages = build_table(
                data,
                parse=plain_cell_parser() if rst is None else rst,
                header_rows=options.get("header-rows"),
                stub_columns=options.get("stub-columns"),
                widths=options.get("widths"),
                align=options.get("align-columns"),
                literal=markup == "none",
                search_index=config.search_index,
            )
        except TableShapeError as exc:
            warn(str(exc), DfTableWarning.OPTION, self.get_location())
            return []
        if rst is not None:
            for message in markup_warnings(data, rst.unreported):
                warn(message, DfTableWarning.MARKUP, self.get_location())
        table["classes"] += ["df-table", *options.get("class", [])]
        if "align" in options:
            table["align"] = options["align"]
        if "width" in options:
            table["width"] = options["width"]
        mark_latex_options(table, options)
        self.set_source_info(table)
        self.add_name(table)  # reads the raw :name:, as docutils' tables do
        if title is not None:
            table.insert(0, title)
        extra = enhance_table(self, table, data, options, config)
        for message in mark_wide_table(table, data, options, config):
            warn(message, DfTableWarning.OPTION, self.get_location())
        if "no-sources" not in options and ("sources" in options or config.sources):
            line = sources_line(
                self.env,
                self.data_files(result),
                config.date_format,
                downloads=wants_download(options, config),
            )
            extra = [*([line] if line is not None else []), *extra]
        return [table, *extra, *messages, *cell_messages]

    def _shared_parses(self) -> tuple[SharedParses, Callable[[], tuple[Any, ...] | None]]:
        """The final cell parses of the document's earlier tables, and how to
        tell the role context they are valid in (Sphinx's default role and
        domain are part of it). Sphinx clears its per-document data before
        each document."""
        data = document_data(self.env)
        shared = data.get(_SHARED_PARSES)
        if not isinstance(shared, SharedParses):
            shared = data[_SHARED_PARSES] = SharedParses()
        return shared, lambda: role_context(data.get("default_role"), data.get("default_domain"))

    def _described(self, title: nodes.title | None, options: dict[str, Any]) -> str:
        """``df-table 'caption'`` (else its ``:name:``), to say which table a warning is about."""
        label = title.astext() if title is not None else options.get("name", "")
        return f"{self.name} {label!r}" if label else self.name


def setup_directive(app: Sphinx) -> None:
    """Register ``df-table``, its compact rows and the worker's lifecycle."""
    app.add_directive("df-table", DfTableDirective)
    setup_html(app)
    app.add_post_transform(ExpandCompactRows)
    setup_latex(app)
    setup_snippet_runner(app)
