"""DataFrame -> :class:`~.protocol.TableData`: every cell as the text a reader sees.

The default text of a value is exactly what ``DataFrame.to_csv(index=False)``
writes for it (floats as their shortest ``repr``, missing values as an empty
cell, datetimes with the column-wide precision pandas chooses), because pages
written for the original directive, which went through CSV, must show the same
cell text. We call pandas' own per-column CSV formatter rather than imitate it,
and fall back to a close imitation on pandas versions that lack it; no CSV text
is ever produced or parsed.

This module runs in the snippet worker (it needs pandas); the Sphinx process
only ever sees the resulting strings.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .protocol import TableData

#: Keyword arguments ``to_csv`` passes to pandas' formatters by default.
_CSV_FORMAT: dict[str, Any] = {
    "na_rep": "",
    "float_format": None,
    "date_format": None,
    "decimal": ".",
    "quoting": None,
}


class ResultTypeError(TypeError):
    """The snippet's result is not something a table can be made from."""


def _cell_str(value: object) -> str:
    """Text of one value, as the ``csv`` module would write it."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _column_texts(frame: pd.DataFrame) -> list[list[str]]:
    """Column-major cell text, using pandas' own ``to_csv`` formatting."""
    formatter = getattr(frame, "_get_values_for_csv", None)
    if formatter is not None:
        formatted = formatter(**_CSV_FORMAT)
        columns = [formatted.iloc[:, j].to_numpy(dtype=object) for j in range(frame.shape[1])]
    else:  # pragma: no cover - pandas < 2.2
        columns = [_fallback_column(frame.iloc[:, j]) for j in range(frame.shape[1])]
    return [[_cell_str(v) for v in column] for column in columns]


def _fallback_column(series: pd.Series) -> np.ndarray:  # pragma: no cover - old pandas
    mask = series.isna().to_numpy()
    if series.dtype.kind == "f":
        values = series.to_numpy().astype(str).astype(object)
    else:
        values = series.to_numpy(dtype=object)
    values[mask] = ""
    return values


def _header_rows(columns: pd.Index) -> list[list[str]]:
    """One row per column-label level, as ``to_csv`` writes them."""
    if isinstance(columns, pd.MultiIndex):
        return [
            [_cell_str(v) for v in columns.get_level_values(level)]
            for level in range(columns.nlevels)
        ]
    formatter = getattr(columns, "_get_values_for_csv", None)
    labels: Sequence[Hashable] = (
        formatter(**_CSV_FORMAT) if formatter is not None else list(columns)
    )
    return [[_cell_str(v) for v in labels]]


def _is_numeric(dtype: Any) -> bool:
    return bool(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))


def as_frame(result: object, name: str) -> pd.DataFrame:
    """Accept a DataFrame or a Series (shown as one column); refuse the rest."""
    if isinstance(result, pd.DataFrame):
        frame = result
    elif isinstance(result, pd.Series):
        frame = result.to_frame()
    else:
        raise ResultTypeError(
            f"'{name}' must be a pandas DataFrame or Series, not {type(result).__name__}"
        )
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ResultTypeError(
            f"'{name}' is an empty DataFrame ({frame.shape[0]} rows x {frame.shape[1]} columns)"
        )
    return frame


def frame_to_table(frame: pd.DataFrame) -> TableData:
    """Format every label and value of ``frame`` as cell text."""
    columns = _column_texts(frame)
    body = [list(row) for row in zip(*columns, strict=True)]
    return TableData(
        header=_header_rows(frame.columns),
        body=body,
        numeric=[_is_numeric(dtype) for dtype in frame.dtypes],
    )


def render_result(namespace: dict[str, Any], name: str, render: dict[str, Any]) -> TableData:
    """The worker's entry point: the snippet's result, checked and rendered.

    ``namespace`` is the snippet's namespace and ``name`` its result variable.
    ``render`` holds what the directive asked for:

    * ``"chart"``: a chart spec; :mod:`.chart_render` draws it (a ``df-chart``).
    * ``"csv"``: also attach the raw values as CSV text (for a download link).
    """
    if "chart" in render:
        from .chart_render import render_chart

        return render_chart(namespace, name, render["chart"])
    if name not in namespace:
        raise ResultTypeError(f"the snippet did not define '{name}'")
    frame = as_frame(namespace[name], name)
    table = frame_to_table(frame)
    if render.get("csv"):
        # Raw values, not display text: what a reader downloading the data wants.
        table.attachments["csv"] = frame.to_csv(index=False)
    return table
