"""Everything that differs between the library versions sphinx-df-table supports.

The rest of the package is written against one API; each function here hides
one difference, with the versions it concerns, so that dropping an old version
means deleting code here and nowhere else.

This module imports neither Sphinx, docutils nor pandas at module level: the
snippet worker imports it (for pandas) and must not load Sphinx, and the
Sphinx process must not pay for pandas.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from sphinx.environment import BuildEnvironment

#: The keyword arguments ``DataFrame.to_csv`` gives pandas' native formatters
#: by default (``na_rep=""``, no float or date format, ``"."`` as decimal).
CSV_FORMAT: dict[str, Any] = {
    "na_rep": "",
    "float_format": None,
    "date_format": None,
    "decimal": ".",
    "quoting": None,
}


def csv_values(frame: Any) -> Any:
    """The DataFrame of cell values exactly as ``frame.to_csv()`` writes them.

    ``frame`` is a ``pandas.DataFrame``; the result has the same shape, with
    each value formatted by pandas' own CSV formatter (objects left as they
    are, for the caller to turn into text). pandas 2.2 and newer have
    ``DataFrame._get_values_for_csv``; pandas 2.0 and 2.1 format through the
    block manager, which is what their ``to_csv`` calls. Both are private
    API: the ``to_csv`` oracle tests catch any change.
    """
    formatter = getattr(frame, "_get_values_for_csv", None)
    if formatter is not None:  # pandas >= 2.2
        return formatter(**CSV_FORMAT)
    manager = frame._mgr.to_native_types(**CSV_FORMAT)  # pandas 2.0, 2.1
    return type(frame)(manager)


def csv_labels(index: Any) -> Any:
    """The labels of a flat ``pandas.Index`` as ``to_csv`` writes them in the header.

    Returns an array-like of the same length (see :func:`csv_values` for the
    versions).
    """
    formatter = getattr(index, "_get_values_for_csv", None)
    if formatter is not None:  # pandas >= 2.2
        return formatter(**CSV_FORMAT)
    return index._format_native_types(**CSV_FORMAT)  # pandas 2.0, 2.1


def copy_asset_file(source: str | os.PathLike[str], destination: str | os.PathLike[str]) -> None:
    """Copy the file ``source`` to ``destination`` (a file or folder), replacing an old copy.

    Sphinx 7.4 added ``force=`` to ``sphinx.util.fileutil.copy_asset_file`` and
    keeps a different existing file unless it is given; older versions always
    replace it, and want ``str`` paths.
    """
    from sphinx.util.fileutil import copy_asset_file as copy

    if "force" in inspect.signature(copy).parameters:  # Sphinx >= 7.4
        copy(os.fspath(source), os.fspath(destination), force=True)
    else:
        copy(os.fspath(source), os.fspath(destination))


@functools.cache
def sphinx_shows_warning_types() -> bool:
    """Whether Sphinx can end a warning with its ``[type.subtype]`` (7.3 and newer).

    Sphinx 7.3 added ``show_warning_types`` (on by default from 8.0). Before
    it, a warning never says its type, so df-table adds it to its own
    messages itself: authors then see what to put in ``suppress_warnings``.
    """
    import sphinx

    return sphinx.version_info >= (7, 3)


@functools.cache
def latex_nested_tables_are_never_long() -> bool:
    """Whether Sphinx's LaTeX writer sets a table inside a table never as ``longtable``.

    Sphinx 9 marks such a table ``is_nested`` and keeps it a ``tabular`` or
    ``tabulary`` whatever its length; older versions count its rows like any
    other table's.
    """
    from docutils import nodes
    from sphinx.writers.latex import Table

    return hasattr(Table(nodes.table()), "is_nested")


def document_data(env: BuildEnvironment) -> MutableMapping[str, Any]:
    """The data Sphinx keeps for the document being read, and clears before the next.

    ``env.current_document`` from Sphinx 8.2 (a mapping for extensions' keys,
    which also maps ``default_role`` and ``default_domain``); before, the
    ``env.temp_data`` dict.
    """
    current = getattr(env, "current_document", None)
    return cast("MutableMapping[str, Any]", env.temp_data if current is None else current)
