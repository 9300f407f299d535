"""Interactive HTML tables (sort, filter, sticky header) and CSV downloads.

Both are opt-in, per table (``:interactive:``, ``:download:``) or site-wide
(``df_table_interactive``, ``df_table_download``), and both leave the table an
ordinary docutils table:

* An interactive table only gets the class ``df-table-interactive``; the
  script ``static/df-table.js`` enhances such tables in the browser (a filter
  box, sort buttons in the header, a sticky header for a horizontally
  scrolling table). Without JavaScript, or in any other output format, the
  table is the same as any other.
* A download is a :class:`df_table_download` node after the table that holds
  the snippet's DataFrame as CSV text (raw values, written by the worker with
  ``DataFrame.to_csv``). Web HTML builders write the file next to the page and
  show a link; every other builder drops the node.

The script and stylesheet are shipped and linked by
:mod:`~sphinx_df_table.output.assets`, only on the pages that need them.
"""

from __future__ import annotations

import posixpath
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from docutils import nodes
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.transforms.post_transforms import SphinxPostTransform

from ..config import DfTableConfig

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.util.docutils import SphinxDirective
    from sphinx.writers.html5 import HTML5Translator

    from ..directives.snippet import Converter
    from ..messages import TableData

#: The class that tells the script to enhance a table.
INTERACTIVE_CLASS = "df-table-interactive"

_TRUE = ("yes", "true", "on", "1")
_FALSE = ("no", "false", "off", "0")


def switch(argument: str | None) -> bool:
    """A flag option that can also be turned off: ``:download:`` or ``:download: no``.

    The explicit ``no`` lets one table opt out of a site-wide setting.
    """
    if argument is None or not argument.strip():
        return True
    value = argument.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("expected no value, or one of yes/no, true/false, on/off")


#: Options merged into the ``df-table`` directive's converters.
INTERACTIVE_OPTIONS: dict[str, Converter] = {"interactive": switch, "download": switch}


def wants_interactive(options: dict[str, Any], config: DfTableConfig) -> bool:
    """Whether a table is interactive: its ``:interactive:`` option, else the setting."""
    return bool(options.get("interactive", config.interactive))


def wants_download(options: dict[str, Any], config: DfTableConfig) -> bool:
    """Whether a table gets a CSV download: its ``:download:`` option, else the setting."""
    return bool(options.get("download", config.download))


def download_render_spec(options: dict[str, Any], config: DfTableConfig) -> dict[str, Any]:
    """What the worker must add to the result: the raw CSV text for a download."""
    return {"csv": True} if wants_download(options, config) else {}


class df_table_download(nodes.General, nodes.Element):
    """A "Download CSV" link for the table before it.

    ``filename``: the file's name (written next to the page); ``docname``: the
    document the table is in (for single-page HTML, which holds every
    document); ``csv``: the file's text.
    """


def _download_name(directive: SphinxDirective, options: dict[str, Any]) -> str:
    """``<name>.csv`` for a table with ``:name:``, else ``<page>-<n>.csv``."""
    if name_id := nodes.make_id(options.get("name", "")):
        return f"{name_id}.csv"
    stem = posixpath.basename(directive.env.docname)
    number = directive.env.new_serialno("df-table-download") + 1
    return f"{stem}-{number}.csv"


def enhance_table(
    directive: SphinxDirective,
    table: nodes.table,
    data: TableData,
    options: dict[str, Any],
    config: DfTableConfig,
) -> list[nodes.Node]:
    """Mark ``table`` for the script and make its download node, as asked.

    Returns the nodes to put after the table.
    """
    if wants_interactive(options, config):
        table["classes"].append(INTERACTIVE_CLASS)
    csv = data.csv
    if not wants_download(options, config) or csv is None:
        return []
    node = df_table_download(
        filename=_download_name(directive, options), docname=directive.env.docname, csv=csv
    )
    directive.set_source_info(node)
    return [node]


def writes_downloads(builder: Builder | type[Builder]) -> bool:
    """Whether a builder makes web pages, where downloads and the script belong.

    Not the HTML help, EPUB and similar "embedded" formats, and not the JSON or
    pickle builders, whose pages another program places.
    """
    cls = builder if isinstance(builder, type) else type(builder)
    if not issubclass(cls, StandaloneHTMLBuilder) or cls.embedded:
        return False
    try:
        from sphinxcontrib.serializinghtml import SerializingHTMLBuilder
    except ImportError:  # pragma: no cover - Sphinx always depends on it
        return True
    return not issubclass(cls, SerializingHTMLBuilder)


class DropDownloads(SphinxPostTransform):
    """Remove download nodes for builders that do not write the files."""

    default_priority = 5

    def is_supported(self) -> bool:
        """Run for every builder that does not write the CSV files."""
        # Sphinx >= 8.1 knows the builder class on the environment; older ones
        # only through the application.
        builder = getattr(self.env, "_builder_cls", None) or self.app.builder
        return not writes_downloads(builder)

    def run(self, **kwargs: Any) -> None:
        """Remove every download node from the document."""
        for node in list(self.document.findall(df_table_download)):
            node.parent.remove(node)


def _output_dir(builder: StandaloneHTMLBuilder, docname: str) -> Path:
    """The directory of ``docname``'s page (for single-page HTML, where it would be)."""
    return Path(builder.get_outfilename(docname)).parent


def download_path(builder: StandaloneHTMLBuilder, node: df_table_download) -> Path:
    """Where the CSV file of ``node`` is written: next to its document's page."""
    return _output_dir(builder, str(node["docname"])) / str(node["filename"])


def visit_download_html(self: HTML5Translator, node: df_table_download) -> None:
    """``<p><a href="x.csv" download>Download CSV</a> (x.csv)</p>``, relative to this page."""
    builder = self.builder
    assert isinstance(builder, StandaloneHTMLBuilder)
    target = download_path(builder, node)
    page_dir = _output_dir(builder, builder.current_docname)
    href = Path(posixpath.relpath(target.as_posix(), page_dir.as_posix())).as_posix()
    name = escape(node["filename"])
    self.body.append(
        self.starttag(node, "p", CLASS="df-table-download")
        + f'<a class="reference download" href="{escape(quote(href))}" download="{name}">'
        + 'Download CSV</a> <span class="df-table-download-file">'
        + f"({name})</span></p>\n"
    )
    raise nodes.SkipNode


def depart_download_html(self: HTML5Translator, node: df_table_download) -> None:
    """Never reached: the visitor writes the link and skips the node."""


def write_downloads(builder: StandaloneHTMLBuilder, downloads: list[df_table_download]) -> None:
    """Write the CSV file of each node in ``downloads`` (see :func:`download_path`)."""
    for node in downloads:
        path = download_path(builder, node)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(node["csv"], encoding="utf-8", newline="")


def setup_interactive(app: Sphinx) -> None:
    """Register the download node, its HTML link and the removal of unused ones.

    The assets, and the writing of the CSV files while each page is written,
    are :func:`~sphinx_df_table.output.assets.setup_assets`'s.
    """
    app.add_node(df_table_download, html=(visit_download_html, depart_download_html))
    app.add_post_transform(DropDownloads)
