"""Body rows kept compact until a writer needs them: the fast path for big tables.

Sphinx spends most of a table-heavy build walking cell nodes (transforms,
``findall``, smartquotes, pickling, the writers): a 5,000 x 17 table is ~85,000
``entry > paragraph > Text`` trees. Most cells are plain text that no transform
would change, so a :class:`df_rows` node holds them as strings, and only the
cells that need the node tree (inline markup, text smartquotes would change)
are real ``entry`` children, in row-major order, where transforms and
reference resolution see them as usual.

HTML writers turn ``df_rows`` into ``<tr>`` elements directly (:mod:`.html`),
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


class df_rows(nodes.General, nodes.Element):
    """Table body rows: ``cells`` holds one list per row; each cell is its text,
    or ``None`` for "the next ``entry`` child". ``classes_by_column`` gives each
    column's cell classes. A trailing ``Text`` child repeats the plain cells'
    words, so the HTML search index still finds them."""


def smartquotable(text: str) -> bool:
    """Whether Sphinx's smartquotes might change ``text``, which then needs a node."""
    return bool(_SMARTQUOTABLE.search(text))


def make_rows_node(
    cells: list[list[str | None]], entries: list[nodes.entry], classes_by_column: list[list[str]]
) -> df_rows:
    """Assemble a :class:`df_rows` node from plain texts and rich entries."""
    node = df_rows(cells=cells, classes_by_column=classes_by_column)
    node.extend(entries)
    words = " ".join(text for row in cells for text in row if text)
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
    classes_by_column: list[list[str]] = node["classes_by_column"]
    rows = []
    for cells in node["cells"]:
        row = nodes.row()
        for column, text in enumerate(cells):
            if text is None:
                entry = next(rich)
                entry["classes"] = [*classes_by_column[column], *entry["classes"]]
                row += entry
            else:
                row += plain_entry(text, classes_by_column[column])
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
