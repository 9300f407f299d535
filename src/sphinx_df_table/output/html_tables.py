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
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.writers.html5 import HTML5Translator

if TYPE_CHECKING:
    from sphinx.application import Sphinx

from .compact_rows import HIGHLIGHT_CLASS, align_classes, df_rows, iter_rows
from .sources import df_table_sources


def _open_tag(tag: str, classes: list[str]) -> str:
    return f'<{tag} class="{" ".join(classes)}">' if classes else f"<{tag}>"


def visit_df_rows_html(self: HTML5Translator, node: df_rows) -> None:
    """Write every row of ``node`` (see :func:`~sphinx_df_table.output.compact_rows.iter_rows`).

    A cell is ``<th class="head">`` in the table's head (``node`` is the
    child of a ``thead``), ``<th class="stub">`` in a stub column (``<th
    class="head stub">`` in both), else ``<td>``; its
    alignment becomes an ``align-*`` class, a merged cell gets ``rowspan``,
    and a cell with a sort key gets ``data-sort`` (the key, ``""`` when the
    value is missing). A Styler's CSS becomes the cell's ``style`` attribute
    and a ``:highlight:`` mark the class ``df-highlight``. Plain cells are
    written as text; rich cells are visited as usual. Always raises
    :class:`docutils.nodes.SkipNode` (the children are written here).
    """
    # Sphinx numbers the rows of a table for its row-odd/row-even classes.
    counters: list[int] | None = getattr(self, "_table_row_indices", None)
    encode = self.encode
    # The column labels in the head are <th class="head">, as docutils writes them.
    head = ["head"] if isinstance(node.parent, nodes.thead) else []
    # A big table has few kinds of cells: make each opening tag once.
    openers: dict[tuple[bool, str], tuple[str, list[str], str]] = {}
    # Equal final cells share one detached entry (see build_table): its HTML
    # is written once per table.
    rendered: dict[int, str] = {}
    out: list[str] = []
    for cells in iter_rows(node):
        if counters:
            counters[-1] += 1
            out.append('<tr class="row-even">' if counters[-1] % 2 == 0 else '<tr class="row-odd">')
        else:
            out.append("<tr>")
        for _r, _c, content, morerows, stub, _label, align, sort_key, style, marked in cells:
            kind = (stub, align)
            if kind not in openers:
                tag = "th" if stub or head else "td"
                classes = [*head, *(["stub"] if stub else []), *align_classes(align)]
                openers[kind] = (tag, classes, _open_tag(tag, classes))
            tag, classes, opener = openers[kind]
            extra = [] if isinstance(content, str) else content["classes"]
            if marked:
                extra = [*extra, HIGHLIGHT_CLASS]
            if extra:
                opener = _open_tag(tag, [*classes, *extra])
            if style:  # the cell style grammar has no quotes or brackets
                opener = f'{opener[:-1]} style="{style}">'
            if morerows:  # a merged index cell
                opener = f'{opener[:-1]} rowspan="{morerows + 1}">'
            if sort_key is not None:  # build_table checked: number characters only
                opener = f'{opener[:-1]} data-sort="{sort_key}">'
            if not isinstance(content, str):  # a rich cell: its nodes' HTML
                html = rendered.get(id(content))
                if html is None:
                    start = len(self.body)
                    for child in content.children:
                        child.walkabout(self)
                    html = rendered[id(content)] = "".join(self.body[start:])
                    del self.body[start:]
                out.append(f"{opener}{html}</{tag}>\n")
            elif content:
                out.append(f"{opener}<p>{encode(content)}</p></{tag}>\n")
            else:
                out.append(f"{opener}</{tag}>\n")
        out.append("</tr>\n")
    self.body.append("".join(out))
    raise nodes.SkipNode


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
