"""Converters for df-table's rendering options (formats, index, alignment, ...).

Each returns a plain value for the worker's render spec (see
:class:`~sphinx_df_table.worker.frame_cells.TableOptions`) or raises
``ValueError`` with a message that the directive turns into a ``df_table.option`` warning.
"""

from __future__ import annotations

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
