"""Interactive tables and CSV downloads, without a browser (tests/browser/ has those).

Options and settings, the class the script looks for, the assets only on the
pages that need them, the CSV file next to the page holding the raw values, and
the table itself unchanged (it needs no JavaScript to exist).
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from bs4 import BeautifulSoup, Tag
from sphinx.testing.util import SphinxTestApp

from sphinx_df_table.config import DfTableConfig
from sphinx_df_table.output.assets import STATIC_DIR, shipped_files
from sphinx_df_table.output.interactive import (
    download_render_spec,
    switch,
    writes_downloads,
)

from .helpers import MakeApp, copy_root, run_sphinx_build, warnings_of

pytestmark = pytest.mark.matrix


def expected_csv(csv_path: Path) -> str:
    """The DataFrame the roots' snippets make from ``csv_path``, as pandas writes it
    (what the download must hold): the CSV read, with a ``Cost`` column added."""
    df = pd.read_csv(csv_path)
    df["Cost"] = 1.0e6 / df["Throughput"]
    return df.to_csv(index=False)


def soup(app: SphinxTestApp, page: str) -> BeautifulSoup:
    return BeautifulSoup((Path(app.outdir) / page).read_text(encoding="utf-8"), "html.parser")


def tables(page: BeautifulSoup) -> list[Tag]:
    return page.find_all("table", class_="df-table")


def scripts(page: BeautifulSoup) -> list[str]:
    return [str(s.get("src", "")).split("?")[0] for s in page.find_all("script")]


def stylesheets(page: BeautifulSoup) -> list[str]:
    return [str(s.get("href", "")).split("?")[0] for s in page.find_all("link", rel="stylesheet")]


# -- options and settings, no Sphinx ------------------------------------------


@pytest.mark.parametrize(
    ("argument", "expected"),
    [(None, True), ("", True), ("yes", True), ("On", True), ("no", False), ("false", False)],
)
def test_switch_reads_flags_and_yes_no(argument: str | None, expected: bool) -> None:
    assert switch(argument) is expected


def test_switch_refuses_other_values() -> None:
    with pytest.raises(ValueError, match="yes/no"):
        switch("maybe")


def test_the_worker_is_asked_for_csv_only_for_a_download() -> None:
    off, on = DfTableConfig(), DfTableConfig(download=True)
    assert download_render_spec({}, off) == {}
    assert download_render_spec({"download": True}, off) == {"csv": True}
    assert download_render_spec({}, on) == {"csv": True}
    assert download_render_spec({"download": False}, on) == {}
    assert download_render_spec({"interactive": True}, off) == {}


def test_only_web_html_builders_get_downloads_and_scripts() -> None:
    from sphinx.builders.dirhtml import DirectoryHTMLBuilder
    from sphinx.builders.epub3 import Epub3Builder
    from sphinx.builders.html import StandaloneHTMLBuilder
    from sphinx.builders.latex import LaTeXBuilder
    from sphinx.builders.singlehtml import SingleFileHTMLBuilder
    from sphinx.builders.text import TextBuilder
    from sphinxcontrib.serializinghtml import JSONHTMLBuilder

    for yes in (StandaloneHTMLBuilder, DirectoryHTMLBuilder, SingleFileHTMLBuilder):
        assert writes_downloads(yes)
    for no in (Epub3Builder, JSONHTMLBuilder, LaTeXBuilder, TextBuilder):
        assert not writes_downloads(no)


def test_assets_are_small_and_self_contained() -> None:
    """No CDN, no library, nothing fetched: the two files are all there is."""
    script = (STATIC_DIR / "df-table.js").read_text(encoding="utf-8")
    style = (STATIC_DIR / "df-table.css").read_text(encoding="utf-8")
    # Readable source, comments included: sort, filter, header copy, and the
    # wide-table features (frozen columns, column picker, value selects).
    assert len(script) < 40_000
    assert len(style) < 8_000
    for text in (script, style):
        assert "://" not in text
        assert "@import" not in text
        assert "url(" not in text
    for loader in ("import ", "import(", "require(", "fetch(", "XMLHttpRequest", "jQuery", "$("):
        assert loader not in script, loader


# -- one HTML build with every combination -------------------------------------

# Test root ``interactive``: tables with and without :interactive: and
# :download: on four pages, one in a subfolder, all from ``data/results.csv``
# (raw values that differ from what the table shows: long floats, a missing
# value, reST markup that is a link in the table).
#: Its HTML build, built once (by the first of these tests to run) for all of them.
INTERACTIVE_HTML = pytest.mark.sphinx("html", testroot="interactive")
SHARED_BUILD = pytest.mark.test_params(shared_result="interactive-html")


@INTERACTIVE_HTML
@SHARED_BUILD
def test_builds_without_warnings(built: SphinxTestApp) -> None:
    assert warnings_of(built) == []


@INTERACTIVE_HTML
@SHARED_BUILD
def test_interactive_tables_are_marked_for_the_script(built: SphinxTestApp) -> None:
    marked = ["df-table-interactive" in t["class"] for t in tables(soup(built, "index.html"))]
    assert marked == [True, False, False]
    assert ["df-table-interactive" in t["class"] for t in tables(soup(built, "sub/page.html"))] == [
        True,
        False,
        False,
    ]


@INTERACTIVE_HTML
@SHARED_BUILD
def test_script_and_stylesheet_only_on_pages_that_use_them(built: SphinxTestApp) -> None:
    js, css = "_static/df-table.js", "_static/df-table.css"
    index = soup(built, "index.html")
    assert js in scripts(index)
    assert css in stylesheets(index)
    # the script is deferred, so it runs once the tables are parsed
    (tag,) = [s for s in index.find_all("script") if js in str(s.get("src"))]
    assert tag.has_attr("defer")
    sub = soup(built, "sub/page.html")
    assert "../" + js in scripts(sub)
    download_only = soup(built, "only-download.html")
    assert css in stylesheets(download_only)
    assert js not in scripts(download_only)
    for page in ("plain.html", "genindex.html", "search.html"):
        assert js not in scripts(soup(built, page)), page
        assert css not in stylesheets(soup(built, page)), page
    for name in ("df-table.js", "df-table.css", "df-table-base.css"):
        shipped = (Path(built.outdir) / "_static" / name).read_bytes()
        assert shipped == (STATIC_DIR / name).read_bytes()


@INTERACTIVE_HTML
@SHARED_BUILD
def test_the_user_configuration_is_left_alone(built: SphinxTestApp) -> None:
    """The assets are copied, not added to ``html_static_path`` (issue #10)."""
    assert built.config.html_static_path == []


@INTERACTIVE_HTML
@SHARED_BUILD
def test_the_table_needs_no_javascript(built: SphinxTestApp) -> None:
    """The interactive table is the same table as an ordinary one; the script adds the rest."""
    interactive, ordinary, _ = tables(soup(built, "index.html"))

    def rows(table: Tag) -> list[list[str]]:
        return [[c.get_text(strip=True) for c in tr.find_all(["td", "th"])] for tr in table("tr")]

    assert rows(interactive) == rows(ordinary)
    assert len(rows(interactive)) == 1 + 3
    assert interactive.find("thead") is not None
    assert interactive.find("tbody") is not None
    for made_by_the_script in ("button", "input"):
        assert interactive.find(made_by_the_script) is None
    assert not interactive.find_all(attrs={"hidden": True})


@INTERACTIVE_HTML
@SHARED_BUILD
def test_csv_is_written_next_to_the_page_with_raw_values(built: SphinxTestApp) -> None:
    src = Path(built.srcdir)
    outdir = Path(built.outdir)
    expected = expected_csv(src / "data" / "results.csv")
    written = (outdir / "sub" / "results-by-model.csv").read_text(encoding="utf-8")
    assert written == expected
    # Raw values: the markup is not rendered, floats are not rounded.
    assert ":bench:`Benchmark <bert>`" in written
    assert "1200.123456789" in written
    # ... while the table shows the rendered cell.
    first = tables(soup(built, "sub/page.html"))[0]
    assert first.find("a", href="https://example.org/bert") is not None


@INTERACTIVE_HTML
@SHARED_BUILD
def test_download_links_and_file_names(built: SphinxTestApp) -> None:
    outdir = Path(built.outdir)
    page = soup(built, "sub/page.html")
    links = page.select("p.df-table-download a")
    assert [a["href"] for a in links] == ["results-by-model.csv", "page-1.csv", "page-2.csv"]
    for a in links:
        assert a.get_text() == "Download CSV"
        assert a["download"] == a["href"]
        assert (outdir / "sub" / str(a["href"])).is_file()
    # Each link comes right after its table (and the table's scroll container).
    for table in tables(page):
        container = table.find_parent("div", class_="df-table-container")
        assert container is not None
        assert container.find_next_sibling().name == "p"
    assert [a["href"] for a in soup(built, "index.html").select("p.df-table-download a")] == []
    assert (outdir / "only-download-1.csv").is_file()
    assert sorted(p.name for p in outdir.rglob("*.csv")) == [
        "only-download-1.csv",
        "page-1.csv",
        "page-2.csv",
        "results-by-model.csv",
    ]


# -- other builders -------------------------------------------------------------


def with_builder(builder: str) -> Any:
    """A ``builder`` parameter whose test builds root ``interactive`` with that builder.

    Each in its own copy of the root: a build directory shared between builders
    would let one reuse another's environment and result cache.
    """
    mark = pytest.mark.sphinx(builder, testroot="interactive", srcdir=f"interactive-{builder}")
    return pytest.param(builder, marks=mark)


@pytest.mark.parametrize("builder", [with_builder("dirhtml"), with_builder("singlehtml")])
def test_links_resolve_in_other_html_builders(built: SphinxTestApp, builder: str) -> None:
    app = built
    assert warnings_of(app) == []
    outdir = Path(app.outdir)
    expected = expected_csv(Path(app.srcdir) / "data" / "results.csv")
    pages = {
        "dirhtml": ["sub/page/index.html", "only-download/index.html"],
        "singlehtml": ["index.html"],
    }[builder]
    hrefs = []
    for page in pages:
        for a in soup(app, page).select("p.df-table-download a"):
            target = outdir / posixpath.normpath(posixpath.join(posixpath.dirname(page), a["href"]))
            assert target.read_text(encoding="utf-8") == expected
            hrefs.append(str(a["href"]))
    assert len(hrefs) == 4
    for name in ("df-table.js", "df-table.css", "df-table-base.css"):
        assert (outdir / "_static" / name).read_bytes() == (STATIC_DIR / name).read_bytes()
    linked = {"dirhtml": "../../_static/df-table.js", "singlehtml": "_static/df-table.js"}[builder]
    assert linked in scripts(soup(app, pages[0]))


@pytest.mark.parametrize("builder", [with_builder(b) for b in ("text", "latex", "epub")])
def test_no_link_and_no_file_in_other_formats(built: SphinxTestApp, builder: str) -> None:
    app = built
    # (EPUB warns about its own settings, which these projects leave empty.)
    assert [w for w in warnings_of(app) if "epub" not in w.lower()] == []
    outdir = Path(app.outdir)
    assert not list(outdir.rglob("*.csv"))
    for path in outdir.rglob("*"):
        if path.suffix in {".txt", ".tex", ".xhtml", ".html"}:
            text = path.read_text(encoding="utf-8")
            assert "Download CSV" not in text, path
            assert "df-table.js" not in text, path
    # Only what the pages link is shipped: the base stylesheet to EPUB pages
    # (which have no script), nothing to the other formats.
    shipped = sorted(p.name for p in outdir.rglob("df-table*"))
    assert shipped == (["df-table-base.css"] if builder == "epub" else [])
    if builder == "epub":
        page = (outdir / "sub" / "page.xhtml").read_text(encoding="utf-8")
        assert "_static/df-table-base.css" in page
        assert "df-table.css" not in page
    # The tables themselves are all there.
    if builder == "text":
        assert (outdir / "sub" / "page.txt").read_text(encoding="utf-8").count("bert-large") == 3


def test_shipped_files_by_builder() -> None:
    """Each HTML-format builder gets the files its pages may link; the others none."""
    from sphinx.builders.epub3 import Epub3Builder
    from sphinx.builders.html import StandaloneHTMLBuilder
    from sphinx.builders.latex import LaTeXBuilder
    from sphinx.builders.singlehtml import SingleFileHTMLBuilder
    from sphinx.builders.text import TextBuilder
    from sphinxcontrib.serializinghtml import JSONHTMLBuilder

    everything = ["df-table-base.css", "df-table.css", "df-table.js"]

    def files(cls: type) -> list[str]:
        builder = cls.__new__(cls)  # the format and the class are all that count
        return shipped_files(builder)

    assert files(StandaloneHTMLBuilder) == files(SingleFileHTMLBuilder) == everything
    assert files(Epub3Builder) == files(JSONHTMLBuilder) == ["df-table-base.css"]
    assert files(LaTeXBuilder) == files(TextBuilder) == []
    assert all((STATIC_DIR / name).is_file() for name in everything)


def test_an_unchanged_rebuild_sees_no_configuration_change(tmp_path: Path) -> None:
    """Rebuilding the same project into the same output reads and writes nothing (issue #10)."""
    src = copy_root("interactive", tmp_path / "src")
    out = tmp_path / "out"
    first = run_sphinx_build(src, out, "-b", "html")
    assert first.returncode == 0, first.stderr
    assert "configuration has changed" not in first.stdout
    second = run_sphinx_build(src, out, "-b", "html")
    assert second.returncode == 0, second.stderr
    assert "configuration has changed" not in second.stdout, second.stdout
    assert "0 added, 0 changed, 0 removed" in second.stdout, second.stdout
    assert (out / "_static" / "df-table.js").is_file()


# -- site-wide settings, the cache, -j ------------------------------------------


@pytest.mark.sphinx(
    "html",
    testroot="interactive",
    srcdir="interactive-site-wide",
    confoverrides={"df_table_interactive": True, "df_table_download": True},
)
def test_site_wide_settings_and_opting_out(built: SphinxTestApp) -> None:
    app = built
    assert warnings_of(app) == []
    index = soup(app, "index.html")
    assert ["df-table-interactive" in t["class"] for t in tables(index)] == [True, True, False]
    assert [a["href"] for a in index.select("p.df-table-download a")] == [
        "index-1.csv",
        "index-2.csv",
    ]
    assert "_static/df-table.js" in scripts(soup(app, "plain.html"))


@pytest.mark.sphinx("html", testroot="interactive-bad-values")
def test_bad_values_are_warnings(built: SphinxTestApp) -> None:
    warnings = warnings_of(built)
    assert len(warnings) == 2, warnings
    assert "df_table_interactive" in warnings[0] and "[df_table.config]" in warnings[0]
    assert ":download:" in warnings[1] and "[df_table.option]" in warnings[1]
    assert "index.rst:4" in warnings[1]


@pytest.mark.sphinx("html", testroot="interactive-cache-key")
def test_download_is_part_of_the_cache_key(make_app: MakeApp, app_params: Any) -> None:
    """A result cached without the CSV is not reused when a download is asked for."""
    args, kwargs = app_params
    src = Path(kwargs["srcdir"])
    first = make_app(*args, **kwargs)
    first.build()
    assert not list(Path(first.outdir).rglob("*.csv"))
    # The same project and build directory, with downloads turned on site-wide.
    second = make_app(*args, **kwargs, confoverrides={"df_table_download": True})
    second.build()
    written = (Path(second.outdir) / "index-1.csv").read_text(encoding="utf-8")
    assert written == expected_csv(src / "data" / "results.csv")


def test_parallel_build_writes_every_download(tmp_path: Path) -> None:
    # Test root ``interactive-parallel``: four pages, each with a table to download.
    src = copy_root("interactive-parallel", tmp_path / "src")
    result = run_sphinx_build(src, tmp_path / "out", "-q", "-W", "-j", "2", "-b", "html")
    assert result.returncode == 0, result.stderr
    expected = expected_csv(src / "data" / "results.csv")
    for i in range(4):
        assert (tmp_path / "out" / f"page{i}-1.csv").read_text(encoding="utf-8") == expected
        page = (tmp_path / "out" / f"page{i}.html").read_text(encoding="utf-8")
        assert "_static/df-table.js" in page
    for name in ("df-table.js", "df-table.css", "df-table-base.css"):
        assert (tmp_path / "out" / "_static" / name).is_file(), name
