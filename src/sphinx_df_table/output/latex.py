"""The LaTeX side: column specifications that fit the data.

Sphinx typesets a table of more than 30 rows (header rows count too) as
``longtable`` (its header is repeated on every page) with plain ``l`` columns
unless told otherwise, so a wide benchmark table runs off the page; short
tables get ``tabulary``, which sizes its columns but aligns every one to the
left.

For each df-table without user-given ``:widths:`` or a ``tabularcolumns``
directive, this post-transform adds the column specification Sphinx's own
``tabularcolumns`` directive would: for a short table whose columns fit the
page side by side, ``tabulary`` columns ``L``/``R``/``C`` by alignment;
for a long one, ``p`` columns as wide as their content needs (numbers flush
right). Which of the two a table gets is decided by :func:`is_longtable`,
Sphinx's own rule, so the specification always suits the environment
Sphinx chooses (a ``tabulary`` one in a ``longtable`` would be dropped, or
on Sphinx 5.3 break the PDF).

A wider table is *fitted* (:mod:`sphinx_df_table.output.latex_fit` decides
how): set in a smaller type, on a landscape page of its own, or cut into
stacked parts that each repeat the row labels
(:mod:`sphinx_df_table.output.table_parts`), with ``p`` columns as wide as
their content needs (long text columns wrap at spaces). The
``:latex-font-size:`` and ``:latex-landscape:`` options, and the
``df_table_latex_font_size`` and ``df_table_latex_landscape`` settings,
override the choice. A ``longtable`` repeats its merged index labels in
every row they cover, so that a row continued on the next page still shows
its labels.

A second post-transform, :class:`DfTableLatexStyles`, sets the cells that
carry a Styler's CSS: a background as ``\\cellcolor`` (colortbl, which Sphinx's
LaTeX setup loads from 5.3 on), a text colour as ``\textcolor``, bold, italic
and underline as such; a bar (a gradient) and line-through are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.logging import get_node_location

from ..compat import latex_nested_tables_are_never_long
from ..config import LATEX_FONT_SIZE_CHOICES, get_config
from ..diagnostics import DfTableWarning, warn
from ..messages import CELL_STYLE
from .compact_rows import body_rows, column_specs, df_rows, iter_rows, repeat_merged_labels
from .latex_fit import Column, Layout, choose_layout, measure_column
from .table_parts import split_columns

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: Sphinx's threshold for ``longtable``: more rows than this, header rows included.
LONGTABLE_ROWS = 30
#: A column's data alignment (its ``colspec``'s ``df_align``) -> column types.
_TABULARY = {"right": "R", "center": "C"}
_RAGGED = {
    "right": r">{\raggedleft\arraybackslash}",
    "center": r">{\centering\arraybackslash}",
}


def row_count(table: nodes.table) -> int:
    """The rows Sphinx's LaTeX writer counts in ``table``: header and body rows alike.

    Compact rows (the body, and a compact head) count one row per row of
    their ``cells``; other ``row`` nodes (the "... N more rows" row) count
    one each.
    """
    ordinary = sum(1 for row in table.findall(nodes.row) if not isinstance(row.parent, df_rows))
    return ordinary + sum(len(compact["cells"]) for compact in table.findall(df_rows))


def is_longtable(table: nodes.table) -> bool:
    """Whether Sphinx's LaTeX writer will set ``table`` as a ``longtable``.

    Its rule (``sphinx.writers.latex.Table.is_longtable``, the same from
    Sphinx 5.3 on): more than :data:`LONGTABLE_ROWS` rows, counting header
    rows, or the class ``longtable``; but never a table nested in another on
    the versions that say so (see
    :func:`~sphinx_df_table.compat.latex_nested_tables_are_never_long`).
    """
    nested = any(isinstance(node, nodes.table) for node in _ancestors(table))
    if nested and latex_nested_tables_are_never_long():
        return False
    return row_count(table) > LONGTABLE_ROWS or "longtable" in table["classes"]


def _ancestors(node: nodes.Node) -> list[nodes.Node]:
    found = []
    while node.parent is not None:
        node = node.parent
        found.append(node)
    return found


def column_spec(table: nodes.table, rows: df_rows) -> str:
    """The ``tabulary`` specification for a short df-table whose body is ``rows``.

    Column types follow each ``colspec``'s ``df_align`` (never cell classes):
    ``R`` flush right, ``C`` centred, ``L`` otherwise.
    """
    aligns = [spec.get("df_align", "") for spec in column_specs(rows)]
    return "|" + "|".join(_TABULARY.get(a, "L") for a in aligns) + "|"


#: ``:latex-landscape:`` and ``df_table_latex_landscape`` words for "choose".
AUTO = "auto"
#: The node attributes that carry a table's LaTeX options to the post-transform.
FONT_SIZE_ATTRIBUTE, LANDSCAPE_ATTRIBUTE = "df_latex_font_size", "df_latex_landscape"
_TRUE, _FALSE = ("yes", "true", "on", "1"), ("no", "false", "off", "0")


def font_size_option(argument: str | None) -> str:
    """``:latex-font-size:``: ``auto`` or a LaTeX size name (``small``, ``scriptsize``...)."""
    value = (argument or "").strip().lstrip("\\")
    if value not in LATEX_FONT_SIZE_CHOICES:
        raise ValueError(f"expected one of {', '.join(LATEX_FONT_SIZE_CHOICES)}")
    return value


def landscape_option(argument: str | None) -> str:
    """``:latex-landscape:``: none (yes), ``yes``, ``no`` or ``auto``; returns one of the three."""
    value = (argument or "yes").strip().lower() or "yes"
    if value == AUTO:
        return AUTO
    if value in _TRUE:
        return "yes"
    if value in _FALSE:
        return "no"
    raise ValueError("expected no value, or one of yes/no, true/false, on/off, auto")


#: Options merged into the ``df-table`` directive's converters.
LATEX_OPTIONS: dict[str, Callable[[str | None], str]] = {
    "latex-font-size": font_size_option,
    "latex-landscape": landscape_option,
}


def mark_latex_options(table: nodes.table, options: dict[str, Any]) -> None:
    """Note the table's ``:latex-*:`` options on its node for :class:`DfTableLatexColumns`."""
    if "latex-font-size" in options:
        table[FONT_SIZE_ATTRIBUTE] = options["latex-font-size"]
    if "latex-landscape" in options:
        table[LANDSCAPE_ATTRIBUTE] = options["latex-landscape"]


