"""DataFrame -> :class:`~sphinx_df_table.messages.TableData`: every cell as the text a reader sees.

The default text of a value is exactly what ``DataFrame.to_csv(index=False)``
writes for it (floats as their shortest ``repr``, missing values as an empty
cell, datetimes with the column-wide precision pandas chooses), because pages
written for the original directive, which went through CSV, must show the same
cell text. We call pandas' own per-column CSV formatter rather than imitate it;
no CSV text is ever produced or parsed.

It also records what each column holds (:class:`~sphinx_df_table.messages.ColumnFacts`)
and, for the columns that sort as numbers, a sort key per cell taken from the
raw value (:func:`sort_keys`).

This module runs in the snippet worker (it needs pandas); the Sphinx process
only ever sees the resulting strings and facts.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..compat import csv_labels, csv_values
from ..errors import DfTableError
from ..messages import ColumnFacts, ColumnKind, TableData
from .cell_styles import styler_css
from .dataframe_libraries import LibraryMissingError, foreign_frame


class ResultTypeError(DfTableError, TypeError):
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
    """Column-major cell text, using pandas' own ``to_csv`` formatting.

    :func:`~sphinx_df_table.compat.csv_values` calls exactly what ``to_csv``
    calls, on every supported pandas; the ``to_csv`` oracle tests catch any
    change in that private API.
    """
    formatted = csv_values(frame)
    return [
        [_cell_str(v) for v in formatted.iloc[:, j].to_numpy(dtype=object)]
        for j in range(frame.shape[1])
    ]


def _header_rows(columns: pd.Index) -> list[list[str]]:
    """One row per column-label level, as ``to_csv`` writes them."""
    if isinstance(columns, pd.MultiIndex):
        return [
            [_cell_str(v) for v in columns.get_level_values(level)]
            for level in range(columns.nlevels)
        ]
    return [[_cell_str(v) for v in csv_labels(columns)]]


def _is_numeric(dtype: Any) -> bool:
    return bool(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))


def column_kind(dtype: Any) -> ColumnKind:
    """The kind of a column (or index level) of ``dtype``, for sorting it.

    Categories are ``"text"`` whatever their categories are (their order is
    the categories' order, not the values'); complex numbers are ``"text"``
    too: they have no order.
    """
    types = pd.api.types
    if isinstance(dtype, pd.CategoricalDtype):
        return "text"
    if types.is_bool_dtype(dtype):
        return "bool"
    if types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if types.is_timedelta64_dtype(dtype):
        return "timedelta"
    if types.is_numeric_dtype(dtype) and not types.is_complex_dtype(dtype):
        return "number"
    return "text"


def column_facts(dtype: Any) -> ColumnFacts:
    """A data column's kind and default alignment: numbers (complex ones too) right."""
    return ColumnFacts(kind=column_kind(dtype), align="right" if _is_numeric(dtype) else "")


#: ``repr`` of the floats that the browser's ``parseFloat`` would not read back.
_SPECIAL_KEYS = {"nan": "", "inf": "Infinity", "-inf": "-Infinity"}


def sort_keys(
    values: pd.Series | pd.Index, kind: ColumnKind, csv_texts: list[str] | None = None
) -> list[str] | None:
    """Sort keys of raw ``values`` (one per value, in order); ``None`` for ``"text"``.

    A key is what ``parseFloat`` reads as the value's position: numbers as the
    ``repr`` of their ``float``, datetimes as seconds since the epoch (UTC;
    naive ones taken as UTC), timedeltas as seconds, booleans as ``"0"``/``"1"``,
    infinities as ``"Infinity"``/``"-Infinity"``. A missing value (NaN, NaT,
    ``None``, ``pd.NA``) has the empty key. Keys come from the values, never
    from their display text, so formats, ``:na-rep:`` and Styler display
    functions do not change how a column sorts.

    ``csv_texts``, the values' unformatted cell text (see :func:`frame_to_table`),
    saves the work for a ``float64`` column: ``to_csv`` writes exactly these
    ``repr`` texts (empty when missing), which the oracle tests check.
    """
    if kind == "text":
        return None
    if csv_texts is not None and values.dtype == np.float64:
        return [_SPECIAL_KEYS.get(text, text) for text in csv_texts]
    series = pd.Series(values, copy=False)
    if kind == "datetime" and getattr(series.dtype, "tz", None) is not None:
        series = series.dt.tz_convert(None)  # to UTC, then naive
    if kind in ("datetime", "timedelta"):
        # In numpy, in the values' own unit: pandas' Timestamp arithmetic would
        # go through nanoseconds, which overflow beyond the years 1677-2262.
        ticks = series.to_numpy()
        if kind == "datetime":
            ticks = ticks - np.array(0, dtype=ticks.dtype)  # the epoch, in their unit
        floats: list[float] = (ticks / np.timedelta64(1, "s")).tolist()
    else:
        floats = series.to_numpy(dtype=np.float64, na_value=np.nan).tolist()
    if kind == "bool":
        return ["" if math.isnan(value) else "1" if value else "0" for value in floats]
    texts = map(repr, floats)
    return [_SPECIAL_KEYS.get(text, text) for text in texts]


