"""The stylesheets and the script of df-tables in HTML: shipped once, linked where used.

Three files in ``static/``:

* ``df-table-base.css``: the sideways-scrolling container around every
  df-table and the alignment of numeric cells; linked from every page that has
  a df-table, in every HTML-format builder (EPUB too).
* ``df-table.css`` and ``df-table.js``: download links and interactive tables
  (see :mod:`~sphinx_df_table.output.interactive`); linked only from pages with
  an interactive table or a download, and only by the builders that make web
  pages (:func:`~sphinx_df_table.output.interactive.writes_downloads`).

The files are copied into the output's ``_static`` folder when the builder
starts, before Sphinx copies the theme's and the user's static files (so a
user's file of the same name wins), and the user's ``html_static_path`` is left
alone: changing it made Sphinx see a changed configuration, and so rebuild
every page, on each incremental build.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.builders.html import StandaloneHTMLBuilder

from ..compat import copy_asset_file
from .html_tables import is_df_table
from .interactive import INTERACTIVE_CLASS, df_table_download, write_downloads, writes_downloads

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.builders import Builder

#: The folder of the files shipped with HTML output.
STATIC_DIR = Path(__file__).parents[1] / "static"
BASE_CSS = "df-table-base.css"
CSS_FILE = "df-table.css"
JS_FILE = "df-table.js"


def shipped_files(builder: Builder) -> list[str]:
    """The names of the files in :data:`STATIC_DIR` that ``builder``'s pages may link.

    None for a builder that does not write HTML; the base stylesheet for every
    HTML-format builder; the interactive assets as well for web-page builders.
    """
    if builder.format != "html":
        return []
    if writes_downloads(builder):
        return [BASE_CSS, CSS_FILE, JS_FILE]
    return [BASE_CSS]


def copy_assets(app: Sphinx) -> None:
    """Copy :func:`shipped_files` into the output's ``_static`` folder (``builder-inited``).

    Runs in the main process only, also with ``-j``. Overwrites older copies,
    so an upgraded extension ships its new files.
    """
    names = shipped_files(app.builder)
    if not names:
        return
    static = Path(app.builder.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    for name in names:
        copy_asset_file(STATIC_DIR / name, static)


def _is_interactive(node: nodes.Node) -> bool:
    return isinstance(node, nodes.table) and INTERACTIVE_CLASS in node["classes"]


def page_context(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: nodes.document | None,
) -> None:
    """Link the assets a page uses, and write its CSV downloads (``html-page-context``).

    ``add_css_file``/``add_js_file`` during ``html-page-context`` affect this
    page only (the builder resets its lists for the next page). The CSV files
    are written here, at write time, so they land in the output of exactly the
    pages that are written (also in ``-j`` writer processes).
    """
    if doctree is None or next(doctree.findall(is_df_table), None) is None:
        return
    app.add_css_file(BASE_CSS)
    builder = app.builder
    if not isinstance(builder, StandaloneHTMLBuilder) or not writes_downloads(builder):
        return
    downloads = list(doctree.findall(df_table_download))
    interactive = next(doctree.findall(_is_interactive), None) is not None
    if downloads or interactive:
        app.add_css_file(CSS_FILE)
    if interactive:
        app.add_js_file(JS_FILE, loading_method="defer")
    write_downloads(builder, downloads)


def setup_assets(app: Sphinx) -> None:
    """Ship the static files with HTML output and link them from the pages that use them."""
    app.connect("builder-inited", copy_assets)
    app.connect("html-page-context", page_context)