def measure(table: nodes.table, rows: df_rows) -> list[Column]:
    """Each column of ``table`` (whose body is ``rows``) as :func:`choose_layout` sees it.

    Header cells (compact or not, and the label rows ``:header-rows:`` moved into the body)
    count by their longest word, as they wrap between words; cells that span
    several columns (a MultiIndex label over its group) are left out.
    """
    specs = column_specs(rows)
    n_columns = len(specs)
    header: list[list[str]] = [[] for _ in range(n_columns)]
    body: list[list[str]] = [[] for _ in range(n_columns)]
    compact_heads = []
    for thead in table.findall(nodes.thead):
        covered: set[tuple[int, int]] = set()
        for r, row in enumerate(thead.children):
            if isinstance(row, df_rows):  # labels without merged cells
                compact_heads.append(row)
                continue
            column = 0
            for entry in row.children:
                while (r, column) in covered:
                    column += 1
                for below in range(1, entry.get("morerows", 0) + 1):
                    covered.add((r + below, column))
                if not entry.get("morecols", 0) and column < n_columns:
                    header[column].append(entry.astext())
                column += 1 + entry.get("morecols", 0)
    for compact in [*compact_heads, rows]:  # a compact head's rows are all label rows
        for cells in iter_rows(compact):
            for cell in cells:
                text = cell.content if isinstance(cell.content, str) else cell.content.astext()
                (header if cell.label else body)[cell.column].append(text)
    return [
        measure_column(
            body[c], header[c], specs[c].get("df_kind", "text"), stub=bool(specs[c].get("stub"))
        )
        for c in range(n_columns)
    ]


