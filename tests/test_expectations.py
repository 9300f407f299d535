"""``:expect-*:``: what a table's result must look like, checked in the worker.

Each failed expectation is one located ``df_table.expect`` warning naming it,
what was found and the table; the table is still shown.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from sphinx_df_table.directives.options import row_bounds, spell_bounds
from sphinx_df_table.worker.expectations import check_expectations

from .helpers import MakeApp, make_app, out_dir, warnings_of, write_project

pytestmark = pytest.mark.matrix

RESULTS = """\
Model,Inst. Type,Throughput
BERT,trn1.2xlarge,10
BERT,trn1.32xlarge,20
GPT,trn1.2xlarge,30
GPT,trn1n.32xlarge,40
T5,trn1.2xlarge,50
"""
PRICES = """\
Inst. Type,Price
trn1.2xlarge,1.34
trn1.32xlarge,21.50
"""


@pytest.mark.parametrize(
    ("text", "bounds", "spelled"),
    [
        ("12", [12, 12], "12"),
        (">= 10", [10, None], ">= 10"),
        ("<=500", [None, 500], "<= 500"),
        ("10..20", [10, 20], "10..20"),
        (" 3 .. 3 ", [3, 3], "3"),
    ],
)
def test_row_counts_are_read_and_spelled_back(
    text: str, bounds: list[int | None], spelled: str
) -> None:
    assert row_bounds(text) == bounds
    assert spell_bounds(bounds) == spelled


@pytest.mark.parametrize("text", ["", "ten", "> 10", "20..10", "-1", "1..", "== 3"])
def test_other_row_counts_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        row_bounds(text)


def test_checks_on_the_frame() -> None:
    frame = pd.read_csv(pd.io.common.StringIO(RESULTS)).merge(
        pd.read_csv(pd.io.common.StringIO(PRICES)), how="left"
    )
    assert check_expectations(frame, {"columns": ["Model", "Price"], "rows": [5, 5]}) == []
    assert check_expectations(frame, {"unique": ["Model", "Inst. Type"]}) == []
    assert check_expectations(frame.dropna(), {"complete": ["Price", "Model"]}) == []
    assert check_expectations(
        frame,
        {
            "columns": ["Model", "Cost", "Region"],
            "rows": [None, 4],
            "unique": ["Model"],
            "complete": ["Price"],
        },
    ) == [
        [
            "expect-columns",
            "the result lacks 'Cost', 'Region' "
            "(it has 'Model', 'Inst. Type', 'Throughput', 'Price')",
        ],
        ["expect-rows", "the result has 5 rows"],
        ["expect-unique", "2 rows repeat a key; the first, row 2, has Model='BERT'"],
        [
            "expect-complete",
            "1 row has missing values: row 4 (Model='GPT', Inst. Type='trn1n.32xlarge', "
            "Throughput='40') lacks 'Price'",
        ],
    ]


def test_a_column_the_frame_lacks_is_named_not_raised() -> None:
    frame = pd.DataFrame({"a": [1, 2]})
    assert check_expectations(frame, {"unique": ["b"], "complete": ["a", "c"]}) == [
        ["expect-unique", "the result has no column 'b' (it has 'a')"],
        ["expect-complete", "the result has no column 'c' (it has 'a')"],
    ]


def test_named_index_levels_and_multiindex_columns_count_as_columns() -> None:
    frame = pd.DataFrame(
        [[1.0, None], [2.0, 3.0], [None, 4.0], [5.0, None]],
        index=pd.Index(["x", "x", "y", "z"], name="key"),
        columns=pd.MultiIndex.from_tuples([("lat", "p50"), ("lat", "p99")]),
    )
    assert check_expectations(frame, {"columns": ["key", "lat / p50"]}) == []
    assert check_expectations(frame, {"unique": ["key"], "complete": ["lat / p99"]}) == [
        ["expect-unique", "1 row repeats a key; the first, row 2, has key='x'"],
        [
            "expect-complete",
            "2 rows have missing values: row 1 (key='x', lat / p50='1.0') lacks 'lat / p99'; "
            "row 4 (key='z', lat / p50='5.0') lacks 'lat / p99'",
        ],
    ]


def test_at_most_three_incomplete_rows_are_named() -> None:
    frame = pd.DataFrame({"a": [None] * 10})
    [[_, found]] = check_expectations(frame, {"complete": ["a"]})
    assert found == "10 rows have missing values: row 1 lacks 'a'; row 2 lacks 'a'; row 3 lacks 'a'"


PAGE = """\
Expectations
============