@dataclass(frozen=True)
class TableOptions:
    """How the worker turns a frame into text (the directive's render options).

    With the defaults, cell text is exactly ``to_csv``'s; each option changes
    only what it names, at render time, so a snippet can keep numbers numeric.
    """

    #: Show the index as stub columns; ``None``: when it is named or a MultiIndex.
    index: bool | None = None
    #: Column label -> format string (``"{:,.2f}"``, ``"${:,.3f}"``).
    formats: dict[str, str] = field(default_factory=dict)
    #: Format string for float columns that ``formats`` does not name.
    float_format: str | None = None
    #: Text of a missing value (default: empty, as in CSV).
    na_rep: str | None = None
    #: Thousands separator for numbers that no format names.
    thousands: str | None = None
    #: Show at most this many rows; the rest is counted in ``truncated``.
    max_rows: int | None = None
    #: ``[how, label]`` pairs: mark the ``"min"`` or ``"max"`` value of the column.
    highlight: list[list[str]] = field(default_factory=list)
    #: Labels of the columns (or index levels) whose values group ``highlight``.
    highlight_by: list[str] = field(default_factory=list)

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> TableOptions:
        """The options from the directive's ``"table"`` render spec (field name -> value).

        Raises :class:`TypeError` for a key that is not a field.
        """
        return cls(**spec)

    @property
    def changes_text(self) -> bool:
        """Whether any option changes data cell text (else it is ``to_csv``'s)."""
        return bool(self.formats or self.float_format or self.na_rep is not None or self.thousands)


class FormatError(ResultTypeError):
    """A format option does not fit the data."""


def group_thousands(text: str, separator: str) -> str:
    """``1234567.25`` -> ``1,234,567.25`` (with ``separator`` ``","``).

    Only a plain decimal number (optional ``-``, digits, optional fraction) is
    grouped; any other text (``1e+16``, ``inf``, words) is returned as it is.
    """
    sign = "-" if text.startswith("-") else ""
    whole, dot, rest = text[len(sign) :].partition(".")
    if not whole.isdigit() or not (rest.isdigit() or not rest):
        return text
    head, tail = whole[: len(whole) % 3 or 3], whole[len(whole) % 3 or 3 :]
    groups = [head, *(tail[i : i + 3] for i in range(0, len(tail), 3))]
    return sign + separator.join(groups) + dot + rest


def _format_column(
    series: pd.Series, texts: list[str], fmt: str | None, label: str, options: TableOptions
) -> list[str]:
    """Apply the format options to one column's to_csv texts."""
    if fmt is None and options.float_format and pd.api.types.is_float_dtype(series.dtype):
        fmt = options.float_format
    missing = series.isna().to_numpy()
    na_rep = options.na_rep if options.na_rep is not None else ""
    if fmt is not None:
        try:
            return [
                na_rep if gone else fmt.format(value)
                for value, gone in zip(series.to_numpy(dtype=object), missing, strict=True)
            ]
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise FormatError(f"format {fmt!r} for column {label!r} failed: {exc}") from exc
    if options.thousands and _is_numeric(series.dtype):
        texts = [group_thousands(text, options.thousands) for text in texts]
    if options.na_rep is not None:
        texts = [na_rep if gone else text for text, gone in zip(texts, missing, strict=True)]
    return texts


def _label_texts(label: object) -> tuple[str, str]:
    """A column's full label text (levels joined by `` / ``) and its last level."""
    if isinstance(label, tuple):
        parts = [_cell_str(part) for part in label]
        return " / ".join(parts), parts[-1]
    text = _cell_str(label)
    return text, text


