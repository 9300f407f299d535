"""The LaTeX side: column specifications that fit the data.

Sphinx typesets a table of more than 30 rows (header rows count too) as
``longtable`` (its header is repeated on every page) with plain ``l`` columns
unless told otherwise, so a wide benchmark table runs off the page; short
tables get ``tabulary``, which sizes its columns but aligns every one to the
left.

For each df-table without user-given ``:widths:`` or a ``tabularcolumns``
directive, this post-transform adds the column specification Sphinx's own
``tabularcolumns`` directive would: ``tabulary`` columns ``L``/``R``/``C`` by
alignment for short tables, and for long ones ``\\X{w}{total}`` paragraph
columns whose widths follow the length of their content (numbers set flush
right), so the table wraps within the text width. Which of the two a table
gets is decided by :func:`is_longtable`, Sphinx's own rule, so the
specification always suits the environment Sphinx chooses (a ``tabulary``
one in a ``longtable`` would be dropped, or on Sphinx 5.3 break the PDF).

A second post-transform, :class:`DfTableLatexStyles`, sets the cells that
carry a Styler's CSS: a background as ``\\cellcolor`` (colortbl, which Sphinx's
LaTeX setup loads from 5.3 on), a text colour as ``\textcolor``, bold, italic
and underline as such; a bar (a gradient) and line-through are left out.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

from ..compat import latex_nested_tables_are_never_long
from ..messages import CELL_STYLE
from .compact_rows import column_specs, df_rows, iter_rows

#: Sphinx's threshold for ``longtable``: more rows than this, header rows included.
LONGTABLE_ROWS = 30
#: Content length a column's width is proportional to, clamped to this range.
MIN_WIDTH, MAX_WIDTH = 4, 30

#: A column's data alignment (its ``colspec``'s ``df_align``) -> column types.
_TABULARY = {"right": "R", "center": "C"}
_RAGGED = {
    "right": r">{\raggedleft\arraybackslash}",
    "center": r">{\centering\arraybackslash}",
}


def content_widths(table: nodes.table, rows: df_rows) -> list[int]:
    """Each column's longest text (header and body), clamped, as its weight.

    ``rows`` is the body of ``table``; returns one weight per column, each in
    ``MIN_WIDTH..MAX_WIDTH`` characters.
    """
    n_columns = len(column_specs(rows))
    longest = [0] * n_columns
    for thead in table.findall(nodes.thead):
        for row in thead.children:
            for column, entry in enumerate(row.children[:n_columns]):
                # Header labels wrap between words: their longest word counts.
                words = entry.astext().split() or [""]
                longest[column] = max(longest[column], *(len(w) for w in words))
    for cells in iter_rows(rows):
        for cell in cells:
            text = cell.content if isinstance(cell.content, str) else cell.content.astext()
            longest[cell.column] = max(longest[cell.column], len(text))
    return [min(max(length, MIN_WIDTH), MAX_WIDTH) for length in longest]


def row_count(table: nodes.table, rows: df_rows) -> int:
    """The rows Sphinx's LaTeX writer counts in ``table``: header and body rows alike.

    ``rows`` (the compact body) counts one row per row of its ``cells``; other
    ``row`` nodes (the "... N more rows" row) count one each.
    """
    ordinary = sum(1 for row in table.findall(nodes.row) if not isinstance(row.parent, df_rows))
    return ordinary + len(rows["cells"])


def is_longtable(table: nodes.table, rows: df_rows) -> bool:
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
    return row_count(table, rows) > LONGTABLE_ROWS or "longtable" in table["classes"]


def _ancestors(node: nodes.Node) -> list[nodes.Node]:
    found = []
    while node.parent is not None:
        node = node.parent
        found.append(node)
    return found


def column_spec(table: nodes.table, rows: df_rows) -> str:
    """The ``tabularcolumns`` specification for one df-table whose body is ``rows``.

    ``tabulary`` columns for a table that :func:`is_longtable` says is short,
    width-weighted ``\\X`` columns for a long one. Column types follow each
    ``colspec``'s ``df_align`` (never cell classes).
    """
    aligns = [spec.get("df_align", "") for spec in column_specs(rows)]
    if not is_longtable(table, rows):
        return "|" + "|".join(_TABULARY.get(a, "L") for a in aligns) + "|"
    widths = content_widths(table, rows)
    total = sum(widths)
    columns = [
        f"{_RAGGED.get(a, '')}\\X{{{w}}}{{{total}}}" for a, w in zip(aligns, widths, strict=True)
    ]
    return "|" + "|".join(columns) + "|"


class DfTableLatexColumns(SphinxPostTransform):
    """Give df-tables a column specification for LaTeX (see the module docstring).

    Runs before :class:`~sphinx_df_table.output.compact_rows.ExpandCompactRows`
    (priority 5), while the rows are still compact and cheap to measure.
    """

    default_priority = 4
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        """Insert a ``tabular_col_spec`` before each df-table that has none."""
        for table in list(self.document.findall(nodes.table)):
            if "df-table" not in table["classes"] or "colwidths-given" in table["classes"]:
                continue
            previous = table.previous_sibling()
            if isinstance(previous, addnodes.tabular_col_spec):
                continue  # the author's own tabularcolumns
            rows = next(table.findall(df_rows), None)
            if rows is None:
                continue
            spec = addnodes.tabular_col_spec()
            spec["spec"] = column_spec(table, rows)
            table.parent.insert(table.parent.index(table), spec)


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
