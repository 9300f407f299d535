"""The project's own documentation builds with -W, with the extension itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from .helpers import REPO, run_sphinx_build

pytestmark = pytest.mark.slow

DOCS = REPO / "docs"


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs-html")
    result = run_sphinx_build(
        DOCS, out, "-W", "--keep-going", "-q", "-b", "html", "-j", "2", "-d", str(out / ".doctrees")
    )
    assert result.returncode == 0, result.stderr
    return out


def test_example_page_has_four_tabbed_tables_with_links(html: Path) -> None:
    page = BeautifulSoup(
        (html / "examples" / "trn1-inference.html").read_text(encoding="utf-8"), "html.parser"
    )
    sections = {h.get_text().rstrip("¶"): h.find_parent("section") for h in page.find_all("h2")}
    for title in ("Encoder Models", "Encoder-Decoder Models"):
        section = sections[title]
        labels = [
            label.get_text().strip() for label in section.find_all("label", class_="sd-tab-label")
        ]
        assert labels[:2] == ["Throughput optimized", "Latency optimized"]
        tables = section.select("div.sd-tab-content table.df-table")
        assert len(tables) >= 2
        for table in tables:
            headers = [th.get_text() for th in table.thead.find_all("th")]
            scripts = headers.index("Scripts")
            rows = table.tbody.find_all("tr")
            assert rows
            for row in rows:
                cell = row.find_all(["td", "th"])[scripts]
                assert cell.find("a", href=True) is not None
            cost = next(i for i, h in enumerate(headers) if h.startswith("Cost per 1M"))
            assert all(r.find_all(["td", "th"])[cost].get_text().startswith("$") for r in rows)


def test_reference_pages_render_live_examples(html: Path) -> None:
    rich = (html / "reference" / "rich-tables.html").read_text(encoding="utf-8")
    assert 'rowspan="2"' in rich and 'colspan="2"' in rich
    assert "\u2026 960 more rows" in rich


def test_latex_build(tmp_path: Path) -> None:
    result = run_sphinx_build(DOCS, tmp_path, "-W", "--keep-going", "-q", "-b", "latex")
    assert result.returncode == 0, result.stderr
    (tex,) = tmp_path.glob("*.tex")
    text = tex.read_text(encoding="utf-8")
    assert r"\begin{longtable}" in text and r"\begin{tabulary}" in text
