"""Frames of other DataFrame libraries, made pandas DataFrames for the table.

A snippet's ``df`` may be a polars ``DataFrame``, ``LazyFrame`` (collected
here) or ``Series``, a pyarrow ``Table`` or ``RecordBatch``, or any frame that
narwhals reads (a narwhals frame itself, DuckDB, Modin, cuDF, Dask, ...). Every
one goes through Arrow: the frame becomes a pyarrow table, and that one
pandas DataFrame by one rule, so that cell text follows the pandas rules
(``to_csv``'s text) whatever the library:

* integers become pandas' nullable integers (a missing value stays missing
  and the others keep their digits: ``1``, not ``1.0``), booleans likewise;
* floats become ``float64``, whose text is the shortest ``repr`` (polars
  prints fewer digits; a polars ``null`` and ``NaN`` are both an empty cell);
* timestamps, durations, dictionaries (categoricals) and strings become their
  pandas counterparts; dates are written ``2024-01-31``.

polars and narwhals are imported only when the result is one of their
objects (the snippet imported them); pyarrow, which the conversion needs, is
named in the error when it is missing, with the extra that installs it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import pandas as pd

from ..errors import DfTableError

#: Libraries whose frames narwhals reads (its "native" backends besides
#: pandas, polars and pyarrow): without narwhals, the error says to install it.
NARWHALS_BACKENDS = frozenset(
    {"modin", "cudf", "dask", "dask_expr", "duckdb", "ibis", "pyspark", "sqlframe"}
)

# polars checks the CPU's features when imported by running CPUID through the
# C library opened with ctypes, which the snippet guard refuses (loading libc
# through ctypes gets around every audit event); so a snippet could not import
# polars. Skipping the check only loses polars' warning on a CPU too old for
# its build, where polars would then crash, which the worker reports as such.
os.environ.setdefault("POLARS_SKIP_CPU_CHECK", "1")

_INSTALL = 'pip install "sphinx-df-table[{extra}]"'


class LibraryMissingError(DfTableError, TypeError):
    """A frame of another library needs a package that is not installed to become a table."""


#: The top-level module a snippet failed to import -> the extra that installs it.
EXTRA_OF_MODULE = {"polars": "polars", "pyarrow": "pyarrow", "narwhals": "narwhals"}


def install_hint(module: str | None) -> str | None:
    """How to install the missing module ``module`` (``ModuleNotFoundError.name``),
    when an extra of this package installs it; else ``None``."""
    extra = EXTRA_OF_MODULE.get((module or "").partition(".")[0])
    return None if extra is None else _INSTALL.format(extra=extra)


def _root_module(value: object) -> str:
    return type(value).__module__.partition(".")[0]


def _needs(package: str, extra: str, what: str, name: str) -> LibraryMissingError:
    return LibraryMissingError(
        f"'{name}' is {what}; making a table of it needs {package}, which is not installed: "
        + _INSTALL.format(extra=extra)
    )


def _pyarrow(what: str, extra: str, name: str) -> Any:
    """The pyarrow module; raises :class:`LibraryMissingError` naming ``extra`` without it."""
    try:
        import pyarrow
    except ImportError:
        raise _needs("pyarrow", extra, what, name) from None
    return pyarrow


def _nullable(arrow_type: Any) -> Any:
    """The pandas dtype an Arrow integer or boolean type becomes (``None``: the default)."""
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return pd.api.types.pandas_dtype(str(arrow_type).replace("u", "U").replace("i", "I"))
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def arrow_to_pandas(table: Any) -> pd.DataFrame:
    """A pyarrow ``Table`` or ``RecordBatch`` as a pandas DataFrame, by the module's rule."""
    frame: pd.DataFrame = table.to_pandas(types_mapper=_nullable)
    return frame


def _describe(value: object) -> str:
    kind = type(value).__name__
    return f"a {_root_module(value)} {kind}"


def foreign_frame(result: object, name: str) -> pd.DataFrame | None:
    """``result`` as a pandas DataFrame when it is a frame of another library, else ``None``.

    polars objects and pyarrow tables are converted directly; anything else
    is offered to narwhals, when it is installed. Raises
    :class:`LibraryMissingError` when the conversion needs pyarrow or narwhals
    and it is missing (naming the extra to install), and ``None`` is returned
    for objects that no library here reads (the caller says what it expected).
    """
    root = _root_module(result)
    what = _describe(result)
    if root == "polars":
        polars = sys.modules["polars"]
        if isinstance(result, polars.LazyFrame):
            result = result.collect()
        elif isinstance(result, polars.Series):
            result = result.to_frame()
        if not isinstance(result, polars.DataFrame):
            return None
        _pyarrow(what, "polars", name)
        return arrow_to_pandas(result.to_arrow())
    if root == "pyarrow":
        pyarrow = _pyarrow(what, "pyarrow", name)
        if isinstance(result, (pyarrow.Table, pyarrow.RecordBatch)):
            return arrow_to_pandas(result)
        return None
    try:
        import narwhals
    except ImportError:
        if root in NARWHALS_BACKENDS:
            raise _needs("narwhals", "narwhals", what, name) from None
        return None
    frame = narwhals.from_native(result, pass_through=True, allow_series=True)
    if isinstance(frame, narwhals.Series):
        frame = frame.to_frame()
    if isinstance(frame, narwhals.LazyFrame):
        frame = frame.collect()
    if not isinstance(frame, narwhals.DataFrame):
        return None
    _pyarrow(what, "narwhals", name)
    return arrow_to_pandas(frame.to_arrow())
