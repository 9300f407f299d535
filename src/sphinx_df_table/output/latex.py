"""The LaTeX side: column specifications that fit the data.

Sphinx typesets a table of more than 30 rows as ``longtable`` (its header is
repeated on every page) with plain ``l`` columns unless told otherwise, so a
wide benchmark table runs off the page; short tables get ``tabulary``, which
sizes its columns but aligns every one to the left.

For each df-table without user-given ``:widths:`` or a ``tabularcolumns``
directive, this post-transform adds the column specification Sphinx's own
``tabularcolumns`` directive would: ``tabulary`` columns ``L``/``R``/``C`` by
alignment for short tables, and for long ones ``\\X{w}{total}`` paragraph
columns whose widths follow the length of their content (numbers set flush
right), so the table wraps within the text width.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

from .compact_rows import df_rows

#: Sphinx's threshold for ``longtable``.
LONGTABLE_ROWS = 30
#: Content length a column's width is proportional to, clamped to this range.
MIN_WIDTH, MAX_WIDTH = 4, 30

_TABULARY = {"align-right": "R", "align-center": "C"}
_RAGGED = {
    "align-right": r">{\raggedleft\arraybackslash}",
    "align-center": r">{\centering\arraybackslash}",
}


def _alignment(rows: df_rows, column: int) -> str:
    classes: list[str] = rows["classes_by_column"][column]
    return next((c for c in classes if c in _TABULARY), "")


def content_widths(table: nodes.table, rows: df_rows) -> list[int]:
    """Each column's longest text (header and body), clamped, as its weight."""
    n_columns = len(rows["classes_by_column"])
    longest = [0] * n_columns
    for thead in table.findall(nodes.thead):
        for row in thead.children:
            for column, entry in enumerate(row.children[:n_columns]):
                # Header labels wrap between words: their longest word counts.
                words = entry.astext().split() or [""]
                longest[column] = max(longest[column], *(len(w) for w in words))
    detached = rows["detached"]
    attached = iter([c for c in rows.children if isinstance(c, nodes.entry)])
    for cells in rows["cells"]:
        for column, cell in enumerate(cells):
            if isinstance(cell, str):
                length = len(cell)
            elif cell is None:
                length = len(next(attached).astext())
            elif cell >= 0:
                length = len(detached[cell].astext())
            else:
                continue
            longest[column] = max(longest[column], length)
    return [min(max(length, MIN_WIDTH), MAX_WIDTH) for length in longest]


def column_spec(table: nodes.table, rows: df_rows) -> str:
    """The ``tabularcolumns`` specification for one df-table."""
    n_columns = len(rows["classes_by_column"])
    aligns = [_alignment(rows, column) for column in range(n_columns)]
    if len(rows["cells"]) <= LONGTABLE_ROWS:
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