def fitted_column_spec(rows: df_rows, widths: tuple[float, ...]) -> str:
    """A ``tabularcolumns`` specification of ``p`` columns ``widths`` points wide.

    Text is ragged (numbers flush right, as their ``df_align`` says), so a
    wrapping column breaks at spaces without stretching them.
    """
    aligns = [spec.get("df_align", "") for spec in column_specs(rows)]
    ragged = {
        **_RAGGED,
        "": r">{\raggedright\arraybackslash}",
        "left": r">{\raggedright\arraybackslash}",
    }
    columns = [
        f"{ragged.get(a, ragged[''])}p{{{w:.1f}pt}}" for a, w in zip(aligns, widths, strict=True)
    ]
    return "|" + "|".join(columns) + "|"


def _choice(value: Any) -> str | None:
    """An option's or setting's value as the layout wants it: ``None`` for auto."""
    if value in (AUTO, None):
        return None
    return str(value)


def _landscape_choice(value: Any) -> bool | None:
    if value in (AUTO, None):
        return None
    return value in ("yes", True)


def _base_size(config: Any) -> float:
    """The document's type size in points (``latex_elements["pointsize"]``, 10pt by default)."""
    elements = getattr(config, "latex_elements", None) or {}
    match = re.match(r"\s*(\d+(?:\.\d+)?)\s*pt", str(elements.get("pointsize", "10pt")))
    return float(match.group(1)) if match else 10.0


def wrap_in_layout(table: nodes.table, layout: Layout, first: nodes.Node, last: nodes.Node) -> None:
    """Put raw LaTeX for ``layout`` around ``table``: before ``first``, after ``last``.

    ``first`` is the table's column specification or the table; ``last`` the
    table or its last part. The type size and column padding apply to the
    table alone (a group); a landscape table gets a page of its own, turned
    (``pdflscape``).
    """
    before: list[str] = []
    after: list[str] = []
    if layout.landscape:
        before.append(r"\begin{landscape}")
        after.insert(0, r"\end{landscape}")
    if layout.parts or layout.font_size != "normalsize" or layout.tabcolsep is not None:
        # Columns are as wide as their longest word: no word needs hyphenating.
        group = r"\begingroup\hyphenpenalty=10000 \exhyphenpenalty=10000 "
        if layout.font_size != "normalsize":
            group += "\\" + layout.font_size
        if layout.tabcolsep is not None:
            group += rf"\setlength{{\tabcolsep}}{{{layout.tabcolsep:.1f}pt}}"
        before.append(group)
        after.insert(0, r"\endgroup")
    if not before:
        return
    parent = table.parent
    parent.insert(parent.index(first), nodes.raw("", "\n".join(before), format="latex"))
    parent.insert(parent.index(last) + 1, nodes.raw("", "\n".join(after), format="latex"))


class DfTableLatexColumns(SphinxPostTransform):
    """Give df-tables a column specification for LaTeX (see the module docstring).

    Runs before :class:`~sphinx_df_table.output.compact_rows.ExpandCompactRows`
    (priority 5), while the rows are still compact and cheap to measure.
    """

    default_priority = 4
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        """Fit each df-table to the page: its column specification, type size and page."""
        config = get_config(self.config)
        base_pt = _base_size(self.config)
        for table in list(self.document.findall(nodes.table)):
            if "df-table" not in table["classes"]:
                continue
            rows = body_rows(table)
            if rows is None:
                continue
            self.fit(table, rows, config, base_pt)

    def fit(self, table: nodes.table, rows: df_rows, config: Any, base_pt: float) -> None:
        """Choose ``table``'s layout and write it into the doctree (see the module docstring)."""
        font_size = _choice(table.get(FONT_SIZE_ATTRIBUTE, config.latex_font_size))
        landscape = _landscape_choice(table.get(LANDSCAPE_ATTRIBUTE, config.latex_landscape))
        previous = table.previous_sibling()
        if isinstance(previous, addnodes.tabular_col_spec):
            # The author's own tabularcolumns: only what they asked for.
            layout = Layout(font_size or "normalsize", bool(landscape), (), None, True)
            wrap_in_layout(table, layout, previous, table)
            return
        specs = column_specs(rows)
        long = is_longtable(table)
        proportions = None
        if "colwidths-given" in table["classes"]:
            proportions = [spec["colwidth"] for spec in specs]
        layout = choose_layout(
            measure(table, rows),
            labels=sum(1 for spec in specs if spec.get("stub")) or 1,
            base_pt=base_pt,
            font_size=font_size,
            landscape=landscape,
            proportions=proportions,
            sized_by_latex=not long,
        )
        if not layout.fits:
            page = "a landscape" if layout.landscape else "a portrait"
            what = "the :widths: leave a column" if proportions else "a column has"
            warn(
                f"{what} too little room for its text on {page} page in "
                f"\\{layout.font_size} type: it runs past its column in LaTeX/PDF "
                "(shorter text, other :widths:, or a smaller :latex-font-size:)",
                DfTableWarning.LATEX,
                get_node_location(table),
            )
        if long:
            repeat_merged_labels(rows)
        if not layout.parts:
            first: nodes.Node = table
            if proportions is None:
                first = _insert_spec(table, column_spec(table, rows))
            wrap_in_layout(table, layout, first, table)
            return
        parts = [part.columns for part in layout.parts]
        tables = split_columns(table, parts) if len(parts) > 1 else [table]
        for part_table, part in zip(tables, layout.parts, strict=True):
            part_rows = body_rows(part_table)
            assert part_rows is not None  # a part of a table with a compact body
            spec = _insert_spec(part_table, fitted_column_spec(part_rows, part.widths))
            if part_table is table:
                first = spec
        wrap_in_layout(table, layout, first, tables[-1])


