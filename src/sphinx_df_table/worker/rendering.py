"""The worker's last step: the snippet's result, checked and rendered.

One dispatcher in front of the two renderers, so that neither imports the
other: :mod:`sphinx_df_table.worker.frame_cells` (tables) and
:mod:`sphinx_df_table.worker.chart_drawing` (charts, which reuse the table
cells for their labels).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..messages import ChartData, TableData
from .chart_drawing import render_chart
from .expectations import check_expectations
from .frame_cells import ResultTypeError, TableOptions, as_frame, frame_to_table, is_styler


def render_result(
    namespace: dict[str, Any], name: str, render: dict[str, Any]
) -> TableData | ChartData:
    """The worker's entry point: the snippet's result, checked and rendered.

    ``namespace`` is the snippet's namespace and ``name`` its result variable.
    ``render`` holds what the directive asked for:

    * ``"table"``: :class:`TableOptions` fields (formats, index, max rows, ...).
    * ``"chart"``: a chart spec (a ``df-chart``), drawn by
      :mod:`sphinx_df_table.worker.chart_drawing` into a :class:`ChartData`.
    * ``"csv"``: also give the table the raw values as CSV text (for a download link).
    * ``"expect"``: expectations on the result (``:expect-*:``), checked on
      the frame before it is formatted or truncated; the failed ones go in
      the table's ``expectations`` (see
      :func:`~sphinx_df_table.worker.expectations.check_expectations`).

    Raises :class:`ResultTypeError` when the result is missing or is no
    DataFrame, Series or Styler a table (or chart) can be made from.
    """
    if "chart" in render:
        return render_chart(namespace, name, render["chart"])
    if name not in namespace:
        raise ResultTypeError(f"the snippet did not define '{name}'")
    result = as_frame(namespace[name], name)
    table = frame_to_table(result, TableOptions.from_spec(render.get("table", {})), name)
    frame = result.data if is_styler(result) else result
    if render.get("csv"):
        # Raw values, not display text: what a reader downloading the data wants.
        # The index too, when the table shows it (a groupby result's keys).
        table = dataclasses.replace(table, csv=frame.to_csv(index=table.index_columns > 0))
    if render.get("expect"):
        table = dataclasses.replace(table, expectations=check_expectations(frame, render["expect"]))
    return table
