"""Converters for df-table's rendering options (formats, index, alignment, ...).

Each returns a plain value for the worker's render spec (see
:class:`~sphinx_df_table.worker.frame_cells.TableOptions`) or raises
``ValueError`` with a message that the directive turns into a ``df_table.option`` warning.
"""

from __future__ import annotations

import re
from typing import Any

from docutils.parsers.rst import directives

_TRUE = {"", "yes", "true", "on", "1", "show"}
_FALSE = {"no", "false", "off", "0", "hide"}
_ALIGN = {
    "l": "left",
    "left": "left",
    "r": "right",
    "right": "right",
    "c": "center",
    "center": "center",
    "auto": "",
    "-": "",
}


def index_option(argument: str | None) -> bool | None:
    """``:index:`` alone or ``yes`` shows the index (``True``), ``no`` hides it
    (``False``), ``auto`` decides (``None``); raises ``ValueError`` otherwise."""
    value = (argument or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if value == "auto":
        return None
    raise ValueError("expected nothing, 'yes', 'no' or 'auto'")


def format_string(argument: str | None) -> str:
    """A ``str.format`` pattern with one field, checked on a number.

    Raises ``ValueError`` when there is no ``{`` or formatting 1234.5 fails.
    """
    value = str(directives.unchanged_required(argument)).strip()
    if "{" not in value:
        raise ValueError(f"{value!r} is not a format such as '{{:,.2f}}'")
    try:
        value.format(1234.5)
    except (ValueError, IndexError, KeyError) as exc:
        raise ValueError(f"{value!r} is not a format for numbers: {exc}") from exc
    return value


def formats_option(argument: str | None) -> dict[str, str]:
    """One ``Column label: format`` per line; the label may itself hold ``": "``.

    The format is what follows the last ``": "`` before its first ``{``, so
    ``Cost per 1M inferences: ${:,.3f}`` gives the label
    ``Cost per 1M inferences`` and the format ``${:,.3f}``. Returns label ->
    format; raises ``ValueError`` for a line that is not ``label: {format}``.
    """
    formats: dict[str, str] = {}
    for line in str(directives.unchanged_required(argument)).splitlines():
        if not line.strip():
            continue
        brace = line.find("{")
        split = line.rfind(": ", 0, brace if brace >= 0 else len(line))
        if brace < 0 or split < 0:
            raise ValueError(f"{line.strip()!r} is not 'Column label: {{format}}'")
        label, fmt = line[:split].strip(), line[split + 2 :].strip()
        formats[label] = fmt
    return formats


def align_option(argument: str | None) -> list[str]:
    """One of ``left``/``right``/``center``/``auto`` (or ``l``/``r``/``c``/``-``) per column.

    Returns one alignment per column (``""`` for ``auto``); raises
    ``ValueError`` for any other word.
    """
    words = str(directives.unchanged_required(argument)).replace(",", " ").split()
    try:
        return [_ALIGN[word.lower()] for word in words]
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not left, right, center or auto") from exc


def text_option(argument: str | None) -> str:
    """Text taken as written (may be empty, e.g. ``:na-rep:`` alone)."""
    return argument or ""


def highlight_option(argument: str | None) -> list[list[str]]:
    """One ``min Column label`` or ``max Column label`` per line.

    Returns ``[how, label]`` pairs (``how`` lower-cased); raises
    ``ValueError`` for a line that does not start with ``min`` or ``max``
    followed by a label.
    """
    pairs = []
    for line in str(directives.unchanged_required(argument)).splitlines():
        if not line.strip():
            continue
        how, _, label = line.strip().partition(" ")
        if how.lower() not in ("min", "max") or not label.strip():
            raise ValueError(f"{line.strip()!r} is not 'min Column label' or 'max Column label'")
        pairs.append([how.lower(), label.strip()])
    return pairs


def label_lines(argument: str | None) -> list[str]:
    """One column label (or index level name) per line, as written."""
    text = str(directives.unchanged_required(argument))
    return [line.strip() for line in text.splitlines() if line.strip()]


#: The rendering options of ``df-table``; each maps to a TableOptions field.
RENDER_OPTIONS: dict[str, tuple[str, Any]] = {
    "index": ("index", index_option),
    "formats": ("formats", formats_option),
    "float-format": ("float_format", format_string),
    "na-rep": ("na_rep", text_option),
    "thousands": ("thousands", directives.unchanged_required),
    "max-rows": ("max_rows", directives.nonnegative_int),
    "highlight": ("highlight", highlight_option),
    "highlight-by": ("highlight_by", label_lines),
}


def table_spec(options: dict[str, Any], default_max_rows: int) -> dict[str, Any]:
    """The ``"table"`` part of the render spec: only what differs from defaults.

    ``options`` are the directive's converted options; ``default_max_rows`` is
    ``df_table_max_rows`` (0: no limit).
    """
    spec = {field: options[name] for name, (field, _) in RENDER_OPTIONS.items() if name in options}
    if "max_rows" not in spec and default_max_rows:
        spec["max_rows"] = default_max_rows
    if spec.get("max_rows") == 0:
        del spec["max_rows"]
    return spec


def label_list(argument: str | None) -> list[str]:
    """Comma-separated column labels (``Model, Inst. Type``), each stripped.

    Raises ``ValueError`` without a value or with an empty label.
    """
    labels = [label.strip() for label in str(directives.unchanged_required(argument)).split(",")]
    if not all(labels):
        raise ValueError("expected column labels separated by commas")
    return labels


_BOUND = re.compile(r"^(>=|<=)?\s*(\d+)$")
_RANGE = re.compile(r"^(\d+)\s*\.\.\s*(\d+)$")


def row_bounds(argument: str | None) -> list[int | None]:
    """A row count: exact (``12``), a bound (``>= 10``, ``<= 500``) or a range (``10..20``).

    Returns ``[minimum, maximum]``, ``None`` for no bound; raises
    ``ValueError`` for anything else, or a range whose end is below its start.
    """
    value = str(directives.unchanged_required(argument)).strip()
    if match := _RANGE.match(value):
        low, high = int(match[1]), int(match[2])
        if high < low:
            raise ValueError(f"{value!r} is an empty range")
        return [low, high]
    if match := _BOUND.match(value):
        count = int(match[2])
        return {">=": [count, None], "<=": [None, count]}.get(match[1], [count, count])
    raise ValueError(f"{value!r} is not a count such as '12', '>= 10', '<= 500' or '10..20'")


def spell_bounds(bounds: list[int | None]) -> str:
    """``[minimum, maximum]`` as :func:`row_bounds` reads it (``12``, ``>= 10``, ``10..20``)."""
    low, high = bounds
    if low is None:
        return f"<= {high}"
    if high is None:
        return f">= {low}"
    return str(low) if low == high else f"{low}..{high}"


#: Expectations on the result; each maps to a key of the render spec's ``"expect"``.
EXPECT_OPTIONS: dict[str, tuple[str, Any]] = {
    "expect-columns": ("columns", label_list),
    "expect-rows": ("rows", row_bounds),
    "expect-unique": ("unique", label_list),
    "expect-complete": ("complete", label_list),
}


def expect_spec(options: dict[str, Any]) -> dict[str, Any]:
    """The ``"expect"`` part of the render spec: the expectations stated, by key."""
    return {key: options[name] for name, (key, _) in EXPECT_OPTIONS.items() if name in options}


def expectation_text(option: str, options: dict[str, Any]) -> str:
    """How the author wrote expectation ``option`` (for a warning), from its converted value."""
    value = options[option]
    return spell_bounds(value) if option == "expect-rows" else ", ".join(value)
