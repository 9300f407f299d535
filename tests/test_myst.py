"""df-table in MyST Markdown: the same table, the same inline reST cells, located errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sphinx.testing.util import SphinxTestApp

from .helpers import warnings_of

pytestmark = pytest.mark.matrix


@pytest.mark.sphinx("html", testroot="myst")
def test_myst_fence(built: SphinxTestApp) -> None:
    app = built
    soup = BeautifulSoup((app.outdir / "index.html").read_text(encoding="utf-8"), "html.parser")
    table = soup.find("table", id="tbl-md")
    assert table is not None
    assert [th.get_text() for th in table.find_all("th")] == ["Model", "Scripts"]
    link = table.find("tbody").find("a")  # type: ignore[union-attr]
    # Cells use reST inline markup even in Markdown pages (the CSV is shared).
    assert link["href"] == "https://example.org/benchmarks/inf2"
    assert link.get_text() == "Benchmark"
    assert table.find("caption").find("em").get_text() == "Markdown"  # type: ignore[union-attr]
    assert "Table 1" in soup.get_text()
    first, second = warnings_of(app)
    assert f"{Path(app.srcdir, 'index.md')}:14:" in first
    assert first.endswith("[df_table.exception]")
    assert "FileNotFoundError" in first
    assert f"{Path(app.srcdir, 'index.md')}:22:" in second
    assert "KeyError: 'nope'" in second
