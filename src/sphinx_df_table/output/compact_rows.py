"""Body rows kept compact until a writer needs them: the fast path for big tables.

Sphinx spends most of a table-heavy build walking cell nodes (transforms,
``findall``, smartquotes, pickling, the writers): a 5,000 x 17 table is ~85,000
``entry > paragraph > Text`` trees. Most cells are plain text that no transform
would change, so a :class:`df_rows` node holds them as strings, and only the
cells that need the node tree (inline markup, text smartquotes would change)
are real ``entry`` children, in row-major order, where transforms and
reference resolution see them as usual.

Rich cells whose nodes are already final (an extlinks ``reference`` with a
``refuri``, emphasis, literals: see :func:`is_final`) need no transform either;
they are kept in the node's ``detached`` list, out of the tree that transforms
walk. Cells that need resolution (``pending_xref`` from ``:ref:``/``:doc:``,
named targets, substitutions, footnotes, math, ...) stay attached.

HTML writers turn ``df_rows`` into ``<tr>`` elements directly
(:mod:`sphinx_df_table.output.html_tables`), with exactly the markup docutils'
writer gives ordinary table rows. For every
other output format, :class:`ExpandCompactRows` turns it back into ordinary
``row > entry > paragraph`` nodes early in the post-transforms, so LaTeX, text,
man, texinfo, XML, ... need no special support.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

from .spans import draws_spans, unmerge

#: Text that Sphinx's smartquotes (quotes, dashes, ellipses) might change.
_SMARTQUOTABLE = re.compile(r"['\"]|--|\.\.\.")


#: Inline nodes that no transform changes once the parser made them.
_FINAL_NODES = (
    nodes.Text,
    nodes.emphasis,
    nodes.strong,
    nodes.literal,
    nodes.inline,
    nodes.subscript,
    nodes.superscript,
    nodes.title_reference,
    nodes.abbreviation,
    nodes.acronym,
)


class df_rows(nodes.General, nodes.Element):
    """Table rows, always the child of a ``tbody`` (the body) or a ``thead``
    (the column labels; all its rows are ``label_rows``) in a ``tgroup``.

    * ``cells``: one list per row; each cell is its text, ``None`` for "the
      next ``entry`` child", an ``int``: the index of an entry in ``detached``,
      or :data:`COVERED` (under a merged cell of ``rowspans``).
    * ``rowspans``: ``[row, column, morerows]`` of each merged cell.
    * ``label_rows``: how many leading rows are column labels that
      ``:header-rows:`` moved into the body; the rest are data rows.
    * ``sort_keys``: per column, the sort key of each *data* row (see
      :func:`sphinx_df_table.worker.frame_cells.sort_keys`), or ``None``. Keys
      hold only the characters of numbers and ``Infinity`` (``build_table``
      checks), so writers need not escape them.
    * ``styled`` (only when there are any): ``[row, column, css]`` of each
      cell with a Styler's CSS, of the grammar
      :data:`~sphinx_df_table.messages.CELL_STYLE` (checked when the result
      was decoded, so writers need not escape it).
    * ``highlighted`` (only when there are any): ``[row, column]`` of each
      cell that ``:highlight:`` marks.

    Each column's facts are on the tgroup's ``colspec`` nodes: ``df_kind``
    (a :data:`~sphinx_df_table.messages.ColumnKind`) and ``df_align`` (the
    alignment of its data cells). A trailing ``Text`` child repeats the plain
    and detached cells' words, so the HTML search index still finds them.
    Read the rows with :func:`iter_rows`.
    """


def is_final(parsed: list[nodes.Node]) -> bool:
    """Whether inline nodes are final: only formatting, text and resolved links.

    ``parsed`` is what the inline parser made of one cell; ``True`` means no
    transform or reference resolution will change it, so it may be detached.
    """
    for root in parsed:
        for node in root.findall():
            if isinstance(node, nodes.reference):
                if "refuri" not in node or "refname" in node or "name" in node:
                    return False
            elif not isinstance(node, _FINAL_NODES):
                return False
    return True


def smartquotable(text: str) -> bool:
    """Whether Sphinx's smartquotes might change ``text``, which then needs a node."""
    return bool(_SMARTQUOTABLE.search(text))


