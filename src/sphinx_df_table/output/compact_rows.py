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

HTML writers turn ``df_rows`` into ``<tr>`` elements directly (:mod:`sphinx_df_table.output.html`),
with exactly the markup docutils' writer gives ordinary table rows. For every
other output format, :class:`ExpandCompactRows` turns it back into ordinary
``row > entry > paragraph`` nodes early in the post-transforms, so LaTeX, text,
man, texinfo, XML, ... need no special support.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

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
    """Table body rows: ``cells`` holds one list per row; each cell is its text,
    ``None`` for "the next ``entry`` child", an ``int``: the index of an entry
    in ``detached``, or :data:`COVERED` (under a merged cell of ``rowspans``).
    ``classes_by_column`` gives each column's cell classes. A trailing ``Text``
    child repeats the plain and detached cells' words, so the HTML search index
    still finds them."""


def is_final(parsed: list[nodes.Node]) -> bool:
    """Whether inline nodes are final: only formatting, text and resolved links."""
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


Cell = str | int | None
#: A body cell covered by a merged cell above it (a repeated index label).
COVERED = -1


def make_rows_node(
    cells: list[list[Cell]],
    entries: list[nodes.entry],
    detached: list[nodes.entry],
    classes_by_column: list[list[str]],
    rowspans: list[list[int]] | None = None,
) -> df_rows:
    """Assemble a :class:`df_rows` node from plain texts and rich entries.

    ``rowspans`` lists ``[row, column, morerows]`` of merged cells; the cells
    they cover are :data:`COVERED`.
    """
    node = df_rows(
        cells=cells,
        classes_by_column=classes_by_column,
        detached=detached,
        rowspans=rowspans or [],
    )
    node.extend(entries)
    # The search index keeps a set of words per page, so each text once will do
    # (and spares the stemmer the repeats).
    texts = [text for row in cells for text in row if isinstance(text, str) and text]
    texts += [entry.astext() for entry in detached]
    words = " ".join(dict.fromkeys(texts))
    if words:
        node += nodes.Text(words)
    return node


def plain_entry(text: str, classes: list[str]) -> nodes.entry:
    """The ``entry`` docutils would build for a plain cell."""
    entry = nodes.entry(classes=list(classes))
    if text:
        entry += nodes.paragraph(text, "", nodes.Text(text))
    return entry


def expand(node: df_rows) -> list[nodes.row]:
    """The ordinary rows that ``node`` stands for."""
    rich = iter([child for child in node.children if isinstance(child, nodes.entry)])
    detached: list[nodes.entry] = node["detached"]
    classes_by_column: list[list[str]] = node["classes_by_column"]
    rowspans = {(r, c): more for r, c, more in node.get("rowspans", [])}
    rows = []
    for r, cells in enumerate(node["cells"]):
        row = nodes.row()
        for column, text in enumerate(cells):
            if text == COVERED:
                continue
            if isinstance(text, str):
                entry = plain_entry(text, classes_by_column[column])
            else:
                entry = next(rich) if text is None else detached[text].deepcopy()
                entry["classes"] = [*classes_by_column[column], *entry["classes"]]
            if (r, column) in rowspans:
                entry["morerows"] = rowspans[r, column]
            row += entry
        rows.append(row)
    return rows


class ExpandCompactRows(SphinxPostTransform):
    """Turn :class:`df_rows` into ordinary rows for every non-HTML writer.

    Runs before reference resolution (priority 10), so the moved rich cells are
    resolved as usual.
    """

    default_priority = 5

    def is_supported(self) -> bool:
        # Sphinx >= 8.1 knows the builder class on the environment; older ones
        # only through the application.
        builder = getattr(self.env, "_builder_cls", None) or self.app.builder
        return bool(builder.format != "html")

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(df_rows)):
            node.parent.replace(node, expand(node))
