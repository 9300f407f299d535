"""Interactive tables and CSV downloads, without a browser (tests/browser/ has those).

Options and settings, the class the script looks for, the assets only on the
pages that need them, the CSV file next to the page holding the raw values, and
the table itself unchanged (it needs no JavaScript to exist).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path

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

from .helpers import run_sphinx_build, warnings_of, write_project

pytestmark = pytest.mark.matrix

Build = Callable[..., SphinxTestApp]

CONF = """
extensions += ["sphinx.ext.extlinks"]
extlinks = {"bench": ("https://example.org/%s", "%s")}
"""

#: Raw values that differ from what the table shows: long floats, a missing
#: value, reST markup (a link in the table), a thousands separator added late.
RESULTS_CSV = """\
Model,Throughput,Latency,Scripts
bert-base,1200.123456789,2.1,:bench:`Benchmark <bert>`
bert-large,3400.25,,:bench:`Benchmark <large>`
roberta,28000.5,5.75,*plain*
"""

SNIPPET = """\
df = pd.read_csv("{path}")
df["Cost"] = 1.0e6 / df["Throughput"]
"""


def snippet(path: str, indent: str = "   ") -> str:
    return "".join(indent + line + "\n" for line in SNIPPET.format(path=path).splitlines())


def expected_csv(csv_path: Path) -> str:
    """The DataFrame of SNIPPET, as pandas writes it (what the download must hold)."""
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
    assert len(script) < 25_000
    assert len(style) < 6_000
    for text in (script, style):
        assert "://" not in text
        assert "@import" not in text
        assert "url(" not in text
    for loader in ("import ", "import(", "require(", "fetch(", "XMLHttpRequest", "jQuery", "$("):
        assert loader not in script, loader


# -- one HTML build with every combination -------------------------------------

FILES = {
    "data/results.csv": RESULTS_CSV,
    "index.rst": """\
        Index
        =====

        .. toctree::

           sub/page
           only-download
           plain

        .. df-table:: Interactive
           :interactive:

        {snippet}

        .. df-table:: Ordinary

        {snippet}

        .. df-table:: Turned off
           :interactive: no
           :download: off

        {snippet}
        """,
    "sub/page.rst": """\
        Page
        ====

        .. df-table:: Named
           :name: Results By Model
           :interactive:
           :download:

        {snippet_up}

        .. df-table:: First unnamed
           :download:

        {snippet_up}

        .. df-table:: Second unnamed
           :download:

        {snippet_up}
        """,
    "only-download.rst": """\
        Only a download
        ===============

        .. df-table::
           :download:

        {snippet}
        """,
    "plain.rst": """\
        Plain
        =====

        .. df-table::

        {snippet}
        """,
}


def project_files() -> dict[str, str]:
    # The texts are indented by 8 spaces (write_project dedents them), the
    # snippet by 3 more, as a directive's body.
    here, up = snippet("data/results.csv", " " * 11), snippet("../data/results.csv", " " * 11)
    return {
        name: text.replace(" " * 8 + "{snippet}", here).replace(" " * 8 + "{snippet_up}", up)
        for name, text in FILES.items()
    }


@pytest.fixture(scope="module")
def html(module_build: Build) -> SphinxTestApp:
    return module_build(project_files(), conf=CONF)


def test_builds_without_warnings(html: SphinxTestApp) -> None:
    assert warnings_of(html) == []


def test_interactive_tables_are_marked_for_the_script(html: SphinxTestApp) -> None:
    marked = ["df-table-interactive" in t["class"] for t in tables(soup(html, "index.html"))]
    assert marked == [True, False, False]
    assert ["df-table-interactive" in t["class"] for t in tables(soup(html, "sub/page.html"))] == [
        True,
        False,
        False,
    ]


def test_script_and_stylesheet_only_on_pages_that_use_them(html: SphinxTestApp) -> None:
    js, css = "_static/df-table.js", "_static/df-table.css"
    index = soup(html, "index.html")
    assert js in scripts(index)
    assert css in stylesheets(index)
    # the script is deferred, so it runs once the tables are parsed
    (tag,) = [s for s in index.find_all("script") if js in str(s.get("src"))]
    assert tag.has_attr("defer")
    sub = soup(html, "sub/page.html")
    assert "../" + js in scripts(sub)
    download_only = soup(html, "only-download.html")
    assert css in stylesheets(download_only)
    assert js not in scripts(download_only)
    for page in ("plain.html", "genindex.html", "search.html"):
        assert js not in scripts(soup(html, page)), page
        assert css not in stylesheets(soup(html, page)), page
    for name in ("df-table.js", "df-table.css", "df-table-base.css"):
        shipped = (Path(html.outdir) / "_static" / name).read_bytes()
        assert shipped == (STATIC_DIR / name).read_bytes()


def test_the_user_configuration_is_left_alone(html: SphinxTestApp) -> None:
    """The assets are copied, not added to ``html_static_path`` (issue #10)."""
    assert html.config.html_static_path == []


def test_the_table_needs_no_javascript(html: SphinxTestApp) -> None:
    """The interactive table is the same table as an ordinary one; the script adds the rest."""
    interactive, ordinary, _ = tables(soup(html, "index.html"))

    def rows(table: Tag) -> list[list[str]]:
        return [[c.get_text(strip=True) for c in tr.find_all(["td", "th"])] for tr in table("tr")]

    assert rows(interactive) == rows(ordinary)
    assert len(rows(interactive)) == 1 + 3
    assert interactive.find("thead") is not None
    assert interactive.find("tbody") is not None
    for made_by_the_script in ("button", "input"):
        assert interactive.find(made_by_the_script) is None
    assert not interactive.find_all(attrs={"hidden": True})


def test_csv_is_written_next_to_the_page_with_raw_values(
    html: SphinxTestApp, tmp_path: Path
) -> None:
    src = Path(html.srcdir)
    outdir = Path(html.outdir)
    expected = expected_csv(src / "data" / "results.csv")
    written = (outdir / "sub" / "results-by-model.csv").read_text(encoding="utf-8")
    assert written == expected
    # Raw values: the markup is not rendered, floats are not rounded.
    assert ":bench:`Benchmark <bert>`" in written
    assert "1200.123456789" in written
    # ... while the table shows the rendered cell.
    first = tables(soup(html, "sub/page.html"))[0]
    assert first.find("a", href="https://example.org/bert") is not None


def test_download_links_and_file_names(html: SphinxTestApp) -> None:
    outdir = Path(html.outdir)
    page = soup(html, "sub/page.html")
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
    assert [a["href"] for a in soup(html, "index.html").select("p.df-table-download a")] == []
    assert (outdir / "only-download-1.csv").is_file()
    assert sorted(p.name for p in outdir.rglob("*.csv")) == [
        "only-download-1.csv",
        "page-1.csv",
        "page-2.csv",
        "results-by-model.csv",
    ]


# -- other builders -------------------------------------------------------------


@pytest.mark.parametrize("builder", ["dirhtml", "singlehtml"])
def test_links_resolve_in_other_html_builders(build: Build, builder: str) -> None:
    app = build(project_files(), conf=CONF, builder=builder)
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


@pytest.mark.parametrize("builder", ["text", "latex", "epub"])
def test_no_link_and_no_file_in_other_formats(build: Build, builder: str) -> None:
    app = build(project_files(), conf=CONF, builder=builder)
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
    src = write_project(tmp_path / "src", project_files(), conf=CONF)
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


def test_site_wide_settings_and_opting_out(build: Build) -> None:
    app = build(
        project_files(), conf=CONF + "df_table_interactive = True\ndf_table_download = True\n"
    )
    assert warnings_of(app) == []
    index = soup(app, "index.html")
    assert ["df-table-interactive" in t["class"] for t in tables(index)] == [True, True, False]
    assert [a["href"] for a in index.select("p.df-table-download a")] == [
        "index-1.csv",
        "index-2.csv",
    ]
    assert "_static/df-table.js" in scripts(soup(app, "plain.html"))


def test_bad_values_are_warnings(build: Build) -> None:
    files = {
        "index.rst": "Index\n=====\n\n.. df-table::\n   :download: maybe\n\n"
        '   df = pd.DataFrame({"a": [1]})\n'
    }
    app = build(files, conf='df_table_interactive = "yes"\n')
    warnings = warnings_of(app)
    assert len(warnings) == 2, warnings
    assert "df_table_interactive" in warnings[0] and "[df_table.config]" in warnings[0]
    assert ":download:" in warnings[1] and "[df_table.option]" in warnings[1]
    assert "index.rst:4" in warnings[1]


def test_download_is_part_of_the_cache_key(build: Build, tmp_path: Path) -> None:
    """A result cached without the CSV is not reused when a download is asked for."""
    src = tmp_path / "cached"
    files = {
        "data/results.csv": RESULTS_CSV,
        "index.rst": "Index\n=====\n\n.. df-table::\n\n" + snippet("data/results.csv"),
    }
    first = build(files, srcdir=src)
    assert not list(Path(first.outdir).rglob("*.csv"))
    second = build(files, conf="df_table_download = True\n", srcdir=src)
    written = (Path(second.outdir) / "index-1.csv").read_text(encoding="utf-8")
    assert written == expected_csv(src / "data" / "results.csv")


def test_parallel_build_writes_every_download(tmp_path: Path) -> None:
    pages = {
        f"page{i}.rst": f"Page {i}\n======\n\n.. df-table::\n   :download:\n   :interactive:\n\n"
        for i in range(4)
    }
    files = {name: text + snippet("data/results.csv") for name, text in pages.items()}
    files["data/results.csv"] = RESULTS_CSV
    files["index.rst"] = "Index\n=====\n\n.. toctree::\n\n" + "".join(
        f"   page{i}\n" for i in range(4)
    )
    src = write_project(tmp_path / "src", files, conf=CONF)
    result = run_sphinx_build(src, tmp_path / "out", "-q", "-W", "-j", "2", "-b", "html")
    assert result.returncode == 0, result.stderr
    expected = expected_csv(src / "data" / "results.csv")
    for i in range(4):
        assert (tmp_path / "out" / f"page{i}-1.csv").read_text(encoding="utf-8") == expected
        page = (tmp_path / "out" / f"page{i}.html").read_text(encoding="utf-8")
        assert "_static/df-table.js" in page
    for name in ("df-table.js", "df-table.css", "df-table-base.css"):
        assert (tmp_path / "out" / "_static" / name).is_file(), name