def _runs(keys: list[tuple[object, ...]]) -> list[tuple[int, int]]:
    """(start, length) of each run of equal consecutive keys."""
    runs: list[tuple[int, int]] = []
    for position, key in enumerate(keys):
        if runs and keys[runs[-1][0]] == key:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((position, 1))
    return runs


def hierarchy_spans(levels: list[list[str]]) -> list[tuple[int, int, int]]:
    """Merged cells for repeated outer-level labels: (level, start, length > 1).

    ``levels`` holds one list of label texts per level, outermost first, all
    of one length. A label merges with its neighbours only while every outer
    level does too, as pandas sparsifies a MultiIndex; the innermost level
    never merges. ``start`` is a position within a level.
    """
    spans = []
    for level in range(len(levels) - 1):
        keys = list(zip(*levels[: level + 1], strict=True))
        spans += [(level, start, length) for start, length in _runs(keys) if length > 1]
    return spans


def is_styler(result: object) -> bool:
    """Whether ``result`` is a pandas ``Styler``.

    A Styler exists only once its module is imported (``df.style`` does it), so
    the check never imports it: it runs under the snippet's warning filters, and
    in pandas 2.0 that module imports matplotlib, whose import can warn (and so
    fail, under ``warnings.simplefilter("error")``) with a newer pyparsing.
    """
    style = sys.modules.get("pandas.io.formats.style")
    return style is not None and isinstance(result, style.Styler)


#: The options that change cell text, which a Styler's own formatting replaces.
_TEXT_OPTIONS = ("formats", "float_format", "na_rep", "thousands")


def styler_ignores(options: TableOptions, shows_index: bool, name: str) -> list[list[str]]:
    """The options a Styler result leaves unused, each as ``[field, why]``.

    A Styler's cells show its own display values, so no text option applies;
    an index it hides stays hidden whatever ``index`` asks.
    """
    why = f"'{name}' is a Styler, whose cells show its own formatting (use Styler.format)"
    unset = TableOptions()
    ignored = [
        [option, why]
        for option in _TEXT_OPTIONS
        if getattr(options, option) != getattr(unset, option)
    ]
    if options.index and not shows_index:
        ignored.append(["index", f"'{name}' is a Styler that hides its index"])
    return ignored


def _styler_parts(
    styler: Any,
) -> tuple[pd.DataFrame, list[list[str]], str, bool, dict[tuple[int, int], str]]:
    """A Styler's visible data, display texts (column-major), caption, index shown,
    and the CSS of its styled cells by shown (row, column) (see
    :func:`~sphinx_df_table.worker.cell_styles.styler_css`)."""
    data: pd.DataFrame = styler.data
    hidden_rows, hidden_columns = set(styler.hidden_rows), set(styler.hidden_columns)
    rows = [r for r in range(data.shape[0]) if r not in hidden_rows]
    columns = [c for c in range(data.shape[1]) if c not in hidden_columns]
    display = styler._display_funcs  # the formatter .format() set for each cell
    texts = [[_cell_str(display[(r, c)](data.iat[r, c])) for r in rows] for c in columns]
    caption = styler.caption if isinstance(styler.caption, str) else ""
    css = styler_css(styler, rows, columns)
    return data.iloc[rows, columns], texts, caption, not all(styler.hide_index_), css


def _foreign_frame(result: object, name: str) -> pd.DataFrame | None:
    """:func:`~sphinx_df_table.worker.dataframe_libraries.foreign_frame`, a
    missing library reported as the result's problem (:class:`ResultTypeError`)."""
    try:
        return foreign_frame(result, name)
    except LibraryMissingError as exc:
        raise ResultTypeError(str(exc)) from None


def as_frame(result: object, name: str) -> Any:
    """Accept a DataFrame, a Series (shown as one column) or a pandas Styler.

    A frame of another library (polars, pyarrow, or one that narwhals reads)
    is made a pandas DataFrame (see
    :mod:`~sphinx_df_table.worker.dataframe_libraries`). Returns the
    DataFrame (a Series made one) or the Styler itself. Raises
    :class:`ResultTypeError`, naming the variable ``name``, for anything else
    and for a frame without rows or columns.
    """
    if is_styler(result):
        frame = result.data  # type: ignore[attr-defined]
    elif isinstance(result, pd.DataFrame):
        frame = result
    elif isinstance(result, pd.Series):
        frame = result = result.to_frame()
    elif (converted := _foreign_frame(result, name)) is not None:
        frame = result = converted
    else:
        raise ResultTypeError(
            f"'{name}' must be a pandas DataFrame, Series or Styler, not {type(result).__name__}"
            " (a polars or pyarrow frame, or one narwhals reads, works too)"
        )
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ResultTypeError(
            f"'{name}' is an empty DataFrame ({frame.shape[0]} rows x {frame.shape[1]} columns)"
        )
    return result