.. df-table:: All met
   :expect-columns: Model, Inst. Type, Price
   :expect-rows: 3..5
   :expect-unique: Model, Inst. Type
   :expect-complete: Price
   :max-rows: 2

   df = pd.read_csv('results.csv').merge(pd.read_csv('prices.csv'))

.. df-table::
   :name: left-join
   :expect-columns: Model, Cost
   :expect-rows: >= 10
   :expect-unique: Model
   :expect-complete: Price

   df = pd.read_csv('results.csv').merge(pd.read_csv('prices.csv'), how='left')

.. df-table::
   :expect-rows: 1

   df = pd.read_csv('prices.csv')
"""


def test_each_failed_expectation_is_a_located_warning_and_the_table_stays(
    build: MakeApp, tmp_path: Path
) -> None:
    app = build({"index.rst": PAGE, "results.csv": RESULTS, "prices.csv": PRICES})
    index = Path(app.srcdir) / "index.rst"
    assert warnings_of(app) == [
        f"{index}:13: WARNING: df-table 'left-join' fails :expect-columns: Model, Cost: "
        "the result lacks 'Cost' (it has 'Model', 'Inst. Type', 'Throughput', 'Price') "
        "[df_table.expect]",
        f"{index}:13: WARNING: df-table 'left-join' fails :expect-rows: >= 10: "
        "the result has 5 rows [df_table.expect]",
        f"{index}:13: WARNING: df-table 'left-join' fails :expect-unique: Model: "
        "2 rows repeat a key; the first, row 2, has Model='BERT' [df_table.expect]",
        f"{index}:13: WARNING: df-table 'left-join' fails :expect-complete: Price: "
        "1 row has missing values: row 4 (Model='GPT', Inst. Type='trn1n.32xlarge', "
        "Throughput='40') lacks 'Price' [df_table.expect]",
        f"{index}:22: WARNING: df-table fails :expect-rows: 1: the result has 2 rows "
        "[df_table.expect]",
    ]
    page = BeautifulSoup((out_dir(app) / "index.html").read_text(), "html.parser")
    tables = page.select("table.df-table")
    # The first table met ``3..5`` with the frame's 4 inner-joined rows, though it
    # shows 2 of them (and a row that says how many more there are).
    assert [len(table.select("tbody tr")) for table in tables] == [3, 5, 2]


def test_expectations_are_part_of_the_cache_key(tmp_path: Path) -> None:
    first_table = PAGE.split(".. df-table::\n   :name:", maxsplit=1)[0]
    files = {"index.rst": first_table, "results.csv": RESULTS, "prices.csv": PRICES}
    src = write_project(tmp_path / "src", files)
    first = make_app("html", src)
    first.build()
    first.cleanup()
    assert warnings_of(first) == []
    page = (src / "index.rst").read_text().replace(":expect-rows: 3..5", ":expect-rows: 5")
    (src / "index.rst").write_text(page)
    second = make_app("html", src)
    second.build()
    second.cleanup()
    assert [line.split("WARNING: ")[1] for line in warnings_of(second)] == [
        "df-table 'All met' fails :expect-rows: 5: the result has 4 rows [df_table.expect]"
    ]


def test_a_bad_expectation_is_an_option_warning(build: MakeApp) -> None:
    app = build(
        {
            "index.rst": """\
            Bad
            ===

            .. df-table::
               :expect-rows: many

               df = pd.DataFrame({'a': [1]})
            """
        }
    )
    [line] = warnings_of(app)
    assert "invalid value for option :expect-rows: 'many'" in line
    assert line.endswith("[df_table.option]")
