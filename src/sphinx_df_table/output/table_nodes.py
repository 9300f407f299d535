"""Table text -> docutils nodes: ``table > tgroup > colspec*, thead, tbody``.

The structure is the one docutils' own table directives build
(``ListTable.build_table_from_list``), so every writer (HTML, LaTeX, text, man,
texinfo, ...) and every theme treats a df-table like any other table.

Cell text goes through a :class:`CellParser`: :func:`plain_cell_parser` for
literal text, or :class:`~sphinx_df_table.output.cell_markup.RstCellParser` for
inline reST markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from docutils import nodes

from ..errors import DfTableError
from ..messages import TableData
from .compact_rows import COVERED, Cell, is_final, make_rows_node, smartquotable
from .spans import MORE_ROWS_CLASS


class CellParser(Protocol):
    """Turns cell text into inline nodes, when it holds markup."""

    def __call__(self, text: str) -> tuple[list[nodes.Node], list[nodes.system_message]] | None:
        """(inline nodes, system messages), or ``None`` when ``text`` stays plain text."""

    def may_have_markup(self, text: str) -> bool:
        """``False`` when no part of ``text`` (cells joined by newlines) is parsed."""

    def shared_entry(self, text: str, as_written: bool) -> nodes.entry | None:
        """A detached entry of ``text`` that another table made and shares, or ``None``."""

    def share_entry(self, text: str, as_written: bool, entry: nodes.entry) -> None:
        """Offer the detached ``entry`` made of ``text`` to other tables (or not)."""


#: A character that no sort key has (they are float reprs, ``Infinity``, ``""``).
_NOT_IN_A_KEY = re.compile(r"[^-+.0-9eEInfity]")


def _checked_sort_keys(keys: list[str] | None, n_rows: int) -> list[str] | None:
    """``keys`` when they are one number text per body row, else ``None`` (sort as text).

    The HTML writer puts keys in attributes unescaped, for speed; only a worker
    that a snippet tampered with could send anything else.
    """
    if keys is None or len(keys) != n_rows or _NOT_IN_A_KEY.search("".join(keys)):
        return None
    return keys


class TableShapeError(DfTableError, ValueError):
    """The options do not fit the table (too many header rows, widths, ...)."""


class _PlainCells:
    def __call__(self, text: str) -> None:
        return None

    def may_have_markup(self, text: str) -> bool:
        return False

    def shared_entry(self, text: str, as_written: bool) -> None:
        return None

    def share_entry(self, text: str, as_written: bool, entry: nodes.entry) -> None:
        pass


def plain_cell_parser() -> CellParser:
    """Cells as literal text: the parser returns ``None`` (no markup) for every cell."""
    return _PlainCells()


def column_widths(n_columns: int, widths: Sequence[int] | str | None) -> list[int]:
    """Relative column widths, docutils' rule: given widths must match the columns.

    ``widths`` is a list of integers (one per column), ``"auto"`` or ``None``
    (then every column gets an equal share of 100). Raises
    :class:`TableShapeError` when a list has the wrong length.
    """
    if isinstance(widths, list):
        if len(widths) != n_columns:
            raise TableShapeError(
                f":widths: has {len(widths)} values but the table has {n_columns} columns"
            )
        return list(widths)
    return [100 // n_columns] * n_columns


def _split_spans(
    spans: list[list[int]], n_header: int
) -> tuple[dict[tuple[int, int], tuple[int, int]], dict[tuple[int, int], int]]:
    """Header spans (morerows, morecols) by grid cell; body row spans by body cell.

    A span that crosses the header/body split (``:header-rows:`` moved it) is
    split there: its header part and its body part are each merged, and the
    body part starts with the label again (see :func:`_repeat_labels`). The
    body merges rows only, so a column span in a label row moved into the
    body is shown unmerged, its label in every column it spanned.
    """
    head: dict[tuple[int, int], tuple[int, int]] = {}
    body: dict[tuple[int, int], int] = {}
    for row, column, morerows, morecols in spans:
        bottom = row + morerows
        if row < n_header:
            head[row, column] = (min(bottom, n_header - 1) - row, morecols)
        start = max(row, n_header)
        if bottom > start:
            for each in range(column, column + morecols + 1):
                body[start - n_header, each] = bottom - start
    return head, body


def _repeat_labels(grid: list[list[str]], spans: list[list[int]]) -> list[list[str]]:
    """``grid`` with each merged cell's text also in the cells it covers.

    Whatever is shown unmerged or split then shows the label, not an empty
    cell; cells that stay covered are never shown. Only the rows a span covers
    are copied (``grid``'s rows are the worker's, shared with the result).
    """
    grid = list(grid)
    copied: set[int] = set()
    for row, column, morerows, morecols in spans:
        text = grid[row][column]
        for r in range(row, row + morerows + 1):
            if r not in copied:
                grid[r] = list(grid[r])
                copied.add(r)
            for c in range(column, column + morecols + 1):
                grid[r][c] = text
    return grid


def _covered(spans: dict[tuple[int, int], tuple[int, int]]) -> set[tuple[int, int]]:
    return {
        (row + dr, column + dc)
        for (row, column), (morerows, morecols) in spans.items()
        for dr in range(morerows + 1)
        for dc in range(morecols + 1)
        if dr or dc
    }


def build_table(
    data: TableData,
    *,
    parse: CellParser,
    header_rows: int | None = None,
    stub_columns: int | None = None,
    widths: Sequence[int] | str | None = None,
    align: Sequence[str] | None = None,
    literal: bool = False,
    search_index: str = "all",
) -> tuple[nodes.table, list[nodes.system_message]]:
    """Assemble the table node; ``header_rows`` defaults to the column-label rows.

    ``header_rows`` counts rows of the whole grid (label rows, then data rows),
    as ``csv-table`` counted rows of the CSV text that pandas wrote: existing
    pages with ``:header-rows: 1`` get their labels as the one header row.
    ``stub_columns`` defaults to the index columns; ``align`` (one of
    ``left``/``right``/``center``/``""`` per column) to the worker's column
    facts (numbers on the right). ``literal`` (``:markup: none``) shows
    every cell's text as it is: smart quotes never change it. Data cells of a
    ``formatted`` column (a Styler's or a format option's text) are shown as
    they are in any case; the other cells follow the ``smartquotes`` setting
    like the rest of the page. ``search_index`` (``df_table_search_index``)
    says which body cells' words the HTML search index gets: ``"all"``,
    ``"text"`` (those of text columns, and label cells) or ``"none"``.

    Each ``colspec`` carries its column's facts for the writers: ``df_kind``
    and ``df_align``. Alignment and sort keys apply to data cells only: label
    rows that ``:header-rows:`` moves into the body are laid out as text, and
    data rows it moves into the head are header cells (without a Styler's
    colours or a ``:highlight:`` mark, which body cells keep). The body is one
    :class:`~sphinx_df_table.output.compact_rows.df_rows` node, then a "... N
    more rows" row when rows were left out; the head is one too, all label
    rows, unless a label spans cells (those are ordinary rows).

    Returns the table and the system messages of cells whose markup had
    problems. Raises :class:`TableShapeError` when the options do not fit.
    """
    grid = _repeat_labels([*data.header, *data.body], data.spans)
    n_columns = data.n_columns
    n_header = len(data.header) if header_rows is None else header_rows
    stub_columns = data.index_columns if stub_columns is None else stub_columns
    if n_header >= len(grid):
        raise TableShapeError(
            f":header-rows: {n_header} leaves no body rows (the table has {len(grid)} rows "
            f"including {len(data.header)} column-label row(s))"
        )
    if stub_columns >= n_columns:
        raise TableShapeError(
            f":stub-columns: {stub_columns} leaves no data columns "
            f"(the table has {n_columns} columns)"
        )
    default_alignment = [facts.align for facts in data.columns] or [""] * n_columns
    alignment = list(align) if align is not None else default_alignment
    if len(alignment) != n_columns:
        raise TableShapeError(
            f":align-columns: has {len(alignment)} values but the table has {n_columns} columns"
        )
    table = nodes.table()
    if widths == "auto":
        table["classes"].append("colwidths-auto")
    elif widths:
        table["classes"].append("colwidths-given")
    tgroup = nodes.tgroup(cols=n_columns)
    table += tgroup
    kinds = [facts.kind for facts in data.columns] or ["text"] * n_columns
    formatted = [facts.formatted for facts in data.columns] or [False] * n_columns
    n_labels = len(data.header)

    def as_written(grid_row: int, column: int) -> bool:
        """Whether smart quotes must leave this cell alone."""
        return literal or (grid_row >= n_labels and formatted[column])

    for index, width in enumerate(column_widths(n_columns, widths)):
        colspec = nodes.colspec(colwidth=width, df_kind=kinds[index], df_align=alignment[index])
        if index < stub_columns:
            colspec["stub"] = True
        tgroup += colspec
    head_spans, body_spans = _split_spans(data.spans, n_header)
    covered_head = _covered(head_spans)

    messages: list[nodes.system_message] = []

    def make_entry(
        text: str,
        parsed: tuple[list[nodes.Node], list[nodes.system_message]] | None,
        exempt: bool,
    ) -> nodes.entry:
        entry = nodes.entry()
        if exempt and smartquotable(text):
            # Sphinx's SmartQuotes skips text under a node that says so.
            entry["support_smartquotes"] = False
        if parsed is None:
            entry += nodes.paragraph(text, "", nodes.Text(text))
        else:
            entry += nodes.paragraph(text, "", *parsed[0])
            messages.extend(parsed[1])
        return entry

    def compact(
        rows: list[list[str]], first_grid_row: int, covered: set[tuple[int, int]]
    ) -> tuple[list[list[Cell]], list[nodes.entry], list[nodes.entry]]:
        """Cells of ``rows`` for a :class:`df_rows` node, with its attached and detached entries.

        Plain cells stay strings; only cells with markup, or text smart quotes
        would change, become nodes, and of those only the ones that transforms
        must see are attached to the tree. ``first_grid_row``: where ``rows``
        start in the grid; ``covered``: their cells under a merged cell.
        """
        cells: list[list[Cell]] = []
        rich: list[nodes.entry] = []
        detached: list[nodes.entry] = []
        # A final cell's nodes never change, so equal cells share one detached
        # entry (a benchmark table repeats its link down a column): no copies to
        # make, pickle or write more than once.
        shared: dict[tuple[str, bool], int] = {}
        # Most columns of a benchmark table (numbers) have no cell with markup or
        # text smart quotes would change: one search of the whole column tells,
        # instead of two per cell.
        plain_columns = [
            not parse.may_have_markup(column) and not smartquotable(column)
            for column in ("\n".join(row[c] for row in rows) for c in range(n_columns))
        ]
        # Only these columns' cells are looked at one by one (in row-major order,
        # the order of the attached entries); the others are copied as they are.
        looked_at = [c for c, plain in enumerate(plain_columns) if not plain]
        covered_in_row: dict[int, list[int]] = {}
        for r, c in sorted(covered):
            covered_in_row.setdefault(r, []).append(c)
        for r, texts in enumerate(rows):
            row_cells: list[Cell] = list(texts)
            hidden = covered_in_row.get(r, ())
            for c in hidden:
                row_cells[c] = COVERED
            for c in looked_at:
                text = texts[c]
                if not text or c in hidden:
                    continue
                exempt = as_written(first_grid_row + r, c)
                if (text, exempt) in shared:
                    row_cells[c] = shared[text, exempt]
                    continue
                # The same link on another table of the page: one entry for all.
                entry = parse.shared_entry(text, exempt)
                if entry is not None:
                    shared[text, exempt] = row_cells[c] = len(detached)
                    detached.append(entry)
                    continue
                parsed = parse(text)
                quotes = not exempt and smartquotable(text)
                if parsed is None and not quotes:
                    continue  # plain after all
                if parsed is not None and not quotes and is_final(parsed[0]):
                    shared[text, exempt] = row_cells[c] = len(detached)
                    entry = make_entry(text, parsed, exempt)
                    parse.share_entry(text, exempt, entry)
                    detached.append(entry)
                else:
                    row_cells[c] = None
                    rich.append(make_entry(text, parsed, exempt))
            cells.append(row_cells)
        return cells, rich, detached

    if n_header and not head_spans:
        # The column labels, compact too: on a page of benchmark tables their
        # entries were most of the doctree's nodes. Every row of the head is
        # laid out as labels (no alignment, sort keys or styles).
        head_cells, head_rich, head_detached = compact(grid[:n_header], 0, set())
        thead = nodes.thead()
        thead += make_rows_node(head_cells, head_rich, head_detached, label_rows=n_header)
        tgroup += thead
    elif n_header:  # merged label cells (MultiIndex columns): ordinary rows
        thead = nodes.thead()
        for r, texts in enumerate(grid[:n_header]):
            row = nodes.row()
            for c, text in enumerate(texts):
                if (r, c) in covered_head:
                    continue
                entry = make_entry(text, parse(text), as_written(r, c)) if text else nodes.entry()
                morerows, morecols = head_spans.get((r, c), (0, 0))
                if morerows:
                    entry["morerows"] = morerows
                if morecols:
                    entry["morecols"] = morecols
                row += entry
            thead += row
        tgroup += thead

    covered_body = {(r + dr, c) for (r, c), more in body_spans.items() for dr in range(1, more + 1)}
    cells, rich, detached = compact(grid[n_header:], n_header, covered_body)
    # The body starts with the label rows :header-rows: moved there, if any;
    # if it moved data rows into the head instead, their keys are not needed.
    label_rows = max(len(data.header) - n_header, 0)
    first_data_row = max(n_header - len(data.header), 0)
    tbody = nodes.tbody()
    # Styled and highlighted cells, from body rows to rows of df_rows (data
    # rows that :header-rows: moved into the head are shown without them).
    shift = len(data.header) - n_header
    tbody += make_rows_node(
        cells,
        rich,
        detached,
        rowspans=[[r, c, more] for (r, c), more in sorted(body_spans.items())],
        label_rows=label_rows,
        sort_keys=[
            None if checked is None else checked[first_data_row:]
            for checked in (_checked_sort_keys(keys, len(data.body)) for keys in data.sort_keys)
        ],
        styled=[
            [row + shift, column, data.styles[style]]
            for row, column, style in data.styled
            if row + shift >= 0
        ],
        highlighted=[[row + shift, column] for row, column in data.highlighted if row + shift >= 0],
        searched=None
        if search_index == "all"
        else [search_index == "text" and kind == "text" for kind in kinds],
    )
    if data.truncated:
        more = nodes.entry(morecols=n_columns - 1, classes=[MORE_ROWS_CLASS])
        text = f"\u2026 {data.truncated:,} more rows"
        more += nodes.paragraph(text, "", nodes.emphasis(text, text))
        tbody += nodes.row("", more)
    tgroup += tbody
    return table, messages