def frame_to_table(result: Any, options: TableOptions | None = None, name: str = "df") -> TableData:
    """Format every label and value of ``result`` (a DataFrame or a Styler).

    Returns the header rows (one per column level, the index names in the
    corner), the body rows (index columns first, when shown), merged cells,
    each column's :class:`~sphinx_df_table.messages.ColumnFacts` and sort keys
    (:func:`sort_keys`), the rows ``options.max_rows`` left out and a Styler's
    caption, and the options a Styler leaves unused (:func:`styler_ignores`).
    Raises :class:`FormatError` when a format fails or names no column,
    :class:`ResultTypeError` when a Styler hides every cell; ``name`` is the
    result variable, for messages.
    """
    options = options or TableOptions()
    caption, styler_texts, index_wanted = "", None, options.index
    ignored: list[list[str]] = []
    css: dict[tuple[int, int], str] = {}
    if is_styler(result):
        frame, styler_texts, caption, styler_index, css = _styler_parts(result)
        if frame.shape[0] == 0 or frame.shape[1] == 0:
            raise ResultTypeError(f"'{name}' shows no cells (all are hidden)")
        ignored = styler_ignores(options, styler_index, name)
        if not styler_index:
            index_wanted = False
    else:
        frame = result
    truncated = 0
    if options.max_rows is not None and frame.shape[0] > options.max_rows:
        truncated = frame.shape[0] - options.max_rows
        frame = frame.iloc[: options.max_rows]
        if styler_texts is not None:
            styler_texts = [column[: options.max_rows] for column in styler_texts]

    labels = [_label_texts(label) for label in frame.columns]
    known = {text for pair in labels for text in pair}
    if unknown := sorted(set(options.formats) - known):
        raise FormatError(f":formats: names no column of '{name}': {', '.join(unknown)}")
    csv_texts: list[list[str]] | list[None] = [None] * frame.shape[1]
    if styler_texts is not None:
        columns = styler_texts
    else:
        columns = csv_texts = _column_texts(frame)
        if options.changes_text:
            columns = [
                _format_column(
                    frame.iloc[:, j],
                    columns[j],
                    options.formats.get(full, options.formats.get(last)),
                    full,
                    options,
                )
                for j, (full, last) in enumerate(labels)
            ]
    header = _header_rows(frame.columns)
    facts = [column_facts(dtype) for dtype in frame.dtypes]
    # A formatter's text is shown as it is (no smart quotes): a Styler's
    # everywhere, the format options' where they changed to_csv's text.
    facts = [
        dataclasses.replace(column, formatted=True)
        if styler_texts is not None or (csv_texts[j] is not None and columns[j] != csv_texts[j])
        else column
        for j, column in enumerate(facts)
    ]
    keys = [sort_keys(frame.iloc[:, j], facts[j].kind, csv_texts[j]) for j in range(frame.shape[1])]
    best = highlight_cells(frame, keys, options, name)
    if options.highlight_by and not options.highlight:
        ignored.append(["highlight_by", "no :highlight: line names a column to mark"])
    n_header = len(header)
    show_index = (
        isinstance(frame.index, pd.MultiIndex) or any(n is not None for n in frame.index.names)
        if index_wanted is None
        else index_wanted
    )
    index_columns = frame.index.nlevels if show_index else 0

    spans: list[list[int]] = []
    # Repeated outer column labels become one cell spanning their columns.
    for level, start, length in hierarchy_spans(header):
        spans.append([level, index_columns + start, 0, length - 1])
        header[level][start + 1 : start + length] = [""] * (length - 1)

    if show_index:
        index_texts = _column_texts(frame.index.to_frame(index=False))
        # The corner above the index: column-level names, then index names.
        index_names = [_cell_str(n) for n in frame.index.names]
        corner = [[""] * index_columns for _ in range(n_header)]
        for level, level_name in enumerate(frame.columns.names):
            if level_name is not None:
                corner[level][-1] = _cell_str(level_name)
        if any(index_names):
            corner[-1] = index_names
        header = [corner[level] + header[level] for level in range(n_header)]
        # Repeated outer index labels down the rows become one merged stub cell.
        for level, start, length in hierarchy_spans(index_texts):
            spans.append([n_header + start, level, length - 1, 0])
            index_texts[level][start + 1 : start + length] = [""] * (length - 1)
        columns = index_texts + columns
        # Index labels sort by their values too, but keep the theme's alignment.
        levels = [frame.index.get_level_values(level) for level in range(index_columns)]
        index_kinds = [column_kind(level.dtype) for level in levels]
        facts = [ColumnFacts(kind=kind) for kind in index_kinds] + facts
        keys = [sort_keys(lv, kind) for lv, kind in zip(levels, index_kinds, strict=True)] + keys

    # Cells that :max-rows: left out keep no style.
    css = {cell: text for cell, text in css.items() if cell[0] < frame.shape[0]}
    styles = list(dict.fromkeys(css.values()))
    style_of = {text: number for number, text in enumerate(styles)}
    return TableData(
        header=header,
        body=[list(row) for row in zip(*columns, strict=True)],
        spans=spans,
        index_columns=index_columns,
        columns=facts,
        sort_keys=keys,
        truncated=truncated,
        caption=caption,
        ignored=ignored,
        styles=styles,
        styled=[
            [row, index_columns + column, style_of[text]]
            for (row, column), text in sorted(css.items())
        ],
        highlighted=[[row, index_columns + column] for row, column in best],
    )


