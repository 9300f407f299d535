"""The HTML side: compact table rows and the scroll container.

Compact rows (:class:`~sphinx_df_table.output.compact_rows.df_rows`, the head's
column labels and the body) are written with the markup
docutils' and Sphinx's HTML translators write for ordinary rows
(``<tr class="row-odd">``, ``<th class="head">``/``<th class="stub">``/``<td>``,
one ``<p>`` per non-empty cell), so themes style df-tables like any other
table; it is produced with one string join instead of a visit per node.

Every df-table is put in a ``div.df-table-container`` that scrolls sideways,
so a 17-column benchmark table does not widen the page (or a tab-set); the
small stylesheet that does it (``static/df-table-base.css``, shipped by
:mod:`~sphinx_df_table.output.assets`) is linked only from pages with a
df-table. The script of interactive tables makes this container the table's
scroll region.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docutils import nodes
from docutils.writers._html_base import HTMLTranslator as BaseHTMLTranslator
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.writers.html5 import HTML5Translator

if TYPE_CHECKING:
    from sphinx.application import Sphinx

from .compact_rows import HIGHLIGHT_CLASS, Cell, align_classes, column_specs, df_rows, iter_rows
from .sources import df_table_sources


def _open_tag(tag: str, classes: list[str]) -> str:
    return f'<{tag} class="{" ".join(classes)}">' if classes else f"<{tag}>"


#: Joins a table's plain texts for one ``encode`` call. docutils marks
#: backslash-escapes with it and drops it from any text it writes.
_SEPARATOR = "\x00"


def _encode_all(self: HTML5Translator, texts: list[str]) -> list[str]:
    """Each text as the translator writes a ``Text`` node of it, in one call if possible.

    docutils' own ``encode`` maps each character on its own (``str.translate``),
    so encoding the texts joined by a character none holds, then splitting,
    gives each text's encoding: one call instead of one per cell (170,000 on a
    page of benchmark tables). A translator that overrides ``encode`` gets a
    call per text. Like ``Text.astext()``, a text drops the nulls it holds
    (:func:`docutils.nodes.unescape`).
    """
    joined = _SEPARATOR.join(texts)
    one_call = joined.count(_SEPARATOR) == len(texts) - 1  # no text holds it
    if one_call and type(self).encode is BaseHTMLTranslator.encode:
        encoded: str = self.encode(joined)
        return encoded.split(_SEPARATOR)
    return [_encode_text(self, text) for text in texts]


def _encode_text(self: HTML5Translator, text: str) -> str:
    """One text as the translator writes a ``Text`` node of it (without its nulls)."""
    encoded: str = self.encode(nodes.unescape(text) if _SEPARATOR in text else text)
    return encoded


def _cell_tags(node: df_rows) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Per column of ``node``: the cell's tag, and its classes in label rows and in data rows.

    A cell is ``<th class="head">`` in the table's head (``node`` is the child
    of a ``thead``), ``<th class="stub">`` in a stub column (``<th class="head
    stub">`` in both), else ``<td>``; a data cell's alignment becomes an
    ``align-*`` class.
    """
    head = ["head"] if isinstance(node.parent, nodes.thead) else []
    tags: list[str] = []
    label_classes: list[list[str]] = []
    data_classes: list[list[str]] = []
    for spec in column_specs(node):
        stub = ["stub"] if spec.get("stub") else []
        tags.append("th" if stub or head else "td")
        label_classes.append([*head, *stub])
        data_classes.append([*head, *stub, *align_classes(spec.get("df_align", ""))])
    return tags, label_classes, data_classes


def visit_df_rows_html(self: HTML5Translator, node: df_rows) -> None:
    """Write every row of ``node`` as docutils writes ordinary rows.

    See :func:`_cell_tags` for each cell's tag and classes. A merged cell gets
    ``rowspan``, and a cell with a sort key gets ``data-sort`` (the key, ``""``
    when the value is missing). A Styler's CSS becomes the cell's ``style``
    attribute and a ``:highlight:`` mark the class ``df-highlight``. Plain
    cells are written as text; rich cells are visited as usual. Always raises
    :class:`docutils.nodes.SkipNode` (the children are written here).
    """
    if node.get("rowspans") or node.get("styled") or node.get("highlighted"):
        html = _rows_with_cell_attributes(self, node)
    else:
        html = _plain_rows(self, node)
    self.body.append(html)
    raise nodes.SkipNode


def _row_opener(self: HTML5Translator) -> str:
    """The ``<tr>`` of the next row: Sphinx numbers a table's rows for row-odd/row-even."""
    counters: list[int] | None = getattr(self, "_table_row_indices", None)
    if not counters:
        return "<tr>"
    counters[-1] += 1
    return '<tr class="row-even">' if counters[-1] % 2 == 0 else '<tr class="row-odd">'


#: The translator's attribute that holds the HTML of the rich cells it wrote.
_RENDERED = "_df_table_rendered"


def _rich_html(self: HTML5Translator, entry: nodes.entry) -> str:
    """The HTML of a rich cell's children, made once per document.

    Equal final cells share one detached entry, within a table and across
    the tables of a document (see ``build_table`` and
    :class:`~sphinx_df_table.output.cell_markup.SharedParses`): the
    translator (one per document) keeps each entry's HTML, and the entry
    with it, so that its ``id`` is not reused meanwhile.
    """
    rendered: dict[int, tuple[nodes.entry, str]] | None = getattr(self, _RENDERED, None)
    if rendered is None:
        rendered = {}
        setattr(self, _RENDERED, rendered)
    found = rendered.get(id(entry))
    if found is not None:
        return found[1]
    start = len(self.body)
    for child in entry.children:
        child.walkabout(self)
    html = "".join(self.body[start:])
    del self.body[start:]
    rendered[id(entry)] = (entry, html)
    return html


