"""Issue #17 part 3: polars, pyarrow and narwhals frames as ``df``.

Each library's frame becomes a table through Arrow, so its cell text, column
facts and sort keys are the pandas frame's on every dtype the libraries share
with pandas (the property test); a frame of a library whose conversion needs
a package that is missing says which extra installs it. These libraries are
in the ``test`` extra (the ``newest`` session), not in ``test-core``: the
tests are not part of the old-version matrix.
"""

from __future__ import annotations

import sys
from pathlib import Path

import narwhals as nw
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sphinx_df_table.worker.failures import error_from
from sphinx_df_table.worker.frame_cells import ResultTypeError, as_frame, frame_to_table

from .helpers import make_app, out_dir, warnings_of, write_project

TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc", "Co", "Cn")), max_size=10
) | st.sampled_from(["*a*", "x,y", '"q"', "é€😀", ""])


@st.composite
def shared_column(draw: st.DrawFn, rows: int) -> pd.Series:
    """A column of a dtype that pandas, polars and pyarrow all have."""
    kind = draw(st.sampled_from(["int", "float", "bool", "str", "ts", "tz", "td", "cat"]))
    size = {"min_size": rows, "max_size": rows}
    if kind == "int":
        return pd.Series(draw(st.lists(st.integers(-(2**62), 2**62), **size)), dtype="int64")
    if kind == "float":
        floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
        return pd.Series(draw(st.lists(floats, **size)), dtype="float64")
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), **size)), dtype=bool)
    if kind == "str":
        return pd.Series(draw(st.lists(st.none() | TEXT, **size)), dtype=object)
    if kind == "td":
        seconds = draw(st.lists(st.none() | st.integers(-(10**9), 10**9), **size))
        return pd.Series(pd.to_timedelta(seconds, unit="s"))
    if kind == "cat":
        return pd.Series(draw(st.lists(st.sampled_from(["a", "b", "c"]), **size)), dtype="category")
    stamps = st.none() | st.datetimes(
        min_value=pd.Timestamp("1900-01-01").to_pydatetime(),
        max_value=pd.Timestamp("2200-01-01").to_pydatetime(),
    )
    series = pd.Series(pd.to_datetime(draw(st.lists(stamps, **size))), dtype="datetime64[ns]")
    return series.dt.tz_localize("Asia/Kolkata") if kind == "tz" else series


@st.composite
def shared_frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(1, 6))
    return pd.DataFrame(
        {f"c{i}": draw(shared_column(rows)) for i in range(draw(st.integers(1, 5)))}
    )


CONVERSIONS = {
    "polars": pl.from_pandas,
    "polars lazy": lambda frame: pl.from_pandas(frame).lazy(),
    "pyarrow": lambda frame: pa.Table.from_pandas(frame, preserve_index=False),
    "pyarrow batch": lambda frame: pa.RecordBatch.from_pandas(frame, preserve_index=False),
    "narwhals": lambda frame: nw.from_native(pl.from_pandas(frame)),
}


@pytest.mark.parametrize("library", CONVERSIONS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=shared_frames())
def test_property_each_library_gives_the_pandas_table(library: str, frame: pd.DataFrame) -> None:
    expected = frame_to_table(frame)
    table = frame_to_table(as_frame(CONVERSIONS[library](frame), "df"))
    assert table.header == expected.header
    assert table.body == expected.body
    assert table.columns == expected.columns
    assert table.sort_keys == expected.sort_keys


def test_integers_with_nulls_keep_their_digits_and_polars_floats_their_repr() -> None:
    frame = pl.DataFrame({"n": [1, None, 3], "x": [0.1 + 0.2, None, float("nan")]})
    assert frame_to_table(as_frame(frame, "df")).body == [
        ["1", "0.30000000000000004"],
        ["", ""],
        ["3", ""],
    ]
    series = pl.Series("s", ["a", None])
    assert frame_to_table(as_frame(series, "df")).body == [["a"], [""]]


def test_a_missing_pyarrow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pl.DataFrame({"a": [1]})
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow fails
    with pytest.raises(ResultTypeError, match=r'pip install "sphinx-df-table\[polars\]"'):
        as_frame(frame, "df")


def test_a_frame_narwhals_would_read_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    relation = type("DuckDBPyRelation", (), {"__module__": "duckdb"})()
    monkeypatch.setitem(sys.modules, "narwhals", None)
    with pytest.raises(ResultTypeError, match=r"needs narwhals.*\[narwhals\]"):
        as_frame(relation, "df")


def test_other_objects_are_refused_naming_the_libraries() -> None:
    with pytest.raises(ResultTypeError, match="polars or pyarrow frame, or one narwhals reads"):
        as_frame(pa.array([1]), "df")


def test_importing_a_missing_library_says_what_to_install() -> None:
    error = error_from(ModuleNotFoundError("No module named 'polars'", name="polars"), None)
    assert error.message.endswith('(install it with: pip install "sphinx-df-table[polars]")')
    other = error_from(ModuleNotFoundError("No module named 'nope'", name="nope"), None)
    assert "install it" not in other.message


PAGE = """\
Libraries
=========

.. df-table::
   :name: lazy
   :highlight: min y

   import polars as pl
   df = pl.DataFrame({"x": [1, None, 3], "y": [1.5, None, 0.25]}).lazy()

.. df-table::
   :name: arrow

   import pyarrow as pa
   df = pa.table({"when": pa.array([3600, None], pa.timestamp("s")), "ok": [True, None]})

.. df-table::
   :name: narwhals

   import narwhals as nw
   import polars as pl
   df = nw.from_native(pl.DataFrame({"label": ["a", "b"]}))
"""


@pytest.mark.parametrize("builder", ["html", "latex", "text"])
def test_frames_of_each_library_build_through_the_worker(tmp_path: Path, builder: str) -> None:
    """polars imports inside the sandboxed worker too (see dataframe_libraries)."""
    src = write_project(
        tmp_path,
        {"index.rst": PAGE},
        conf="latex_documents = [('index', 'p.tex', 'P', 'A', 'manual')]\n",
    )
    app = make_app(builder, src)
    try:
        app.build()
    finally:
        app.cleanup()
    assert warnings_of(app) == []
    name = {"html": "index.html", "latex": "p.tex", "text": "index.txt"}[builder]
    output = (out_dir(app) / name).read_text(encoding="utf-8")
    if builder != "html":
        for text in ("0.25", "01:00:00", "True", "label"):
            assert text in output
        return
    soup = BeautifulSoup(output, "html.parser")
    cells = {
        table: [
            [cell.get_text() for cell in row.find_all("td")]
            for row in soup.find("table", id=table).find_all("tr")[1:]
        ]
        for table in ("lazy", "arrow", "narwhals")
    }
    assert cells == {
        "lazy": [["1", "1.5"], ["", ""], ["3", "0.25"]],
        "arrow": [["1970-01-01 01:00:00", "True"], ["", ""]],
        "narwhals": [["a"], ["b"]],
    }
    assert soup.find("table", id="lazy").select("td.df-highlight")[0].get_text() == "0.25"
