"""Wide interactive tables: frozen columns, hidden columns and per-column filters.

Three options of ``df-table`` that apply to ``:interactive:`` tables in HTML:

* ``:freeze-columns: N``: the first ``N`` columns stay in view while the table
  scrolls sideways. Default: the stub (index) columns, else the first column
  when it holds text (a model name), else none.
* ``:hidden-columns:``: labels of columns the script hides when the page
  opens; readers show them again from the column picker. They stay in the
  HTML (for readers without the script) and in the CSV download.
* ``:filter-columns:``: labels of columns that get a select of their values
  above the table, or ``none``. Default: the text columns whose values
  repeat, with 2 to :data:`MAX_AUTO_FILTER_VALUES` distinct values.

The decisions are made here, at build time, from the table's data, and
handed to the script as classes of the ``<table>`` element (the HTML writers
write a table's classes and nothing else of its own): ``df-table-freeze-N``,
``df-table-hide-C`` and ``df-table-filter-C``, ``C`` a column number counted
from 0 (index columns included). ``df-table-freeze-first`` also marks a table
whose first column the stylesheet can freeze without the script (no merged
cells in it). Other output formats ignore these classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docutils.parsers.rst import directives

from ..config import DfTableConfig
from .interactive import wants_interactive

if TYPE_CHECKING:
    from docutils import nodes

    from ..directives.snippet import Converter
    from ..messages import TableData

#: The most distinct values a column may have to get a filter by default.
MAX_AUTO_FILTER_VALUES = 10

#: Joins the labels of a column's header rows into its name ("Latency / P50").
LEVEL_SEPARATOR = " / "


def labels_option(argument: str | None) -> list[str]:
    """Column labels, one per line (a label may hold commas); raises ``ValueError`` if none."""
    labels = [line.strip() for line in str(directives.unchanged_required(argument)).splitlines()]
    return [label for label in labels if label]


def filter_columns_option(argument: str | None) -> list[str]:
    """``none`` (no filters: an empty list), or labels as :func:`labels_option` reads them."""
    if (argument or "").strip().lower() == "none":
        return []
    return labels_option(argument)


#: Options merged into the ``df-table`` directive's converters.
WIDE_OPTIONS: dict[str, Converter] = {
    "freeze-columns": directives.nonnegative_int,
    "hidden-columns": labels_option,
    "filter-columns": filter_columns_option,
}


def column_names(data: TableData) -> list[str]:
    """Each column's name: its header rows' labels joined by :data:`LEVEL_SEPARATOR`.

    A label merged across columns counts for each of them; empty labels and
    a label repeated in the next row are left out. The script names the
    columns in its picker the same way, from the header it is given.
    """
    header = [list(row) for row in data.header]
    for top, left, morerows, morecols in data.spans:
        for r in range(top, min(top + morerows + 1, len(header))):
            for c in range(left, left + morecols + 1):
                header[r][c] = data.header[top][left]
    names = []
    for column in range(data.n_columns):
        parts: list[str] = []
        for labels in header:
            text = labels[column].strip()
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        names.append(LEVEL_SEPARATOR.join(parts))
    return names


def _columns_named(
    labels: list[str], names: list[str], leaves: list[str], option: str
) -> tuple[list[int], list[str]]:
    """The columns ``labels`` name, and a message for each label that names none.

    A label names the columns whose full name or whose last header row's label
    it is (so ``P50`` names every column labelled so, under any group).
    """
    found: list[int] = []
    problems = []
    for label in labels:
        matching = [c for c in range(len(names)) if label in (names[c], leaves[c])]
        if not matching:
            problems.append(f":{option}: no column is labelled {label!r}")
        found.extend(c for c in matching if c not in found)
    return sorted(found), problems


def default_freeze(data: TableData, stub_columns: int | None) -> int:
    """The stub columns (the index, or ``:stub-columns:``), else 1 when the
    first column holds text, else 0."""
    stubs = data.index_columns if stub_columns is None else stub_columns
    if stubs:
        return stubs
    return 1 if data.columns and data.columns[0].kind == "text" else 0


def auto_filter_columns(data: TableData) -> list[int]:
    """The text columns whose values repeat, with 2 to :data:`MAX_AUTO_FILTER_VALUES` values.

    Empty cells do not count as a value. Columns of other kinds (numbers,
    dates) are never chosen: readers sort those.
    """
    chosen = []
    for column, facts in enumerate(data.columns):
        if facts.kind != "text":
            continue
        values = [row[column] for row in data.body if row[column]]
        distinct = len(set(values))
        if 2 <= distinct <= MAX_AUTO_FILTER_VALUES and 2 * distinct <= len(values):
            chosen.append(column)
    return chosen


def _first_column_merged(data: TableData) -> bool:
    """Whether a merged cell spans rows in the first column (the index shown merged)."""
    return any(column == 0 and morerows for _row, column, morerows, _ in data.spans)


def mark_wide_table(
    table: nodes.table,
    data: TableData,
    options: dict[str, Any],
    config: DfTableConfig,
) -> list[str]:
    """Add the classes that tell the script which columns to freeze, hide and filter.

    Only for an interactive table; on any other table the three options give
    a message each and do nothing. Returns the messages (for
    ``df_table.option`` warnings): options that do not apply, labels that
    name no column, a ``:freeze-columns:`` that leaves no column to scroll,
    ``:hidden-columns:`` that would hide them all (then none is hidden).
    The table is shown in any case.
    """
    given = [name for name in WIDE_OPTIONS if name in options]
    if not wants_interactive(options, config):
        return [f":{name}: applies to :interactive: tables only" for name in given]
    messages: list[str] = []
    n_columns = data.n_columns
    freeze = options.get("freeze-columns")
    if freeze is None:
        freeze = min(default_freeze(data, options.get("stub-columns")), n_columns - 1)
    elif freeze >= n_columns:
        messages.append(
            f":freeze-columns: {freeze} leaves no column to scroll "
            f"(the table has {n_columns} columns)"
        )
        freeze = 0
    names = column_names(data)
    leaves = [data.header[-1][c].strip() if data.header else "" for c in range(n_columns)]
    hidden, problems = _columns_named(
        options.get("hidden-columns", []), names, leaves, "hidden-columns"
    )
    messages += problems
    if hidden and len(hidden) == n_columns:
        messages.append(":hidden-columns: would hide every column")
        hidden = []
    if "filter-columns" in options:
        filters, problems = _columns_named(
            options["filter-columns"], names, leaves, "filter-columns"
        )
        messages += problems
    else:
        filters = auto_filter_columns(data)
    classes = table["classes"]
    if freeze:
        classes.append(f"df-table-freeze-{freeze}")
        if not _first_column_merged(data):
            classes.append("df-table-freeze-first")
    classes += [f"df-table-hide-{c}" for c in hidden]
    classes += [f"df-table-filter-{c}" for c in filters]
    return messages
