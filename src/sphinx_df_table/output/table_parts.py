"""A table's columns as stacked parts: for a page too narrow for all of them.

:func:`split_columns` turns one df-table (compact rows not yet expanded)
into several tables, each with some of the columns, so that each fits the
page; :mod:`sphinx_df_table.output.latex` decides which columns go where
(each part repeats the columns that label the rows).
"""

from __future__ import annotations

from collections.abc import Sequence

from docutils import nodes

from .compact_rows import df_rows


def split_columns(table: nodes.table, parts: Sequence[Sequence[int]]) -> list[nodes.table]:
    """``table`` cut into one table per item of ``parts`` (the column indexes it keeps).

    The first part is ``table`` itself, changed in place; the others are
    copies placed after it, without title and without ids (the table's
    label and number stay with the first part). Merged cells keep the
    columns of theirs that a part keeps. Returns the parts in order.
    """
    copies = [table.deepcopy() for _ in parts[1:]]
    for copy in copies:
        for element in copy.findall(nodes.Element):
            element["ids"] = []
            element["names"] = []
        for title in list(copy.findall(nodes.title)):
            if title.parent is copy:
                copy.remove(title)
    tables = [table, *copies]
    for part, keep in zip(tables, parts, strict=True):
        _keep_columns(part, list(keep))
    parent = table.parent
    at = parent.index(table)
    for offset, copy in enumerate(copies, start=1):
        parent.insert(at + offset, copy)
    return tables


def _keep_columns(table: nodes.table, keep: list[int]) -> None:
    """Remove every column of ``table`` that ``keep`` does not list, in place."""
    tgroup = next(iter(table.findall(nodes.tgroup)))
    colspecs = [child for child in tgroup.children if isinstance(child, nodes.colspec)]
    for index, colspec in enumerate(colspecs):
        if index not in keep:
            tgroup.remove(colspec)
    tgroup["cols"] = len(keep)
    for section in tgroup.children:
        if isinstance(section, (nodes.thead, nodes.tbody)):
            _keep_in_rows([row for row in section.children if isinstance(row, nodes.row)], keep)
            for rows in section.children:
                if isinstance(rows, df_rows):
                    _keep_in_compact(rows, keep)


def _keep_in_rows(rows: list[nodes.row], keep: list[int]) -> None:
    """Keep the cells of ``rows`` (one ``thead`` or ``tbody``) in ``keep``'s columns.

    A merged cell stays if it covers a kept column, spanning the kept
    columns it covered.
    """
    covered: set[tuple[int, int]] = set()
    for r, row in enumerate(rows):
        column = 0
        kept_entries = []
        for entry in list(row.children):
            while (r, column) in covered:
                column += 1
            span = range(column, column + entry.get("morecols", 0) + 1)
            for below in range(1, entry.get("morerows", 0) + 1):
                covered.update((r + below, c) for c in span)
            kept = [c for c in span if c in keep]
            if kept:
                if len(kept) > 1:
                    entry["morecols"] = len(kept) - 1
                else:
                    entry.attributes.pop("morecols", None)
                kept_entries.append(entry)
            column = span.stop
        row.children = []
        row.extend(kept_entries)


def _keep_in_compact(node: df_rows, keep: list[int]) -> None:
    """Keep the cells of compact rows in ``keep``'s columns (see :class:`df_rows`)."""
    attached = iter([child for child in node.children if isinstance(child, nodes.entry)])
    kept_attached = []
    for row in node["cells"]:
        for column, cell in enumerate(row):
            if cell is None:
                entry = next(attached)
                if column in keep:
                    kept_attached.append(entry)
    words = [child for child in node.children if isinstance(child, nodes.Text)]
    node.children = []
    node.extend([*kept_attached, *words])
    node["cells"] = [[row[c] for c in keep] for row in node["cells"]]
    node["detached"] = list(node["detached"])
    node["rowspans"] = [
        [r, keep.index(c), more] for r, c, more in node.get("rowspans", []) if c in keep
    ]
    if node.get("sort_keys"):
        node["sort_keys"] = [node["sort_keys"][c] for c in keep]
