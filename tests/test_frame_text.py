"""Cell text must be what ``DataFrame.to_csv(index=False)`` writes (no Sphinx here).

The oracle is pandas itself: the test writes CSV and reads it back with the
``csv`` module, the way the original in-house directive's ``csv-table`` did.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

from sphinx_df_table.worker.frame_cells import ResultTypeError, as_frame, frame_to_table

pytestmark = pytest.mark.matrix


def csv_grid(frame: pd.DataFrame) -> list[list[str]]:
    """What the original directive showed: to_csv text parsed by the csv module."""
    return list(csv.reader(io.StringIO(frame.to_csv(index=False))))


def table_grid(frame: pd.DataFrame) -> list[list[str]]:
    data = frame_to_table(frame)
    return [*data.header, *data.body]


def test_mixed_dtypes_match_to_csv() -> None:
    frame = pd.DataFrame(
        {
            "float": [0.1, 1e-7, 1234567.0, np.nan],
            "float32": np.array([0.1, 2.5, np.nan, 1e20], dtype="float32"),
            "int": [1, 2, 3, 4],
            "Int64": pd.array([1, None, 3, 4], dtype="Int64"),
            "bool": [True, False, True, None],
            "date": pd.to_datetime(["2020-01-01", "2020-01-02", None, "2021-03-04"]),
            "datetime": pd.to_datetime(
                ["2020-01-01 10:00", "2020-01-02 00:00", None, "2021-03-04 00:00:01.5"],
                format="ISO8601",
            ),
            "tz": pd.to_datetime(["2020-01-01", "2020-01-02", None, "2021-03-04"]).tz_localize(
                "Europe/Paris"
            ),
            "timedelta": pd.to_timedelta([1, 2, None, 3.5], unit="D"),
            "category": pd.Categorical(["a", "b", None, "a"]),
            "str": ["x", None, 'z"q', "new\nline"],
            "object": [1, "a", 2.5, None],
            "string": pd.array(["a", None, "c", "d"], dtype="string"),
            "complex": [1 + 2j, 0j, 3j, np.nan],
            "period": pd.period_range("2020-01", periods=4, freq="M"),
            "whole floats": [1.0, 2.0, 3.0, 4.0],
            "extremes": [1e16, 1.5e300, -0.0, np.inf],
        }
    )
    assert table_grid(frame) == csv_grid(frame)


def test_known_texts() -> None:
    """Spot values, so a shared bug in pandas' and our formatting cannot hide."""
    frame = pd.DataFrame({"a": [0.1, np.nan, 1234567.0], "b": ["x", None, "1."]})
    data = frame_to_table(frame)
    assert data.header == [["a", "b"]]
    assert data.body == [["0.1", "x"], ["", ""], ["1234567.0", "1."]]
    assert data.numeric == [True, False]


def test_numeric_flags() -> None:
    frame = pd.DataFrame({"i": [1], "f": [1.5], "b": [True], "s": ["x"], "c": [1j]})
    assert frame_to_table(frame).numeric == [True, True, False, False, True]


def test_multiindex_columns_give_one_header_row_per_level_with_merged_cells() -> None:
    frame = pd.DataFrame(
        [[1, 2, 3]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y"), ("b", "x")])
    )
    data = frame_to_table(frame)
    # "a" spans its two columns; the cell it covers is empty.
    assert data.header == [["a", "", "b"], ["x", "y", "x"]]
    assert data.spans == [[0, 0, 0, 1]]
    assert data.body == csv_grid(frame)[2:]


def test_duplicate_and_non_string_labels() -> None:
    frame = pd.DataFrame([[1, 2, 3]], columns=["a", "a", 1.5])
    assert table_grid(frame) == csv_grid(frame) == [["a", "a", "1.5"], ["1", "2", "3"]]


def test_series_is_one_column_named_like_to_csv() -> None:
    named = pd.Series([1.5, 2.0], name="Throughput")
    assert table_grid(as_frame(named, "df")) == [["Throughput"], ["1.5"], ["2.0"]]
    unnamed = pd.Series(["a"])
    assert table_grid(as_frame(unnamed, "df")) == list(
        csv.reader(io.StringIO(unnamed.to_csv(index=False)))
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (42, "must be a pandas DataFrame, Series or Styler, not int"),
        ([[1, 2]], "not list"),
        (pd.DataFrame(), "empty DataFrame (0 rows x 0 columns)"),
        (pd.DataFrame({"a": []}), "empty DataFrame (0 rows x 1 columns)"),
    ],
)
def test_as_frame_refuses(value: object, message: str) -> None:
    with pytest.raises(ResultTypeError, match=None) as info:
        as_frame(value, "df")
    assert message in str(info.value)


_TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\r\x00"),
    max_size=12,
) | st.sampled_from(["|", "*", "_x_", "`a`", "- x", "1.", "a\nb", "x" * 200, '"', ",", ""])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hpd.data_frames(
        columns=[
            hpd.column("int", dtype=int),
            hpd.column("float", dtype=float),
            hpd.column("bool", dtype=bool),
            hpd.column("text", elements=_TEXT, dtype=object),
            hpd.column("ts", dtype="datetime64[ns]"),
        ],
        index=hpd.range_indexes(min_size=1, max_size=8),
    )
)
def test_property_matches_to_csv(frame: pd.DataFrame) -> None:
    assert table_grid(frame) == csv_grid(frame)


@settings(max_examples=40, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=4, unique=True), st.data())
def test_property_labels_match_to_csv(labels: list[str], data: st.DataObject) -> None:
    values = data.draw(st.lists(st.floats(allow_nan=True), min_size=len(labels)))
    frame = pd.DataFrame([values[: len(labels)]], columns=labels)
    assert table_grid(frame) == csv_grid(frame)
