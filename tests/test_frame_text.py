"""Cell text must be what ``DataFrame.to_csv(index=False)`` writes (no Sphinx here).

The oracle is pandas itself: the test writes CSV and reads it back with the
``csv`` module, the way the original in-house directive's ``csv-table`` did.
"""

from __future__ import annotations

import csv
import io
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

from sphinx_df_table.messages import ColumnFacts, TableData, loads_plain
from sphinx_df_table.worker.frame_cells import (
    ResultTypeError,
    TableOptions,
    as_frame,
    frame_to_table,
    sort_keys,
)

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
    assert data.columns == [ColumnFacts("number", "right"), ColumnFacts("text", "")]


def test_column_facts_follow_the_dtype() -> None:
    frame = pd.DataFrame(
        {
            "i": [1],
            "f": [1.5],
            "Int64": pd.array([None], dtype="Int64"),
            "b": [True],
            "boolean": pd.array([None], dtype="boolean"),
            "s": ["x"],
            "c": [1j],
            "cat": pd.Categorical([1]),
            "date": pd.to_datetime(["2020-01-01"]),
            "tz": pd.to_datetime(["2020-01-01"]).tz_localize("UTC"),
            "td": pd.to_timedelta([1], unit="s"),
            "object": pd.Series([1.5], dtype=object),  # numbers as objects stay text
        }
    )
    facts = frame_to_table(frame).columns
    assert [f.kind for f in facts] == [
        *("number", "number", "number", "bool", "bool", "text", "text", "text"),
        *("datetime", "datetime", "timedelta", "text"),
    ]
    # Only numbers are right-aligned; complex numbers too, though they have no order.
    assert [f.align for f in facts] == ["right"] * 3 + [""] * 3 + ["right"] + [""] * 5


def keys_of(frame: pd.DataFrame, **options: object) -> list[list[str] | None]:
    return frame_to_table(frame, TableOptions(**options)).sort_keys  # type: ignore[arg-type]


def test_sort_keys_of_numbers_ignore_formats_units_and_na_rep() -> None:
    frame = pd.DataFrame(
        {
            "Distance": [8, 8898, 806, None, -12],
            "Ratio": [0.5, -2.25, np.inf, -np.inf, np.nan],
            "Count": pd.array([3, None, 1_234_567, -4, 0], dtype="Int64"),
            "Model": ["a", "b", "c", "d", "e"],
        }
    )
    data = frame_to_table(
        frame,
        TableOptions(formats={"Distance": "{:,.0f} km"}, na_rep="n/a", thousands=","),
    )
    # The shown text would sort 8 km, 8,898 km, 806 km as text; the keys sort as numbers.
    assert [row[0] for row in data.body] == ["8 km", "8,898 km", "806 km", "n/a", "-12 km"]
    assert data.sort_keys == [
        ["8.0", "8898.0", "806.0", "", "-12.0"],
        ["0.5", "-2.25", "Infinity", "-Infinity", ""],
        ["3.0", "", "1234567.0", "-4.0", "0.0"],
        None,
    ]
    assert data.body[1][2] == "n/a" and data.body[2][2] == "1,234,567"


def test_sort_keys_are_float_reprs_that_read_back_exactly() -> None:
    values = [0.1, 1e-7, 1e16, -0.0, 123456789.123, 2.5e300]
    (keys,) = keys_of(pd.DataFrame({"x": values}), float_format="{:.1f}")
    assert keys == ["0.1", "1e-07", "1e+16", "-0.0", "123456789.123", "2.5e+300"]
    assert [float(key) for key in keys or []] == values


def test_sort_keys_of_datetimes_timedeltas_and_bools() -> None:
    frame = pd.DataFrame(
        {
            "naive": pd.to_datetime(
                ["1970-01-01", None, "1969-12-31 23:59:59.5", "2021-01-01"], format="ISO8601"
            ),
            # Paris is UTC+1 in winter: its midnight is 23:00 UTC the day before.
            "paris": pd.to_datetime(
                ["1970-01-01", "2020-01-01", None, "1970-01-01 01:00"], format="ISO8601"
            ).tz_localize("Europe/Paris"),
            "seconds": np.array(["3000-01-01", "NaT", "0100-01-01", "1970-01-02"], "M8[s]"),
            "timedelta": pd.to_timedelta([1.5, None, -90, 86400], unit="s"),
            "bool": [True, False, False, True],
            "boolean": pd.array([True, None, False, True], dtype="boolean"),
        }
    )
    assert keys_of(frame, na_rep="--") == [
        ["0.0", "", "-0.5", "1609459200.0"],
        ["-3600.0", "1577833200.0", "", "0.0"],
        # Outside the nanosecond range (1677-2262) too.
        ["32503680000.0", "", "-59011459200.0", "86400.0"],
        ["1.5", "", "-90.0", "86400.0"],
        ["1", "0", "0", "1"],
        ["1", "", "0", "1"],
    ]


def test_sort_keys_of_a_multiindex_index_and_a_styler() -> None:
    index = pd.MultiIndex.from_arrays(
        [["b", "b", "a"], [10, 2, None], pd.to_timedelta([1, 2, 3], unit="s")],
        names=["name", "size", "age"],
    )
    frame = pd.DataFrame({"v": [1.5, None, 3.0]}, index=index)
    data = frame_to_table(frame)
    assert data.index_columns == 3
    assert [f.kind for f in data.columns] == ["text", "number", "timedelta", "number"]
    # Index columns keep the theme's alignment, whatever their kind.
    assert [f.align for f in data.columns] == ["", "", "", "right"]
    assert data.sort_keys == [
        None,
        ["10.0", "2.0", ""],
        ["1.0", "2.0", "3.0"],
        ["1.5", "", "3.0"],
    ]
    # A Styler's display functions change the text, not the keys; hidden rows are left out.
    styler = frame.style.format("{:.0f} units", na_rep="none").hide(
        [("b", 2.0, pd.Timedelta(2, "s"))]
    )
    shown = frame_to_table(styler)
    assert [row[-1] for row in shown.body] == ["2 units", "3 units"]
    assert shown.sort_keys[-1] == ["1.5", "3.0"]


def test_sort_keys_stop_with_max_rows() -> None:
    data = frame_to_table(pd.DataFrame({"a": range(10)}), TableOptions(max_rows=3))
    assert data.sort_keys == [["0.0", "1.0", "2.0"]] and data.truncated == 7


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


def test_column_facts_and_sort_keys_cross_the_pipe() -> None:
    frame = pd.DataFrame(
        {"x": [1.5, np.nan], "s": ["a", "b"], "d": pd.to_datetime(["2020-01-01", None])},
        index=pd.Index([3, 4], name="id"),
    )
    data = frame_to_table(frame)
    wire = loads_plain(pickle.dumps(data.to_plain()))
    assert TableData.from_plain(wire) == data
    assert data.sort_keys == [["3.0", "4.0"], ["1.5", ""], None, ["1577836800.0", ""]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=20))
def test_float_keys_from_the_cell_text_equal_keys_from_the_values(values: list[float]) -> None:
    """A float64 column's keys are taken from its to_csv text: the same as from its values."""
    frame = pd.DataFrame({"x": np.array(values, dtype=np.float64)})
    from_values = sort_keys(frame["x"], "number")
    assert frame_to_table(frame).sort_keys == [from_values]
    assert from_values == [
        "" if np.isnan(v) else {np.inf: "Infinity", -np.inf: "-Infinity"}.get(v, repr(v))
        for v in values
    ]