def _matching(label: str, frame: pd.DataFrame) -> list[int]:
    """Positions of the columns whose full label or last level is ``label``."""
    return [j for j, pair in enumerate(map(_label_texts, frame.columns)) if label in pair]


def _group_codes(frame: pd.DataFrame, labels: list[str], name: str) -> list[tuple[int, ...]]:
    """Each row's group under ``:highlight-by:``: one code per label, equal for equal values.

    A label names a column (full label or last level) or an index level.
    Raises :class:`FormatError` for a label that names neither.
    """
    codes: list[np.ndarray[Any, Any]] = []
    index_names = [_cell_str(level) for level in frame.index.names]
    for label in labels:
        if columns := _matching(label, frame):
            values: Any = frame.iloc[:, columns[0]]
        elif label in index_names:
            values = frame.index.get_level_values(index_names.index(label))
        else:
            raise FormatError(f":highlight-by: names no column or index level of '{name}': {label}")
        codes.append(pd.factorize(values, use_na_sentinel=False)[0])
    return list(zip(*codes, strict=True)) if codes else [()] * frame.shape[0]


def highlight_cells(
    frame: pd.DataFrame, keys: list[list[str] | None], options: TableOptions, name: str
) -> list[tuple[int, int]]:
    """The ``(row, column)`` cells (data columns, from 0) that ``:highlight:`` marks.

    Each ``[how, label]`` of ``options.highlight`` marks, in every column
    ``label`` names, the smallest (``"min"``) or largest (``"max"``) value of
    each group of rows (see :func:`_group_codes`; one group without
    ``highlight_by``); ties are all marked and missing values never are.
    Values compare by their sort keys (``keys``, one list per data column), so
    numbers, datetimes, timedeltas and booleans can be highlighted. Only the
    shown rows count (after ``:max-rows:``). Raises :class:`FormatError` for
    a label that names no column, or a column of text.
    """
    if not options.highlight:
        return []
    groups = _group_codes(frame, options.highlight_by, name)
    marked: set[tuple[int, int]] = set()
    for how, label in options.highlight:
        columns = _matching(label, frame)
        if not columns:
            raise FormatError(f":highlight: names no column of '{name}': {label}")
        for j in columns:
            column_keys = keys[j]
            if column_keys is None:
                raise FormatError(
                    f":highlight: column {label!r} of '{name}' holds text, not values to compare"
                )
            best: dict[tuple[int, ...], float] = {}
            values = [float(key) if key else math.nan for key in column_keys]
            pick = min if how == "min" else max
            for group, value in zip(groups, values, strict=True):
                if not math.isnan(value):
                    best[group] = pick(best.get(group, value), value)
            marked.update(
                (row, j)
                for row, (group, value) in enumerate(zip(groups, values, strict=True))
                if not math.isnan(value) and value == best[group]
            )
    return sorted(marked)
