"""Property test: any DataFrame builds in html, latex and text, every value shown.

Hypothesis draws a handful of frames per example (mixed dtypes: int, float with
NaN/inf, bool, tz-aware datetime, timedelta, category, object with None, text
with reST-special characters, unicode, newlines and long strings; duplicate
and odd labels; single cells). The frames go into one project as pickles, each
read by a ``df-table``; the project is built with three builders and checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sphinx.testing.util import SphinxTestApp

from sphinx_df_table.worker.frame_cells import frame_to_table

from .helpers import make_app, warnings_of, write_project

pytestmark = pytest.mark.matrix

TEXT = st.text(
    alphabet=st.characters(
        exclude_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp"), include_characters="\n"
    ),
    max_size=15,
) | st.sampled_from(
    ["|x|", "*a*", "_b_", "`c`", "- item", "1.", "a\nb", "y" * 120, "\\", "::", ".. x", "é€😀"]
)


@st.composite
def column(draw: st.DrawFn, rows: int) -> pd.Series:
    kind = draw(st.sampled_from(["int", "float", "bool", "tz", "td", "cat", "obj", "str"]))
    if kind == "int":
        return pd.Series(
            draw(st.lists(st.integers(-(10**12), 10**12), min_size=rows, max_size=rows))
        )
    if kind == "float":
        values = st.floats(allow_nan=True, allow_infinity=True, width=64)
        return pd.Series(draw(st.lists(values, min_size=rows, max_size=rows)), dtype=float)
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))
    if kind == "tz":
        stamps = st.datetimes(
            min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
            max_value=pd.Timestamp("2040-01-01").to_pydatetime(),
        )
        values = draw(st.lists(stamps, min_size=rows, max_size=rows))
        return pd.Series(pd.to_datetime(values)).dt.tz_localize("Asia/Kolkata")
    if kind == "td":
        seconds = draw(st.lists(st.integers(-(10**7), 10**7), min_size=rows, max_size=rows))
        return pd.Series(pd.to_timedelta(seconds, unit="s"))
    if kind == "cat":
        return pd.Series(draw(st.lists(TEXT, min_size=rows, max_size=rows)), dtype="category")
    if kind == "obj":
        return pd.Series(
            draw(st.lists(st.none() | TEXT | st.integers(), min_size=rows, max_size=rows)),
            dtype=object,
        )
    return pd.Series(draw(st.lists(TEXT, min_size=rows, max_size=rows)), dtype="string")


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(1, 4))
    width = draw(st.integers(1, 4))
    labels = draw(st.lists(TEXT | st.integers(0, 3), min_size=width, max_size=width))
    data = {f"c{i}": draw(column(rows)) for i in range(width)}
    frame = pd.DataFrame(data)
    frame.columns = labels  # duplicates and odd labels allowed
    return frame


def tokens(text: str, *, ascii_only: bool) -> list[str]:
    """Words a writer keeps intact: it may wrap lines, escape punctuation and
    (LaTeX) turn some non-ASCII letters such as superscripts into macros."""
    pattern = r"[A-Za-z0-9]+" if ascii_only else r"[^\W_]+"
    return [t for t in re.findall(pattern, text) if len(t) <= 20]


def build(src: Path, builder: str) -> SphinxTestApp:
    app = make_app(builder, src)
    try:
        app.build()
    finally:
        app.cleanup()
    return app


# Each example is three Sphinx builds: a few examples of several frames each, and
# no shrinking (it would rebuild dozens of times); a failure prints the frames.
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(st.lists(frames(), min_size=5, max_size=5))
def test_any_frame_builds_everywhere(tmp_path_factory, drawn: list[pd.DataFrame]) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path_factory.mktemp("prop")
    lines = ["Property", "========", ""]
    files: dict[str, str] = {}
    for i in range(len(drawn)):
        lines += [
            ".. df-table::",
            "   :markup: none",
            f"   :name: t{i}",
            "",
            f"   df = pd.read_pickle('f{i}.pkl')",
            "",
        ]
    files["index.rst"] = "\n".join(lines)
    write_project(
        src,
        files,
        conf="smartquotes = False\nlatex_documents = [('index', 'p.tex', 'P', 'A', 'manual')]\n",
    )
    for i, frame in enumerate(drawn):
        frame.to_pickle(src / f"f{i}.pkl")
    expected = [frame_to_table(frame) for frame in drawn]

    html = build(src, "html")
    assert warnings_of(html) == []
    soup = BeautifulSoup((html.outdir / "index.html").read_text(encoding="utf-8"), "html.parser")
    for i, data in enumerate(expected):
        table = soup.find("table", id=f"t{i}")
        assert table is not None
        shown = [
            [cell.get_text() for cell in tr.find_all(["td", "th"])] for tr in table.find_all("tr")
        ]
        assert shown == [*data.header, *data.body]

    for builder, suffix in (("latex", "p.tex"), ("text", "index.txt")):
        app = build(src, builder)
        assert warnings_of(app) == [], builder
        output = (app.outdir / suffix).read_text(encoding="utf-8")
        for data in expected:
            for row in [*data.header, *data.body]:
                for text in row:
                    for token in tokens(text, ascii_only=builder == "latex"):
                        assert token in output, (builder, token, text)


def test_strategy_covers_the_hard_cases() -> None:
    """The generator reaches the dtypes and characters the issue names."""
    seen: set[str] = set()

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(frames())
    def collect(frame: pd.DataFrame) -> None:
        for dtype in frame.dtypes:
            seen.add(str(dtype).split("[")[0])
        if frame.columns.duplicated().any():
            seen.add("duplicate labels")
        if frame.size == 1:
            seen.add("single cell")
        values = frame.astype(str).to_numpy().ravel()
        if any(np.isin(["nan", "inf"], values)):
            seen.add("nan/inf")

    collect()
    assert {
        "int64",
        "float64",
        "bool",
        "datetime64",
        "timedelta64",
        "category",
        "object",
        "string",
        "single cell",
        "duplicate labels",
    } <= seen