def _insert_spec(table: nodes.table, spec_text: str) -> addnodes.tabular_col_spec:
    """Put a ``tabularcolumns`` node with ``spec_text`` before ``table``; returns it."""
    spec = addnodes.tabular_col_spec()
    spec["spec"] = spec_text
    table.parent.insert(table.parent.index(table), spec)
    return spec


def setup_latex(app: Sphinx) -> None:
    """Register the post-transform, and ``pdflscape`` for the turned pages."""
    app.add_post_transform(DfTableLatexColumns)
    app.add_post_transform(DfTableLatexStyles)
    app.add_latex_package("pdflscape")


def latex_style(css: str) -> tuple[str, str, str]:
    """What a cell's CSS (of :data:`~sphinx_df_table.messages.CELL_STYLE`) is in LaTeX.

    Returns ``(cell, before, after)``: ``cell`` goes once at the start of the
    cell (``\\cellcolor``), ``before`` and ``after`` around each paragraph's
    content (colour, bold, italic, underline). Raises :class:`ValueError` for
    CSS outside the grammar.
    """
    if not CELL_STYLE.fullmatch(css):
        raise ValueError(f"{css!r} is not a cell style")
    cell, wrappers = "", []
    for declaration in css.split("; "):
        name, value = declaration.split(": ", 1)
        if name == "background-color":
            cell = f"\\cellcolor[HTML]{{{value[1:].upper()}}}"
        elif name == "color":
            wrappers.append(f"\\textcolor[HTML]{{{value[1:].upper()}}}{{")
        elif name == "font-weight":
            wrappers.append("\\textbf{")
        elif name == "font-style":
            wrappers.append("\\textit{")
        elif value == "underline":
            wrappers.append("\\underline{")
    return cell, "".join(wrappers), "}" * len(wrappers)


class DfTableLatexStyles(SphinxPostTransform):
    """Turn the ``df_style`` of expanded df-table cells into LaTeX (see :func:`latex_style`).

    Runs after :class:`~sphinx_df_table.output.compact_rows.ExpandCompactRows`
    (priority 5), which copies each styled cell's CSS onto its ``entry``.
    """

    default_priority = 6
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        """Add raw LaTeX to every styled cell of the document."""
        for entry in list(self.document.findall(nodes.entry)):
            css = entry.get("df_style")
            if not css:
                continue
            cell, before, after = latex_style(css)
            paragraphs = list(entry.findall(nodes.paragraph))
            if not paragraphs:  # an empty cell can still have a background
                entry.append(nodes.paragraph())
                paragraphs = list(entry.findall(nodes.paragraph))
            for paragraph in paragraphs:
                if before:
                    paragraph.insert(0, nodes.raw("", before, format="latex"))
                    paragraph.append(nodes.raw("", after, format="latex"))
            if cell:
                paragraphs[0].insert(0, nodes.raw("", cell, format="latex"))
