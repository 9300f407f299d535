"""sphinx-df-table: a ``df-table`` directive that turns a pandas snippet into a table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives, their settings, nodes and events.

    Imports are local so that ``python -m sphinx_df_table.worker`` (which
    imports this package) does not pull in Sphinx.
    """
    from .build_summary import setup_summary
    from .config import setup_config
    from .directives.ahead import setup_ahead
    from .directives.chart import setup_chart
    from .directives.table import setup_directive
    from .output.assets import setup_assets
    from .output.interactive import setup_interactive
    from .output.sources import setup_sources

    setup_config(app)
    setup_directive(app)
    setup_chart(app)
    setup_interactive(app)
    setup_assets(app)
    setup_summary(app)
    setup_sources(app)
    setup_ahead(app)
    return {
        "version": __version__,
        # Per-document table records (build_summary.py) and data files
        # (output/sources.py) are kept in the environment.
        "env_version": 3,
        # Reader processes share the main process's worker (execute/runner.py); what
        # the writers get (compact rows, chart files, CSV text) is plain data
        # in the doctree, written by whichever process writes the page.
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
