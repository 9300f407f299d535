"""Worker side of ``df-chart``: the snippet's data drawn with matplotlib.

This module runs in the snippet worker, right after the snippet and with the
file guard on (see :mod:`sphinx_df_table.worker.guard`). It turns the snippet's DataFrame, or the
figure the snippet left in ``fig``, into SVG, PDF and PNG bytes at once, so
that each builder can pick the format it supports and one cached result serves
them all. The Sphinx process (:mod:`sphinx_df_table.directives.chart`) never imports matplotlib.

The charts are reproducible: the same data and options give byte-identical
files (fixed hash salt, no dates in the metadata, the DejaVu Sans font that
ships with matplotlib, matplotlib's default style as the base rather than the
user's ``matplotlibrc``), so a rebuild does not churn the output.

They read on light and dark themes alike: the background is transparent, and
text, axes and grid use one mid grey that has a contrast of about 4.5:1 against
both white and black; the series colours are a colour-blind-safe palette of
mid-luminance hues.
"""

from __future__ import annotations

import io
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from ..errors import DfTableError
from ..messages import ChartData
from . import font_cache
from .frame_cells import ResultTypeError, TableOptions, as_frame, frame_to_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The formats every chart is saved in, by MIME type (what Sphinx's image
#: candidates are keyed by; the same as ``messages.CHART_FILE_TYPES``, which
#: the Sphinx side checks) and matplotlib's name for the format.
FORMATS = {"image/svg+xml": "svg", "application/pdf": "pdf", "image/png": "png"}
#: The variable a snippet assigns its own matplotlib figure to.
FIGURE_VAR = "fig"
#: One grey for text, axes and grid: ~4.5:1 contrast on white and on black.
FOREGROUND = "#767676"
#: Okabe-Ito colours (colour-blind safe), mid-luminance ones first.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C8C8C")
DEFAULT_WIDTH = 640 / 96  # inches: 640 CSS pixels
DEFAULT_HEIGHT = 360 / 96
PNG_DPI = 150
#: What a bar chart's layout adds per category and per bar (inches), for the
#: default height of a horizontal bar chart.
_BARH_PER_CATEGORY = 0.25
_BARH_PER_BAR = 0.2
_BARH_MARGIN = 1.0
#: Rough text widths, to decide when labels must turn: an average character is
#: ~0.6 em; tick labels are 10.5 pt and bar labels 9 pt; the axes take ~85% of
#: the figure's width.
_CHAR_EM = 0.6
_TICK_EM = 10.5
_LABEL_EM = 9
_AXES_SHARE = 0.85
_KIND_NAMES = {
    "bar": "Bar chart",
    "barh": "Horizontal bar chart",
    "line": "Line chart",
    "scatter": "Scatter plot",
}


class ChartError(DfTableError, ValueError):
    """The chart options do not fit the snippet's data (a missing column, text
    where numbers are needed, two rows for one bar)."""


#: Settings that make the saved files reproducible (also used for ``fig``).
SAVE_STYLE: dict[str, Any] = {
    "svg.hashsalt": "sphinx-df-table",
    # Text stays text: selectable, searchable, smaller and crisp at any zoom.
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "savefig.bbox": None,
}


def style() -> dict[str, Any]:
    """rcParams of a df-chart, on top of matplotlib's own defaults."""
    from cycler import cycler

    return {
        "font.family": ["sans-serif"],
        # DejaVu Sans ships with matplotlib, so the layout is the same on every
        # machine; the other names only matter to an SVG viewer without it.
        "font.sans-serif": ["DejaVu Sans", "Helvetica Neue", "Helvetica", "Arial"],
        "font.size": _TICK_EM,
        "figure.titlesize": 12,
        "figure.titleweight": "bold",
        "axes.labelsize": _TICK_EM,
        "text.color": FOREGROUND,
        "axes.labelcolor": FOREGROUND,
        "axes.edgecolor": FOREGROUND,
        "xtick.color": FOREGROUND,
        "ytick.color": FOREGROUND,
        "xtick.labelcolor": FOREGROUND,
        "ytick.labelcolor": FOREGROUND,
        "grid.color": FOREGROUND,
        "grid.alpha": 0.3,
        "grid.linewidth": 0.8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.axisbelow": True,
        "axes.prop_cycle": cycler(color=list(PALETTE)),
        "axes.facecolor": "none",
        "figure.facecolor": "none",
        "legend.frameon": False,
        "legend.fontsize": 10,
        "legend.title_fontsize": 10.5,
        "lines.linewidth": 2,
        "lines.markersize": 5,
        "figure.dpi": 100,
        # Transparent, for light and dark themes (a snippet's own figure keeps
        # its background: its text is black by default).
        "savefig.transparent": True,
        "savefig.facecolor": "none",
        **SAVE_STYLE,
    }


_METADATA = {
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
    "png": {},
}


def prepare_matplotlib(workdir: str) -> None:
    """Import matplotlib once, with its config and font cache in ``workdir``.

    The worker calls this before a ``df-chart`` snippet runs, and lets it write
    (matplotlib builds a font list on first import and caches it in its config
    directory). The directory is the worker's own, not the user's home, so a
    personal ``matplotlibrc`` has no say either; only the font list is kept
    between builds (:mod:`.font_cache`). Only a first import from the
    installed package happens here: a module a snippet put in ``sys.modules``
    is not run with the guard off.
    """
    if "matplotlib" in sys.modules:
        return
    previous = os.environ.get("MPLCONFIGDIR")
    config_dir = os.path.join(workdir, "matplotlib")
    os.environ["MPLCONFIGDIR"] = config_dir
    try:
        import matplotlib

        # Non-interactive, and the one that pyplot in a snippet gets too.
        matplotlib.use("Agg")
        package = os.path.dirname(matplotlib.__file__)
        shared = font_cache.shared_folder(matplotlib.__version__, package)
        font_cache.seed(shared, config_dir)
        import matplotlib.font_manager  # reads the font list, or scans the fonts and writes it

        font_cache.keep(config_dir, shared)
    except ImportError:
        pass  # render_chart says what to install
    finally:
        if previous is None:
            del os.environ["MPLCONFIGDIR"]
        else:
            os.environ["MPLCONFIGDIR"] = previous


def _import_matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ResultTypeError(
            "df-chart needs matplotlib in the environment that runs Sphinx: "
            "pip install sphinx-df-table[charts]"
        ) from exc
    matplotlib.use("Agg")
    return matplotlib


def render_chart(namespace: dict[str, Any], name: str, spec: dict[str, Any]) -> ChartData:
    """Draw the chart ``spec`` (the directive's chart options) describes.

    ``namespace`` is the snippet's namespace; ``name`` its result variable,
    which holds the DataFrame to plot unless the snippet left its own
    matplotlib figure in ``fig``. Returns the files (one per MIME type of
    :data:`~sphinx_df_table.messages.CHART_FILE_TYPES`) and the default text
    alternative; when the options do not fit the data, a :class:`ChartData`
    whose ``problem`` says why (the directive reports it as an option warning).

    Raises :class:`ResultTypeError` when matplotlib is missing or the result is
    neither a usable DataFrame nor a figure.
    """
    mpl = _import_matplotlib()
    try:
        return _render(mpl, namespace, name, spec)
    finally:
        _clean_up(mpl)


def _render(mpl: Any, namespace: dict[str, Any], name: str, spec: dict[str, Any]) -> ChartData:
    from matplotlib.figure import Figure

    own = namespace.get(FIGURE_VAR)
    if isinstance(own, Figure):
        data = namespace.get(name)
        if isinstance(data, (pd.DataFrame, pd.Series)):
            _frame(data, name)  # a result variable that is set must still be a valid table
        return ChartData(files=save_figure(own), alt=describe_figure(own))
    if name not in namespace:
        raise ResultTypeError(
            f"the snippet defined neither '{name}' (a DataFrame) nor '{FIGURE_VAR}' "
            "(a matplotlib figure)"
        )
    frame = _frame(namespace[name], name)
    try:
        plan = plan_chart(frame, spec)
    except ChartError as exc:
        return ChartData(problem=str(exc))
    with mpl.rc_context():
        mpl.rcdefaults()
        mpl.rcParams.update(style())
        figure = draw(plan, spec)
        files = save_figure(figure)
    return ChartData(files=files, alt=plan.description(spec.get("title") or ""))


def _clean_up(mpl: Any) -> None:
    """Leave matplotlib as the next chart snippet expects it.

    pyplot would keep every figure a snippet opened alive, and rcParams a
    snippet changed would change the next snippet's own figure.
    """
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
    mpl.rc_file_defaults()


def _frame(result: object, name: str) -> pd.DataFrame:
    """The DataFrame of a result (a Series becomes one column, a Styler its data)."""
    checked = as_frame(result, name)
    return checked if isinstance(checked, pd.DataFrame) else checked.data


def _table_options(frame: pd.DataFrame, spec: dict[str, Any]) -> TableOptions:
    """The table's own formatting (:formats:) for the columns of ``frame``."""
    formats: dict[str, str] = spec.get("formats") or {}
    names = {str(label) for label in frame.columns}
    return TableOptions(formats={k: v for k, v in formats.items() if k in names})


def save_figure(figure: Figure) -> dict[str, bytes]:
    """The figure as SVG, PDF and PNG bytes, reproducibly."""
    import matplotlib as mpl

    files: dict[str, bytes] = {}
    # (cast: matplotlib's stubs want each rcParams key as a literal.)
    with mpl.rc_context(cast("Any", SAVE_STYLE)):
        for mime, fmt in FORMATS.items():
            buffer = io.BytesIO()
            figure.savefig(
                buffer,
                format=fmt,
                metadata=_METADATA[fmt],
                dpi=PNG_DPI if fmt == "png" else "figure",
            )
            files[mime] = buffer.getvalue()
    return files


def describe_figure(figure: Figure) -> str:
    """A text alternative for a figure the snippet drew: its titles and axis labels."""
    parts: list[str] = []
    suptitle = getattr(figure, "_suptitle", None)
    if suptitle is not None and suptitle.get_text():
        parts.append(suptitle.get_text())
    for axes in figure.get_axes():
        title = axes.get_title() or axes.get_title("left") or axes.get_title("right")
        labels = [label for label in (axes.get_ylabel(), axes.get_xlabel()) if label]
        if title:
            parts.append(title)
        if len(labels) == 2:
            parts.append(f"{labels[0]} by {labels[1]}")
        elif labels:
            parts.append(labels[0])
    return "Chart: " + "; ".join(parts) if parts else "Chart"


@dataclass
class Series:
    """One colour of the chart: its label, and an x, a value and the value's
    table text (for a bar label) per point."""

    label: str
    xs: list[Any]
    values: list[float]
    texts: list[str]


@dataclass
class Plan:
    """What to draw, with every column checked and every value in hand."""

    kind: str
    x: str | None
    ys: list[str]
    group: str | None
    series: list[Series]
    #: Category labels of a categorical x axis (bars, or text x values).
    categories: list[str] | None
    columns: list[Any] = field(default_factory=list)

    def description(self, title: str) -> str:
        """The default text alternative: kind, title and columns."""
        what = ", ".join(self.ys)
        text = _KIND_NAMES[self.kind]
        if title:
            text += f": {title}"
        text += f". {what}"
        if self.x is not None:
            text += f" by {self.x}"
        if self.group is not None:
            noun = {"bar": "bar", "barh": "bar", "line": "line"}.get(self.kind, "colour")
            text += f", one {noun} per {self.group}"
        return text + "."


def _column_map(frame: pd.DataFrame) -> dict[str, Any]:
    if isinstance(frame.columns, pd.MultiIndex):
        raise ChartError(
            "the DataFrame has several levels of column labels; "
            "flatten them in the snippet for a chart"
        )
    columns = {str(label): label for label in frame.columns}
    if len(columns) < frame.shape[1]:
        raise ChartError("the DataFrame has two columns of the same label; rename one")
    return columns


def _lookup(columns: dict[str, Any], name: str, option: str) -> Any:
    if name not in columns:
        known = ", ".join(repr(c) for c in columns)
        raise ChartError(f"column {name!r} given to :{option}: is not in the DataFrame ({known})")
    return columns[name]


def _is_number(series: pd.Series) -> bool:
    return bool(
        pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series)
    )