#: One compact cell: its text, ``None`` (the next attached entry), an index
#: into ``detached``, or :data:`COVERED`.
Cell = str | int | None
#: A body cell covered by a merged cell above it (a repeated index label).
COVERED = -1

#: The class of a cell that ``:highlight:`` marks (bold, and a tint in HTML).
HIGHLIGHT_CLASS = "df-highlight"

#: Alignment -> the cell class that Sphinx's basic theme (and themes built on
#: it) styles: ``.align-right { text-align: right }``.
ALIGN_CLASSES = {"left": "align-left", "right": "align-right", "center": "align-center"}


def make_rows_node(
    cells: list[list[Cell]],
    entries: list[nodes.entry],
    detached: list[nodes.entry],
    *,
    rowspans: list[list[int]] | None = None,
    label_rows: int = 0,
    sort_keys: list[list[str] | None] | None = None,
    styled: list[list[Any]] | None = None,
    highlighted: list[list[int]] | None = None,
    searched: Sequence[bool] | None = None,
) -> df_rows:
    """Assemble a :class:`df_rows` node from plain texts and rich entries.

    ``entries`` are the attached rich cells in row-major order (one per
    ``None`` cell); ``detached`` the entries that ``int`` cells index.
    ``searched`` says, per column, whether the search index gets the words of
    its plain and detached data cells (``None``: every column; label rows
    always); attached cells are in the tree, where the indexer reads them
    anyway. The other arguments become the attributes of the same name (see
    :class:`df_rows`).
    """
    node = df_rows(
        cells=cells,
        detached=detached,
        rowspans=rowspans or [],
        label_rows=label_rows,
        sort_keys=sort_keys or [],
    )
    # Set only when there are any, so that plain tables' doctrees stay as they were.
    if styled:
        node["styled"] = styled
    if highlighted:
        node["highlighted"] = highlighted
    node.extend(entries)
    # The search index keeps a set of words per page, so each text once will do
    # (and spares the stemmer the repeats).
    if searched is None:
        found = [cell for row in cells for cell in row]
    else:  # label rows (they come first) whole, data rows in the searched columns
        data_columns = [c for c, wanted in enumerate(searched) if wanted]
        found = [cell for row in cells[:label_rows] for cell in row]
        found += [row[c] for row in cells[label_rows:] for c in data_columns]
    # Row-major order of first appearance, as the words were always fed.
    texts = dict.fromkeys(cell for cell in found if type(cell) is str and cell)
    # Detached entries, after the plain texts (equal detached cells share an entry).
    shown = {cell for cell in found if type(cell) is int and cell != COVERED}
    for index in sorted(shown):
        texts[detached[index].astext()] = None
    words = " ".join(texts)
    if words:
        node += nodes.Text(words)
    return node


class BodyCell(NamedTuple):
    """One shown cell of a :class:`df_rows` node, as :func:`iter_rows` gives it."""

    #: Row within the node's ``cells`` (label rows first), and column, from 0.
    row: int
    column: int
    #: The plain text, or the rich cell's ``entry`` (attached or detached).
    content: str | nodes.entry
    #: Rows below this one that the cell spans (a merged index label); 0: none.
    morerows: int
    #: In a stub column (``colspec`` with ``stub``): a row header.
    stub: bool
    #: In a column-label row that ``:header-rows:`` moved into the body.
    label: bool
    #: ``"left"``, ``"right"``, ``"center"`` or ``""``: the column's data
    #: alignment for data cells, always ``""`` for label cells.
    align: str
    #: The browser's sort key (``""``: a missing value); ``None``: none (a text
    #: column, or a label cell).
    sort_key: str | None
    #: A Styler's CSS for the cell (see :data:`~sphinx_df_table.messages.CELL_STYLE`); ``""``: none.
    style: str = ""
    #: Whether ``:highlight:`` marks the cell.
    highlight: bool = False


