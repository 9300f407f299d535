"""Which table structures a writer can draw, and merged cells for those that cannot.

This is the one place that decides it. HTML (and EPUB, HTML help, ...),
LaTeX, text and the XML builders draw merged cells (``morerows`` and
``morecols``). docutils' man page writer draws neither (it warns, and the
cells after a row span move one column left); Texinfo's ``@multitable`` has
no merged cells either (after a row span the row shifts, silently). For those,
and for any builder whose format is not known to draw them, every merged cell
of a df-table is *unmerged*: each cell it covered gets a copy of its content,
so every value stays in its own column, and no writer warns.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes

#: Builder formats whose writers draw ``morerows`` and ``morecols``.
SPANNING_FORMATS = frozenset({"html", "latex", "text", "xml", "pseudoxml"})

#: The class of the "... N more rows" row's one wide cell; unmerged, it keeps
#: its text in the first column and leaves the others empty.
MORE_ROWS_CLASS = "df-table-more"


def draws_spans(builder: Any) -> bool:
    """Whether ``builder`` (a builder or its class) draws merged table cells."""
    return getattr(builder, "format", "") in SPANNING_FORMATS


def _copy(entry: nodes.entry) -> nodes.entry:
    """A copy of ``entry`` for a cell it covered, without ids (they must stay unique)."""
    if MORE_ROWS_CLASS in entry["classes"]:
        return nodes.entry()
    copy = entry.deepcopy()
    for node in copy.findall(nodes.Element):
        node["ids"] = []
    return copy


def _unmerge_rows(rows: list[nodes.row]) -> None:
    """Unmerge every merged cell of ``rows`` (one ``thead`` or ``tbody``), in place."""
    pending: dict[tuple[int, int], nodes.entry] = {}
    for r, row in enumerate(rows):
        entries = iter(list(row.children))
        cells: list[nodes.Node] = []
        column = 0
        while True:
            if (r, column) in pending:
                cells.append(_copy(pending.pop((r, column))))
                column += 1
                continue
            entry = next(entries, None)
            if entry is None:
                break
            morerows = entry.attributes.pop("morerows", 0)
            morecols = entry.attributes.pop("morecols", 0)
            for dr in range(morerows + 1):
                for dc in range(morecols + 1):
                    if dr or dc:
                        pending[r + dr, column + dc] = entry
            cells.append(entry)
            column += 1
        row.children = []
        row.extend(cells)


def unmerge(table: nodes.table) -> None:
    """Turn every merged cell of ``table`` into one cell per grid position, in place.

    Each position a merged cell covered gets a copy of its content (the label
    text repeated); the "... N more rows" cell keeps its text in the first
    column only. Header and body are unmerged separately (no span crosses
    them). The rows must be ordinary ``row`` nodes (compact rows expanded).
    """
    for section in table.findall(lambda node: isinstance(node, (nodes.thead, nodes.tbody))):
        _unmerge_rows([row for row in section.children if isinstance(row, nodes.row)])
