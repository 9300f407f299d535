"""Worker side of ``df-chart``: draws the snippet's data with matplotlib.

(Being written: see issue #7.)
"""

from __future__ import annotations

from typing import Any

from .protocol import TableData


class ChartError(TypeError):
    """The chart cannot be drawn from the snippet's result."""


def render_chart(namespace: dict[str, Any], name: str, spec: dict[str, Any]) -> TableData:
    """Draw the chart ``spec`` describes; files go in ``TableData.attachments``."""
    raise ChartError("df-chart is not implemented yet")
