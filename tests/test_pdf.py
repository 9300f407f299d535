"""PDF output, compiled: every value intact, tables within the text block, links kept.

Each project is built twice, once as HTML (the cell texts a reader sees) and
once to PDF (``sphinx-build -M latexpdf``: Sphinx's LaTeX builder, then
``latexmk``), once per module. The assertions read the PDF with poppler's
``pdftotext`` (text, word boxes) and ``pdfinfo`` (links, page rotation), and
the LaTeX log. They need TeX and poppler (``.ci/run`` installs them); without
them the tests fail, and are never skipped. Marked ``pdf``: only the
``newest`` session of the matrix runs them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from .helpers import REPO, ROOTS

pytestmark = pytest.mark.pdf

#: Where the text block of a letter page (Sphinx's default) lies: 1 in margins.
MARGIN, PAGE = 72.0, (612.0, 792.0)
#: Rounding in the PDF's coordinates, and descenders of a text block's last line.
SLACK = 3.0
#: Headers and footers lie this far or more outside the text block.
RUNNING_HEAD = 14.0


@dataclass
class Built:
    """One project built as HTML and PDF."""

    html: Path
    pdf: Path
    log: str
    tex: str

    def pages(self) -> list[str]:
        """The text of each page (``pdftotext -layout``)."""
        text = run("pdftotext", "-layout", str(self.pdf), "-")
        return text.split("\f")[:-1]


def run(*command: str) -> str:
    """A tool's output; fails the test, saying what to install, when it is missing."""
    if shutil.which(command[0]) is None:
        pytest.fail(f"{command[0]} is not installed (.ci/run installs TeX and poppler-utils)")
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def build(src: Path, out: Path, name: str) -> Built:
    """Build ``src`` as HTML and as PDF into ``out``."""
    if shutil.which("latexmk") is None:
        pytest.fail("latexmk is not installed (.ci/run installs TeX and poppler-utils)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), *sys.path])}
    for builder in ("html", "latexpdf"):
        subprocess.run(
            [sys.executable, "-m", "sphinx", "-M", builder, str(src), str(out), "-q"],
            check=True,
            env=env,
            capture_output=True,
        )
    latex = out / "latex"
    return Built(
        out / "html",
        latex / f"{name}.pdf",
        (latex / f"{name}.log").read_text(encoding="latin-1"),
        (latex / f"{name}.tex").read_text(encoding="utf-8"),
    )


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """``tests/roots/test-pdf``: a long, a wide, a MultiIndex, a :widths: and a code table."""
    src = tmp_path_factory.mktemp("pdf-root") / "src"
    shutil.copytree(ROOTS / "test-pdf", src)
    return build(src, src.parent / "out", "pdf")


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """This project's documentation (its example page has four 16-19 column tables)."""
    out = tmp_path_factory.mktemp("pdf-docs")
    return build(REPO / "docs", out, "sphinx-df-table")


def html_tables(html: Path) -> dict[str, list[str]]:
    """Each df-table's id (its ``:name:``) -> the texts of its cells, as HTML shows them."""
    tables = {}
    for page in html.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for table in soup.select("table.df-table"):
            cells = [cell.get_text(" ", strip=True) for cell in table.select("th, td")]
            tables[str(table.get("id", ""))] = [cell for cell in cells if cell]
    return tables


def missing_words(cells: list[str], text: str) -> list[str]:
    """The words of ``cells`` that ``text`` lacks: a word cut or lost."""
    return sorted({word for cell in cells for word in cell.split() if word not in text})


def page_range(pages: list[str], start: str, stop: str | None) -> range:
    """Page numbers (from 1): from the page holding ``start`` to the one holding ``stop``."""
    first = next(i for i, page in enumerate(pages) if start in page)
    last = len(pages) - 1
    if stop is not None:
        last = next(i for i, page in enumerate(pages) if i > first and stop in page)
    return range(first + 1, last + 2)


def pages_between(pages: list[str], start: str, stop: str | None) -> str:
    """The text of the pages :func:`page_range` gives."""
    return "\n".join(pages[n - 1] for n in page_range(pages, start, stop))


def overfull_lines(log: str) -> list[int]:
    """The ``.tex`` lines where the LaTeX log reports an overfull box."""
    found = re.findall(r"Overfull \\hbox .*? at lines? (\d+)", log)
    return [int(line) for line in found]


def words_outside_text_block(pdf: Path, only: range | None = None) -> list[str]:
    """Words of page bodies outside the text block: past a margin, or into the footer.

    ``only``: the numbers of the pages to check (from 1); all by default.

    Coordinates are those of the page as shown (a landscape page turned);
    running heads and footers, which lie well outside the block, are left out.
    """
    bbox = run("pdftotext", "-bbox", str(pdf), "-")
    # pdftotext gives a turned page's words as shown, but its size unturned.
    info = run("pdfinfo", "-f", "1", "-l", "100000", str(pdf))
    turned_pages = {int(n) for n in re.findall(r"Page +(\d+) rot: +(?:90|270)\b", info)}
    outside = []
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", bbox, re.S), start=1):
        width, height = (float(v) for v in re.findall(r'(?:width|height)="([\d.]+)"', page)[:2])
        if only is not None and number not in only:
            continue
        turned = number in turned_pages
        if turned:
            width, height = height, width
        for x0, y0, x1, y1, word in re.findall(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', page
        ):
            box = [float(x0), float(y0), float(x1), float(y1)]
            # The running head and foot are across the top and bottom of the
            # unturned page: on a turned page, at its left and right ends.
            low, high = (box[0], box[2]) if turned else (box[1], box[3])
            extent = width if turned else height
            if high < MARGIN - RUNNING_HEAD or low > extent - MARGIN + RUNNING_HEAD:
                continue
            if (
                box[0] < MARGIN - SLACK
                or box[1] < MARGIN - SLACK
                or box[2] > width - MARGIN + SLACK
                or box[3] > height - MARGIN + SLACK
            ):
                outside.append(f"page {number}: {word} {box}")
    return outside


def test_root_compiles_without_errors_or_overfull_boxes(root: Built) -> None:
    assert "! " not in root.log.replace("!  ==>", "")  # no LaTeX error
    # Every table of this project is a df-table.
    assert overfull_lines(root.log) == []


def test_root_every_cell_is_in_the_pdf(root: Built) -> None:
    tables = html_tables(root.html)
    assert list(tables) == ["runs", "columns", "grouped", "author-widths", "code"]
    pages = root.pages()
    captions = [
        "Two hundred runs",
        "Twenty-five columns",
        "Grouped results",
        "Widths from the author",
        "Code, shown as it is",
    ]
    for (name, cells), start, stop in zip(
        tables.items(), captions, [*captions[1:], None], strict=True
    ):
        text = pages_between(pages, start, stop)
        assert missing_words(cells, text) == [], name


def test_root_tables_stay_in_the_text_block(root: Built) -> None:
    assert words_outside_text_block(root.pdf) == []


def test_root_wide_tables_are_fitted(root: Built) -> None:
    tex = root.tex
    # 25 columns: turned, smaller type, and in two parts that both start
    # with the label column.
    wide = tex[tex.index("five columns") - 600 :]
    assert wide.index(r"\begin{landscape}") < 600
    assert wide.count("Configuration", 0, wide.index(r"\end{landscape}")) == 2
    # The code table fits upright, its long text column wrapping.
    code = tex[tex.index("Code, shown as it is") - 600 :]
    assert r"\begin{landscape}" not in code
    assert re.search(r"\\begin\{tabular\}\[t\]\{\|>\{\\raggedright\\arraybackslash\}p\{", code)


def test_root_long_table_repeats_header_and_labels(root: Built) -> None:
    pages = root.pages()
    long_pages = [page for page in pages if "run-" in page]
    assert len(long_pages) >= 3
    for page in long_pages[1:]:
        assert "continued from previous page" in page
        assert "Throughput" in page  # the header, repeated
    # MultiIndex rows over several pages: every row shows its own labels.
    grouped = pages_between(pages, "Grouped results", "Widths from the author")
    assert grouped.count("continued from previous page") >= 1
    for family in ("encoder-only", "decoder-only", "encoder-decoder"):
        assert len(re.findall(rf"(?<!-){family}\b", grouped)) == 24


def test_root_links_stay_links(root: Built) -> None:
    urls = run("pdfinfo", "-url", str(root.pdf))
    assert all(f"https://example.org/runs/{i}\n" in urls for i in range(200))


@pytest.mark.slow
def test_docs_compile_and_example_tables_are_whole(docs: Built) -> None:
    assert "! " not in docs.log.replace("!  ==>", "")
    tex_lines = docs.tex.splitlines()
    start = next(
        i for i, line in enumerate(tex_lines) if "trn1-inference:encoder-throughput" in line
    )
    stop = next(i for i, line in enumerate(tex_lines) if "How the page is made" in line)
    assert [line for line in overfull_lines(docs.log) if start <= line <= stop] == []
    tables = html_tables(docs.html)
    pages = docs.pages()
    text = pages_between(pages, "Throughput optimized", "How the page is made")
    for name in (
        "encoder-throughput",
        "encoder-latency",
        "encoder-decoder-throughput",
        "encoder-decoder-latency",
    ):
        assert len(tables[name]) > 150
        assert missing_words(tables[name], text) == [], name
    example = page_range(pages, "Throughput optimized", "How the page is made")
    assert words_outside_text_block(docs.pdf, example) == []


@pytest.mark.slow
def test_docs_links_and_vector_charts(docs: Built) -> None:
    urls = run("pdfinfo", "-url", str(docs.pdf))
    assert "benchmarks/trn1/encoder/albert-base-v2" in urls
    assert "benchmarks/trn1/encoder-decoder/t5-large" in urls
    # Charts are PDF drawings at the column width: their labels are text,
    # and the PDF holds no raster image.
    includes = re.findall(r"\\sphinxincludegraphics(\[[^]]*\])?\{\{df-chart-", docs.tex)
    assert len(includes) >= 2
    assert all("width" not in (options or "") for options in includes)
    assert "Cost per 1M inferences" in "\n".join(docs.pages())
    assert run("pdfimages", "-list", str(docs.pdf)).count("\n") == 2  # the heading only