def _numbers(frame: pd.DataFrame, label: Any, option: str) -> pd.Series:
    column = frame[label]
    if _is_number(column):
        numbers: pd.Series = column.astype(float)
        return numbers
    sample = next((v for v in column if isinstance(v, str)), None)
    hint = (
        f" (e.g. {sample!r}); keep the numbers in the snippet and format them with :formats:"
        if sample is not None
        else ""
    )
    raise ChartError(f"column {str(label)!r} given to :{option}: does not hold numbers{hint}")


def _texts(frame: pd.DataFrame, label: Any, spec: dict[str, Any]) -> list[str]:
    """A column's values as the table would show them (with :formats:)."""
    one = frame[[label]]
    return [row[0] for row in frame_to_table(one, _table_options(one, spec)).body]


def formatter(fmt: str) -> Callable[[float], str]:
    """``"${:,.2f}"`` (a ``str.format`` template) or ``",.2f"`` (a format spec)."""
    if "{" in fmt:
        return fmt.format
    return lambda value: format(value, fmt)


def plan_chart(frame: pd.DataFrame, spec: dict[str, Any]) -> Plan:
    """Check the options against the data and gather the series to draw."""
    kind = spec.get("kind", "bar")
    formats: dict[str, str] = spec.get("formats") or {}
    columns = _column_map(frame)
    if unknown := [name for name in formats if name not in columns]:
        raise ChartError(f":formats: names no column of the DataFrame: {', '.join(unknown)}")
    group = _lookup(columns, spec["group"], "group") if spec.get("group") else None
    if spec.get("x"):
        x = _lookup(columns, spec["x"], "x")
    elif frame.shape[1] > 1:
        x = frame.columns[0]
    else:
        x = None  # a single column: plotted against its position
    if spec.get("y"):
        ys = [_lookup(columns, name, "y") for name in spec["y"]]
    else:
        ys = [
            label for label in frame.columns if label not in (x, group) and _is_number(frame[label])
        ]
        if not ys:
            raise ChartError("no column holds numbers to plot; name them with :y:")
    if group is not None and len(ys) > 1:
        raise ChartError(":group: takes its values from one :y: column, not several")
    values = {label: _numbers(frame, label, "y") for label in ys}
    categorical = kind in ("bar", "barh") or x is None or not _is_x_quantity(frame[x])
    if x is None:
        x_values: list[Any] = [str(i + 1) for i in range(len(frame))]
    elif categorical:
        x_values = _texts(frame, x, spec)
    else:
        x_values = list(frame[x])
    categories = list(dict.fromkeys(x_values)) if categorical else None

    texts = {label: _texts(frame, label, spec) for label in ys}
    if group is not None:
        group_texts = _texts(frame, group, spec)
        numbers, shown = list(values[ys[0]]), texts[ys[0]]
        series = []
        for value in dict.fromkeys(group_texts):
            rows = [i for i, g in enumerate(group_texts) if g == value]
            series.append(
                Series(
                    value,
                    [x_values[i] for i in rows],
                    [numbers[i] for i in rows],
                    [shown[i] for i in rows],
                )
            )
    else:
        series = [
            Series(str(label), list(x_values), list(values[label]), texts[label]) for label in ys
        ]
    if kind in ("bar", "barh"):
        for one in series:
            seen: set[str] = set()
            for category in one.xs:
                if category in seen:
                    where = f" for {group} = {one.label!r}" if group is not None else ""
                    raise ChartError(
                        f"{str(x)!r} has the value {category!r} more than once{where}: "
                        "a bar chart needs one row per bar (aggregate in the snippet)"
                    )
                seen.add(category)
    used = [c for c in (x, group, *ys) if c is not None]
    return Plan(
        kind=kind,
        x=None if x is None else str(x),
        ys=[str(label) for label in ys],
        group=None if group is None else str(group),
        series=series,
        categories=categories,
        columns=list(dict.fromkeys(used)),
    )