def column_specs(node: df_rows) -> list[nodes.colspec]:
    """The ``colspec`` nodes of the table that ``node`` is the body (or head) of.

    Raises :class:`ValueError` when ``node`` is not in ``tgroup > tbody`` (or ``thead``).
    """
    tgroup = node.parent.parent if node.parent is not None else None
    if not isinstance(tgroup, nodes.tgroup):
        raise ValueError("df_rows must be the child of a tbody or thead in a tgroup")
    return [child for child in tgroup.children if isinstance(child, nodes.colspec)]


def body_rows(table: nodes.table) -> df_rows | None:
    """The compact body of ``table`` (its head may be compact too), if it has one."""
    bodies = (node for node in table.findall(df_rows) if isinstance(node.parent, nodes.tbody))
    return next(bodies, None)


def iter_rows(node: df_rows) -> Iterator[list[BodyCell]]:
    """The one reader of the compact encoding: each row's shown cells, in order.

    Cells that a merged cell covers are left out, as in docutils' rows; rich
    cells come as their ``entry`` (attached ones in the order the encoding
    stores them). Raises :class:`ValueError` as :func:`column_specs` does.
    """
    specs = column_specs(node)
    stubs = [bool(spec.get("stub")) for spec in specs]
    aligns = [spec.get("df_align", "") for spec in specs]
    no_aligns = [""] * len(specs)
    no_keys: list[str | None] = [None] * len(specs)
    keys_by_column = node.get("sort_keys") or no_keys
    rich = iter([child for child in node.children if isinstance(child, nodes.entry)])
    detached: list[nodes.entry] = node["detached"]
    rowspans = {(r, c): more for r, c, more in node.get("rowspans", [])}
    label_rows: int = node.get("label_rows", 0)
    styles = {(r, c): css for r, c, css in node.get("styled", [])}
    marked = {(r, c) for r, c in node.get("highlighted", [])}
    # 170,000 cells on a page of benchmark tables: no per-cell lookups that
    # a table without spans, styles or marks does not need, and each tuple
    # made without BodyCell's Python-level __new__.
    make = tuple.__new__
    for r, cells in enumerate(node["cells"]):
        label = r < label_rows
        data_row = r - label_rows
        row_aligns = no_aligns if label else aligns
        row_keys = (
            no_keys if label else [None if k is None else k[data_row] for k in keys_by_column]
        )
        row: list[BodyCell] = []
        for column, cell in enumerate(cells):
            content: str | nodes.entry
            if type(cell) is str:
                content = cell
            elif cell is None:
                content = next(rich)
            elif cell == COVERED:
                continue
            else:
                content = detached[cell]
            at = (r, column)
            row.append(
                make(
                    BodyCell,
                    (
                        r,
                        column,
                        content,
                        rowspans.get(at, 0) if rowspans else 0,
                        stubs[column],
                        label,
                        row_aligns[column],
                        row_keys[column],
                        styles.get(at, "") if styles else "",
                        at in marked if marked else False,
                    ),
                )
            )
        yield row


def repeat_merged_labels(node: df_rows) -> None:
    """Unmerge the body's merged cells: each row they covered gets its own copy.

    For a table that may break across pages (a LaTeX ``longtable``): a label
    merged over rows on two pages would show on the first only. A plain
    label is repeated as text; a rich one as a copy of its entry (without
    ids), attached or detached as the original is, so transforms treat the
    copies as they treat it.
    """
    spans = node.get("rowspans", [])
    if not spans:
        return
    cells: list[list[Cell]] = node["cells"]
    attached = [child for child in node.children if isinstance(child, nodes.entry)]
    attached_at = iter(range(len(attached)))
    # Which attached entry each None cell is: (row, column) -> its index.
    index_of = {
        (r, c): next(attached_at)
        for r, row in enumerate(cells)
        for c, cell in enumerate(row)
        if cell is None
    }
    copies: dict[tuple[int, int], nodes.entry] = {}
    for r, c, more in spans:
        label = cells[r][c]
        for below in range(r + 1, r + more + 1):
            if isinstance(label, str):
                cells[below][c] = label
            elif label is None:
                copies[below, c] = _without_ids(attached[index_of[r, c]])
                cells[below][c] = None
            else:
                node["detached"].append(_without_ids(node["detached"][label]))
                cells[below][c] = len(node["detached"]) - 1
    if copies:
        # Attached entries are stored in row-major order of their cells.
        entries = iter(attached)
        ordered = [
            copies[r, c] if (r, c) in copies else next(entries)
            for r, row in enumerate(cells)
            for c, cell in enumerate(row)
            if cell is None
        ]
        for child in attached:
            node.remove(child)
        words = [child for child in node.children if isinstance(child, nodes.Text)]
        for child in words:
            node.remove(child)
        node.extend([*ordered, *words])
    node["rowspans"] = []