def _plain_rows(self: HTML5Translator, node: df_rows) -> str:
    """The rows of a ``node`` without merged, styled or marked cells: the common case.

    It reads the encoding itself (the fast twin of :func:`iter_rows`), since a
    page of benchmark tables has 170,000 cells: each column's opening tag is
    made once per table, a data row's only once per row for its sort keys, and
    every plain text is encoded in one call (:func:`_encode_all`).
    """
    tags, label_classes, data_classes = _cell_tags(node)
    closers = [f"</{tag}>\n" for tag in tags]
    label_openers = [
        _open_tag(tag, classes) for tag, classes in zip(tags, label_classes, strict=True)
    ]
    keys_by_column: list[list[str] | None] = node.get("sort_keys") or [None] * len(tags)
    # build_table checked the keys: number characters only, no escaping needed.
    data_openers = [
        _open_tag(tag, classes) if keys is None else _open_tag(tag, classes)[:-1] + ' data-sort="'
        for tag, classes, keys in zip(tags, data_classes, keys_by_column, strict=True)
    ]
    label_rows: int = node.get("label_rows", 0)
    cells: list[list[Cell]] = node["cells"]
    encoded = iter(_encode_all(self, [c for row in cells for c in row if type(c) is str and c]))
    rich = iter([child for child in node.children if isinstance(child, nodes.entry)])
    detached: list[nodes.entry] = node["detached"]
    out: list[str] = []
    for r, row in enumerate(cells):
        out.append(_row_opener(self))
        if r < label_rows:
            openers = label_openers
        else:
            data_row = r - label_rows
            openers = [
                opener if keys is None else f'{opener}{keys[data_row]}">'
                for opener, keys in zip(data_openers, keys_by_column, strict=True)
            ]
        for column, (cell, opener, closer) in enumerate(zip(row, openers, closers, strict=True)):
            if type(cell) is str:
                out.append(f"{opener}<p>{next(encoded)}</p>{closer}" if cell else opener + closer)
                continue
            entry = next(rich) if cell is None else detached[cell]  # type: ignore[index]
            if entry["classes"]:  # the entry's classes go before the sort key, if any
                classes = (label_classes if r < label_rows else data_classes)[column]
                plain = _open_tag(tags[column], classes)
                with_classes = _open_tag(tags[column], [*classes, *entry["classes"]])
                opener = with_classes[:-1] + opener[len(plain) - 1 :]  # noqa: PLW2901
            out.append(f"{opener}{_rich_html(self, entry)}{closer}")
        out.append("</tr>\n")
    return "".join(out)


def _rows_with_cell_attributes(self: HTML5Translator, node: df_rows) -> str:
    """The rows of a ``node`` with merged, styled or marked cells, read with :func:`iter_rows`."""
    tags, label_classes, data_classes = _cell_tags(node)
    out: list[str] = []
    for cells in iter_rows(node):
        out.append(_row_opener(self))
        for _r, column, content, morerows, _stub, label, _align, sort_key, style, marked in cells:
            tag = tags[column]
            classes = (label_classes if label else data_classes)[column]
            extra = [] if isinstance(content, str) else content["classes"]
            if marked:
                extra = [*extra, HIGHLIGHT_CLASS]
            opener = _open_tag(tag, [*classes, *extra])
            if style:  # the cell style grammar has no quotes or brackets
                opener = f'{opener[:-1]} style="{style}">'
            if morerows:  # a merged index cell
                opener = f'{opener[:-1]} rowspan="{morerows + 1}">'
            if sort_key is not None:  # build_table checked: number characters only
                opener = f'{opener[:-1]} data-sort="{sort_key}">'
            if not isinstance(content, str):  # a rich cell: its nodes' HTML
                out.append(f"{opener}{_rich_html(self, content)}</{tag}>\n")
            elif content:
                out.append(f"{opener}<p>{_encode_text(self, content)}</p></{tag}>\n")
            else:
                out.append(f"{opener}</{tag}>\n")
        out.append("</tr>\n")
    return "".join(out)


def depart_df_rows_html(self: HTML5Translator, node: df_rows) -> None:
    """Never reached: the visitor writes everything and skips the children."""


CONTAINER_CLASS = "df-table-container"


def is_df_table(node: nodes.Node) -> bool:
    """Whether ``node`` is a table made by ``df-table`` (it has the class ``df-table``)."""
    return isinstance(node, nodes.table) and "df-table" in node["classes"]


class ScrollContainer(SphinxPostTransform):
    """Wrap each df-table, with its sources line, in a container that scrolls
    sideways (HTML only)."""

    default_priority = 200
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        """Put every df-table not yet in a container into one (idempotent)."""
        for table in list(self.document.findall(is_df_table)):
            parent = table.parent
            if isinstance(parent, nodes.container) and CONTAINER_CLASS in parent["classes"]:
                continue
            following = table.next_node(descend=False, siblings=True)
            container = nodes.container(classes=[CONTAINER_CLASS])
            parent.replace(table, container)
            container += table
            if isinstance(following, df_table_sources):
                # The sources line belongs with its table (and caption).
                parent.remove(following)
                container += following


def setup_html(app: Sphinx) -> None:
    """Register the compact-rows visitor and the scroll container.

    The stylesheets and script are :mod:`~sphinx_df_table.output.assets`'
    (set up next to this by the package's ``setup``).
    """
    app.add_node(df_rows, html=(visit_df_rows_html, depart_df_rows_html))
    app.add_post_transform(ScrollContainer)