def _is_x_quantity(column: pd.Series) -> bool:
    """Whether x values have a scale of their own (numbers, dates)."""
    return _is_number(column) or pd.api.types.is_datetime64_any_dtype(column.dtype)


def draw(plan: Plan, spec: dict[str, Any]) -> Figure:
    """The chart as a matplotlib figure (not attached to pyplot)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    width = spec.get("width") or DEFAULT_WIDTH
    height = spec.get("height") or _default_height(plan)
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.add_subplot()
    horizontal = plan.kind == "barh"
    value_axis = axes.xaxis if horizontal else axes.yaxis
    formats: dict[str, str] = spec.get("formats") or {}
    value_format = _common_format(plan.ys, formats)

    if plan.kind in ("bar", "barh"):
        _draw_bars(axes, plan, labels=bool(spec.get("labels")), width=width)
    else:
        _draw_points(axes, plan)
    if plan.categories is not None:
        category_axis = axes.yaxis if horizontal else axes.xaxis
        positions = range(len(plan.categories))
        if horizontal:
            axes.set_yticks(positions, plan.categories)
            axes.invert_yaxis()  # the first row on top, as in the table
        else:
            axes.set_xticks(positions, plan.categories)
            _maybe_rotate(axes, plan.categories, width)
        axes.tick_params(axis="y" if horizontal else "x", length=0)
        category_axis.grid(False)
    elif plan.x is not None and plan.x in formats:
        axes.xaxis.set_major_formatter(FuncFormatter(_tick(formatter(formats[plan.x]))))
    value_axis.grid(True)
    if spec.get("log_y"):
        (axes.set_xscale if horizontal else axes.set_yscale)("log")
    elif horizontal:
        # Side by side, value labels need more room than the default ticks leave.
        axes.xaxis.set_major_locator(MaxNLocator(nbins=5))
    if value_format is not None:
        value_axis.set_major_formatter(FuncFormatter(_tick(formatter(value_format))))

    x_label = spec.get("x_label")
    y_label = spec.get("y_label")
    if x_label is None:
        x_label = plan.x or ""
    if y_label is None:
        y_label = plan.ys[0] if len(plan.ys) == 1 else ""
    (axes.set_ylabel if horizontal else axes.set_xlabel)(x_label)
    (axes.set_xlabel if horizontal else axes.set_ylabel)(y_label)
    if spec.get("title"):
        # A figure title, left-aligned, so that the legend goes below it.
        figure.suptitle(spec["title"], x=0.01, ha="left")
    if len(plan.series) > 1:
        # Above the plot, in reading order, so it never hides a bar or a point.
        axes.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1.02),
            borderaxespad=0,
            ncols=min(len(plan.series), 4),
            title=plan.group,
            alignment="left",
        )
    return figure


def _default_height(plan: Plan) -> float:
    if plan.kind != "barh" or plan.categories is None:
        return DEFAULT_HEIGHT
    per_category = _BARH_PER_CATEGORY + _BARH_PER_BAR * len(plan.series)
    return max(DEFAULT_HEIGHT, _BARH_MARGIN + per_category * len(plan.categories))


def _common_format(ys: Sequence[str], formats: dict[str, str]) -> str | None:
    found = {formats.get(y) for y in ys}
    return found.pop() if len(found) == 1 else None


def _tick(apply: Callable[[float], str]) -> Callable[[float, Any], str]:
    return lambda value, _position: apply(value)


def _draw_bars(axes: Axes, plan: Plan, *, labels: bool, width: float) -> None:
    """Side-by-side bars, one slot per series in each category."""
    assert plan.categories is not None
    index = {category: i for i, category in enumerate(plan.categories)}
    count = len(plan.series)
    slot = 0.8 / count
    # The width of one bar, in inches, to tell whether its label fits across.
    bar_inches = slot * width * _AXES_SHARE / len(index)
    draw_bars = axes.barh if plan.kind == "barh" else axes.bar
    upright = False
    for number, series in enumerate(plan.series):
        offset = (number - (count - 1) / 2) * slot
        kept = [
            (index[x], value, text)
            for x, value, text in zip(series.xs, series.values, series.texts, strict=True)
            if not math.isnan(value)
        ]
        if not kept:
            continue
        bars = draw_bars(
            [p + offset for p, _, _ in kept],
            [value for _, value, _ in kept],
            slot * 0.9,
            label=series.label,
        )
        for bar_number, patch in enumerate(bars.patches):
            # Stable ids name each bar in the SVG (and let tests count them).
            patch.set_gid(f"bar-{number}-{bar_number}")
        if labels:
            texts = [text for _, _, text in kept]
            longest = max(len(text) for text in texts) * _LABEL_EM * _CHAR_EM / 72
            turn = 90 if plan.kind == "bar" and longest > bar_inches else 0
            upright = upright or bool(turn)
            axes.bar_label(bars, labels=texts, padding=3, fontsize=_LABEL_EM, rotation=turn)
    if labels:
        # Room for the labels past the longest bar.
        room = 0.35 if upright else 0.12
        if plan.kind == "barh":
            axes.margins(x=room)
        else:
            axes.margins(y=room)


def _draw_points(axes: Axes, plan: Plan) -> None:
    index = {category: i for i, category in enumerate(plan.categories or [])}
    for number, series in enumerate(plan.series):
        pairs = [
            (index[x] if plan.categories is not None else x, v)
            for x, v in zip(series.xs, series.values, strict=True)
            if not math.isnan(v)
        ]
        xs = [x for x, _ in pairs]
        values = [v for _, v in pairs]
        # Stable ids name each series in the SVG (and let tests count points).
        if plan.kind == "line":
            (line,) = axes.plot(xs, values, marker="o", label=series.label)
            line.set_gid(f"series-{number}")
        else:
            points = axes.scatter(xs, values, label=series.label, s=30, linewidths=0)
            points.set_gid(f"series-{number}")


def _maybe_rotate(axes: Axes, categories: list[str], width: float) -> None:
    """Slant the category labels of a bar chart when they would not fit side by side."""
    longest = max((len(c) for c in categories), default=0)
    needed = len(categories) * longest * _TICK_EM * _CHAR_EM / 72
    if needed > width * _AXES_SHARE:
        for label in axes.get_xticklabels():
            label.set(rotation=30, ha="right", rotation_mode="anchor")