def _without_ids(entry: nodes.entry) -> nodes.entry:
    copy = entry.deepcopy()
    for element in copy.findall(nodes.Element):
        element["ids"] = []
    return copy


def plain_entry(text: str, classes: list[str]) -> nodes.entry:
    """The ``entry`` docutils would build for a plain cell."""
    entry = nodes.entry(classes=list(classes))
    if text:
        entry += nodes.paragraph(text, "", nodes.Text(text))
    return entry


def align_classes(align: str) -> list[str]:
    """The cell classes for an alignment (``"right"`` -> ``["align-right"]``; ``""`` -> none)."""
    return [ALIGN_CLASSES[align]] if align in ALIGN_CLASSES else []


def _embolden(entry: nodes.entry) -> None:
    """Set the content of each of ``entry``'s paragraphs in bold (``strong``)."""
    for paragraph in entry.findall(nodes.paragraph):
        strong = nodes.strong()
        strong.extend(list(paragraph.children))
        paragraph.children = []
        paragraph.append(strong)


def expand(node: df_rows) -> list[nodes.row]:
    """The ordinary rows that ``node`` stands for (detached cells are copied).

    Aligned cells get the class of their alignment, as the HTML writer gives
    them, so other writers and themes see the usual ``align-*`` classes. A
    cell that ``:highlight:`` marks gets :data:`HIGHLIGHT_CLASS` and its
    content in ``strong`` (bold in LaTeX, ``**`` in text); a styled cell keeps
    its CSS in the entry's ``df_style`` attribute, which only the LaTeX
    post-transform reads (text, man, ... show no style, and do not warn).
    """
    rows = []
    for cells in iter_rows(node):
        row = nodes.row()
        for cell in cells:
            classes = align_classes(cell.align)
            if isinstance(cell.content, str):
                entry = plain_entry(cell.content, classes)
            else:
                entry = cell.content if cell.content.parent is node else cell.content.deepcopy()
                entry["classes"] = [*classes, *entry["classes"]]
            if cell.morerows:
                entry["morerows"] = cell.morerows
            if cell.highlight:
                entry["classes"].append(HIGHLIGHT_CLASS)
                _embolden(entry)
            if cell.style:
                entry["df_style"] = cell.style
            row += entry
        rows.append(row)
    return rows


class ExpandCompactRows(SphinxPostTransform):
    """Turn :class:`df_rows` into ordinary rows for every non-HTML writer.

    For a writer that cannot draw merged cells (see
    :func:`~sphinx_df_table.output.spans.draws_spans`) the table's merged
    cells are then unmerged, header and body. Runs before reference
    resolution (priority 10), so the moved and copied rich cells are resolved
    as usual.
    """

    default_priority = 5

    def is_supported(self) -> bool:
        """Whether the builder writes something other than HTML."""
        # Sphinx >= 8.1 knows the builder class on the environment; older ones
        # only through the application.
        builder = getattr(self.env, "_builder_cls", None) or self.app.builder
        return bool(builder.format != "html")

    def run(self, **kwargs: Any) -> None:
        """Replace every :class:`df_rows` node of the document with its rows."""
        spans = draws_spans(getattr(self.env, "_builder_cls", None) or self.app.builder)
        for node in list(self.document.findall(df_rows)):
            table = node.parent.parent.parent
            node.parent.replace(node, expand(node))
            if not spans and isinstance(table, nodes.table):
                unmerge(table)
