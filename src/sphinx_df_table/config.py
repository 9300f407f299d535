"""df-table's conf.py settings: declared once, typed, checked on ``config-inited``.

Each field of :class:`DfTableConfig` becomes a ``df_table_<field>`` value.
A bad value gives one ``df_table.config`` warning and falls back to the default,
instead of a traceback halfway through the build.
"""

from __future__ import annotations

import dataclasses as dc
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .diagnostics import DfTableWarning, warn
from .output.latex_fit import FONT_SIZES

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?\s*$", re.IGNORECASE)
_UNITS = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4}
MARKUP_CHOICES = ("rst", "none")
SANDBOX_CHOICES = ("auto", "landlock", "guard")
#: ``df_table_search_index`` values: which body cells' words the HTML search index gets.
SEARCH_INDEX_CHOICES = ("text", "all", "none")


def parse_size(value: int | str | None) -> int | None:
    """Bytes from an int or a string such as ``"2GiB"``, ``"512 MB"``; 0/None: no limit.

    ``KiB``/``MiB``/``GiB`` are powers of 1024, ``KB``/``MB``/``GB`` powers of 1000.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("expected a size in bytes, not a bool")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a size cannot be negative")
        return value or None
    match = _SIZE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a size such as 4294967296, '4GiB' or '512MB'")
    number, unit, suffix = match.groups()
    base = 1024 if (suffix or "").lower() == "ib" or not suffix else 1000
    return int(float(number) * base ** _UNITS[unit.upper()]) or None


def _check_markup(value: Any) -> None:
    if value not in MARKUP_CHOICES:
        raise ValueError(f"must be one of {', '.join(MARKUP_CHOICES)}")


def _check_sandbox(value: Any) -> None:
    if value not in SANDBOX_CHOICES:
        raise ValueError(f"must be one of {', '.join(SANDBOX_CHOICES)}")


def _check_search_index(value: Any) -> None:
    if value not in SEARCH_INDEX_CHOICES:
        raise ValueError(f"must be one of {', '.join(SEARCH_INDEX_CHOICES)}")


#: ``df_table_latex_font_size`` (and ``:latex-font-size:``) values: ``auto``
#: or a LaTeX size name.
LATEX_FONT_SIZE_CHOICES = ("auto", *FONT_SIZES)


def _check_latex_font_size(value: Any) -> None:
    if value not in LATEX_FONT_SIZE_CHOICES:
        raise ValueError(f"must be one of {', '.join(LATEX_FONT_SIZE_CHOICES)}")


def _check_latex_landscape(value: Any) -> None:
    if value not in ("auto", True, False):
        raise ValueError("must be 'auto', True or False")


def _check_timeout(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError("must be a positive number of seconds")


def _check_date_format(value: Any) -> None:
    try:
        time.strftime(value, time.gmtime(0))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a strftime format: {exc}") from exc


def _check_nonnegative(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("must be a whole number, 0 or more")


def _check_paths(value: Any) -> None:
    if not isinstance(value, (list, tuple)) or not all(isinstance(p, str) for p in value):
        raise TypeError("must be a list of directory paths")


def _field(default: Any, types: tuple[type, ...], help: str, check: Any = None) -> Any:
    return dc.field(default=default, metadata={"types": types, "help": help, "check": check})


@dc.dataclass(frozen=True)
class DfTableConfig:
    """All df-table settings; the conf.py name is ``df_table_`` + the field name."""

    preamble: str = _field("", (str,), "Python code run before every snippet.")
    markup: str = _field(
        "rst",
        (str,),
        "'rst': cells may hold inline reST; 'none': cell text is literal.",
        _check_markup,
    )
    timeout: float = _field(30.0, (int, float), "Seconds a snippet may run.", _check_timeout)
    memory_limit: int | str | None = _field(
        "4GiB",
        (int, str, type(None)),
        "Address-space limit of the worker; 0/None: none.",
        parse_size,
    )
    allowed_paths: tuple[str, ...] | list[str] = _field(  # noqa: RUF009 - immutable default
        (),
        (list, tuple),
        "Directories outside the source directory that snippets may read "
        "(relative to the conf.py directory).",
        _check_paths,
    )
    allow_unsafe: bool = _field(
        False, (bool,), "Allow snippets to write files, start processes and use the network."
    )
    sandbox: str = _field(
        "auto",
        (str,),
        "'auto': Landlock where the kernel enforces it, else the guard alone; "
        "'landlock': fail the build without Landlock; 'guard': the guard alone.",
        _check_sandbox,
    )
    max_result_size: int | str | None = _field(
        "64MiB",
        (int, str, type(None)),
        "Size a snippet's result may have on its way to Sphinx; 0/None: no limit.",
        parse_size,
    )
    raise_on_error: bool = _field(False, (bool,), "Stop the build at the first failing snippet.")
    max_rows: int = _field(
        10_000,
        (int,),
        "Rows a table shows unless its :max-rows: says otherwise (0: all), with a warning.",
        _check_nonnegative,
    )
    cache: bool = _field(
        True,
        (bool,),
        "Reuse a snippet's result while its code and the files it read are unchanged.",
    )
    cache_size: int | str | None = _field(
        "256MiB",
        (int, str, type(None)),
        "Size the result cache may reach; the least recently used entries beyond it "
        "are removed at the end of a build. 0/None: no limit.",
        parse_size,
    )
    execute_ahead: bool = _field(
        True,
        (bool,),
        "Start snippets before their pages are parsed, several at a time.",
    )
    search_index: str = _field(
        "text",
        (str,),
        "Which body cells the HTML search index gets: 'text' (cells of text columns, "
        "and label cells), 'all', or 'none'. Column labels are always indexed.",
        _check_search_index,
    )
    interactive: bool = _field(
        False, (bool,), "Make every table interactive in HTML (sort, filter, sticky header)."
    )
    download: bool = _field(
        False, (bool,), "Add a 'Download CSV' link (the raw data) after every HTML table."
    )
    sources: bool = _field(
        False,
        (bool,),
        "Show under every table the files its snippet read, with their dates "
        "(:no-sources: opts out).",
    )
    date_format: str = _field(
        "%Y-%m-%d",
        (str,),
        "The strftime format of the dates on a table's sources line.",
        _check_date_format,
    )
    latex_font_size: str = _field(
        "auto",
        (str,),
        "LaTeX/PDF type size of every table: 'auto' (the largest that fits, down to "
        "'scriptsize'), or 'normalsize', 'small', 'footnotesize', 'scriptsize', 'tiny'.",
        _check_latex_font_size,
    )
    latex_landscape: str | bool = _field(
        "auto",
        (str, bool),
        "Set tables on landscape pages in LaTeX/PDF: 'auto' (a table too wide for a "
        "portrait page), True (every table) or False (none).",
        _check_latex_landscape,
    )

    @property
    def memory_limit_bytes(self) -> int | None:
        """The worker's address-space limit in bytes; ``None`` for no limit."""
        return parse_size(self.memory_limit)

    @property
    def max_result_size_bytes(self) -> int | None:
        """The largest answer (bytes) a snippet may send; ``None`` for no limit."""
        return parse_size(self.max_result_size)

    @property
    def cache_size_bytes(self) -> int | None:
        """The result cache's size limit in bytes; ``None`` for no limit."""
        return parse_size(self.cache_size)


