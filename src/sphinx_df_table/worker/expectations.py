"""Expectations on a snippet's result: what its DataFrame must look like.

A ``df-table`` may state, with its ``:expect-*:`` options, which columns the
result has, how many rows, which columns identify a row and which hold no
missing values. They are checked here, in the worker, on the frame the snippet
produced: before any formatting and before ``:max-rows:`` leaves rows out, so
a count is the frame's own. Each failed expectation becomes one
``[option, what was found]`` pair in
:attr:`~sphinx_df_table.messages.TableData.expectations`; the directive turns
each into a ``df_table.expect`` warning and still shows the table.

A column is named by its label's text (for a ``MultiIndex`` of columns, the
levels' texts joined with ``" / "``); a named index level counts as a column
too, since a table shows it as one (a ``groupby`` result's keys).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

#: How many rows with missing values a failed ``:expect-complete:`` names.
SHOWN_ROWS = 3
#: How many of a row's values identify it in a message.
SHOWN_VALUES = 3


def _label_text(label: object) -> str:
    if isinstance(label, tuple):
        return " / ".join(str(level) for level in label)
    return str(label)


def named_columns(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The frame's named index levels, then its columns, by label text.

    Of two columns with the same label text, the first is kept.
    """
    found: dict[str, pd.Series] = {}
    for level, name in enumerate(frame.index.names):
        if name is not None:
            values = frame.index.get_level_values(level)
            found.setdefault(_label_text(name), pd.Series(values, index=frame.index))
    for position, label in enumerate(frame.columns):
        found.setdefault(_label_text(label), frame.iloc[:, position])
    return found


def _value(value: object) -> str:
    return "<missing>" if _is_missing(value) else repr(value if type(value) is str else str(value))


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array in a cell is not "missing"
        return False


def _absent(labels: list[str], columns: dict[str, pd.Series], lead: str) -> str | None:
    """``lead`` and the ``labels`` the frame lacks, and the ones it has; ``None`` if none lacks."""
    missing = [label for label in labels if label not in columns]
    if not missing:
        return None
    return (
        f"{lead} {', '.join(repr(m) for m in missing)} "
        f"(it has {', '.join(repr(c) for c in columns)})"
    )


def _check_rows(bounds: list[int | None], rows: int) -> str | None:
    low, high = bounds
    if (low is None or rows >= low) and (high is None or rows <= high):
        return None
    return f"the result has {rows:,} rows"


def _check_unique(labels: list[str], columns: dict[str, pd.Series]) -> str | None:
    if (problem := _absent(labels, columns, "the result has no column")) is not None:
        return problem
    keys = pd.DataFrame({label: columns[label].to_numpy() for label in labels})
    repeated = keys.duplicated(keep="first")
    count = int(repeated.sum())
    if not count:
        return None
    first = repeated.tolist().index(True)
    key = ", ".join(f"{label}={_value(keys.iat[first, j])}" for j, label in enumerate(labels))
    rows = "row repeats" if count == 1 else "rows repeat"
    return f"{count:,} {rows} a key; the first, row {first + 1}, has {key}"


def _row_label(columns: dict[str, pd.Series], position: int, skip: list[str]) -> str:
    """Row ``position`` (1-based in the text) with a few of its values, to find it by."""
    shown = [
        f"{label}={_value(series.iat[position])}"
        for label, series in columns.items()
        if label not in skip and not _is_missing(series.iat[position])
    ][:SHOWN_VALUES]
    return f"row {position + 1}" + (f" ({', '.join(shown)})" if shown else "")


def _check_complete(labels: list[str], columns: dict[str, pd.Series]) -> str | None:
    if (problem := _absent(labels, columns, "the result has no column")) is not None:
        return problem
    missing = pd.DataFrame({label: columns[label].isna().to_numpy() for label in labels})
    incomplete = missing.any(axis=1).to_numpy()
    count = int(incomplete.sum())
    if not count:
        return None
    described = []
    for position in incomplete.nonzero()[0][:SHOWN_ROWS].tolist():
        lacking = [label for label in labels if missing.at[position, label]]
        described.append(
            f"{_row_label(columns, position, labels)} lacks {', '.join(repr(x) for x in lacking)}"
        )
    rows = "row has" if count == 1 else "rows have"
    return f"{count:,} {rows} missing values: {'; '.join(described)}"


def check_expectations(frame: pd.DataFrame, spec: dict[str, Any]) -> list[list[str]]:
    """The expectations of ``spec`` that ``frame`` fails, as ``[option, what was found]``.

    ``spec`` holds any of ``"columns"``, ``"unique"``, ``"complete"`` (lists of
    column label texts) and ``"rows"`` (``[minimum, maximum]``, either
    ``None`` for no bound), as the directive's converters made them; the
    option names are ``expect-<key>``. Failures come in that order. An
    expectation that names a column the frame lacks fails with a message that
    says so; nothing here raises for a frame of any shape or content.
    """
    columns = named_columns(frame)
    found: dict[str, Callable[[], str | None]] = {
        "columns": lambda: _absent(spec["columns"], columns, "the result lacks"),
        "rows": lambda: _check_rows(spec["rows"], len(frame)),
        "unique": lambda: _check_unique(spec["unique"], columns),
        "complete": lambda: _check_complete(spec["complete"], columns),
    }
    problems = {key: check() for key, check in found.items() if key in spec}
    return [[f"expect-{key}", problem] for key, problem in problems.items() if problem is not None]
