"""The HTML side: compact table rows and the scroll container.

Compact rows (:class:`~sphinx_df_table.output.compact_rows.df_rows`) are written with the markup
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

from .compact_rows import COVERED, df_rows


def _open_tag(tag: str, classes: list[str]) -> str:
    return f'<{tag} class="{" ".join(classes)}">' if classes else f"<{tag}>"


def visit_df_rows_html(self: HTML5Translator, node: df_rows) -> None:
    """Write every row of ``node``; rich cells are visited as usual."""
    tgroup = node.parent.parent
    stubs = [bool(c.get("stub")) for c in tgroup.children if isinstance(c, nodes.colspec)]
    in_head = isinstance(node.parent, nodes.thead)
    columns: list[tuple[str, list[str]]] = []
    for stub, extra in zip(stubs, node["classes_by_column"], strict=True):
        classes = [*(["head"] if in_head else []), *(["stub"] if stub else []), *extra]
        columns.append(("th" if in_head or stub else "td", classes))
    openers = [_open_tag(tag, classes) for tag, classes in columns]
    rich = iter([child for child in node.children if isinstance(child, nodes.entry)])
    detached: list[nodes.entry] = node["detached"]
    # Sphinx numbers the rows of a table for its row-odd/row-even classes.
    counters: list[int] | None = getattr(self, "_table_row_indices", None)
    encode = self.encode
    out: list[str] = []
    rowspans = {(r, c): more for r, c, more in node.get("rowspans", [])}
    for r, cells in enumerate(node["cells"]):
        if counters:
            counters[-1] += 1
            out.append('<tr class="row-even">' if counters[-1] % 2 == 0 else '<tr class="row-odd">')
        else:
            out.append("<tr>")
        for column, text in enumerate(cells):
            if text == COVERED:
                continue
            tag, classes = columns[column]
            opener = openers[column]
            entry = None
            if text is None or isinstance(text, int):  # a rich cell: visit its nodes
                entry = next(rich) if text is None else detached[text]
                if entry["classes"]:
                    opener = _open_tag(tag, [*classes, *entry["classes"]])
            if (r, column) in rowspans:  # a merged index cell
                opener = f'{opener[:-1]} rowspan="{rowspans[r, column] + 1}">'
            if entry is not None:
                out.append(opener)
                self.body.append("".join(out))
                out = []
                for child in entry.children:
                    child.walkabout(self)
                out.append(f"</{tag}>\n")
            elif text:
                out.append(f"{opener}<p>{encode(text)}</p></{tag}>\n")
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
    """Wrap each df-table in a container that scrolls sideways (HTML only)."""

    default_priority = 200
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        for table in list(self.document.findall(is_df_table)):
            parent = table.parent
            if isinstance(parent, nodes.container) and CONTAINER_CLASS in parent["classes"]:
                continue
            container = nodes.container(classes=[CONTAINER_CLASS])
            parent.replace(table, container)
            container += table


def setup_html(app: Sphinx) -> None:
    """Register the compact-rows visitor, the container, and the assets (:mod:`.assets`)."""
    from .assets import setup_assets  # assets imports this module

    app.add_node(df_rows, html=(visit_df_rows_html, depart_df_rows_html))
    app.add_post_transform(ScrollContainer)
    setup_assets(app)