def setup_config(app: Sphinx) -> None:
    """Register every ``df_table_*`` value and check them once conf.py is read."""
    for f in dc.fields(DfTableConfig):
        app.add_config_value(f"df_table_{f.name}", f.default, "env", types=f.metadata["types"])
    app.connect("config-inited", check_config)


def check_config(app: Sphinx, config: Config) -> None:
    """Validate each value; warn and fall back to the default for a bad one."""
    values: dict[str, Any] = {}
    for f in dc.fields(DfTableConfig):
        name = f"df_table_{f.name}"
        value = getattr(config, name)
        ok = isinstance(value, f.metadata["types"])
        reason = f"expected {' or '.join(t.__name__ for t in f.metadata['types'])}"
        if ok and f.metadata["check"] is not None:
            try:
                f.metadata["check"](value)
            except (TypeError, ValueError) as exc:
                ok, reason = False, str(exc)
        if not ok:
            warn(
                f"invalid conf.py value {name} = {value!r}: {reason}; using the default",
                DfTableWarning.CONFIG,
                None,
            )
            value = f.default
            setattr(config, name, value)
        values[f.name] = value
    if values["sandbox"] == "landlock" and not values["allow_unsafe"]:
        require_landlock()
    if values["allowed_paths"]:
        base = Path(app.confdir)
        config.df_table_allowed_paths = [str((base / p).resolve()) for p in values["allowed_paths"]]


def require_landlock() -> None:
    """Stop the build when ``df_table_sandbox = "landlock"`` cannot be had here.

    Raises :class:`sphinx.errors.ConfigError` naming what is missing, at the
    start of the build instead of at the first table.
    """
    from sphinx.errors import ConfigError

    from .worker.landlock import abi_version

    if not abi_version():
        raise ConfigError(
            "df_table_sandbox = 'landlock', but this kernel does not enforce Landlock "
            "(Linux 5.13 or later with Landlock enabled); use 'auto' to fall back to the "
            "guard alone"
        )


def get_config(config: Config) -> DfTableConfig:
    """The validated settings as one typed object."""
    return DfTableConfig(
        **{f.name: getattr(config, f"df_table_{f.name}") for f in dc.fields(DfTableConfig)}
    )
