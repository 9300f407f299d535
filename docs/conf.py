"""Sphinx configuration of the sphinx-df-table documentation.

The documentation is built with the extension itself: every table on these
pages that shows data comes from a ``df-table`` snippet run during the build.
"""

from __future__ import annotations

from sphinx_df_table import __version__

project = "sphinx-df-table"
author = "The sphinx-df-table developers"
copyright = "%Y, The sphinx-df-table developers"
version = release = __version__

extensions = [
    "sphinx_df_table",
    "sphinx_design",
    "myst_parser",
    "sphinx.ext.extlinks",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# docs/snippets/ holds the examples the pages show and include (and that
# tests/test_snippets.py builds); they are not pages of their own.
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "snippets"]

# Tables with a title get a number, and :numref: can refer to them.
numfig = True

# Used in the "Scripts" column of the example benchmark tables:
# :benchmark-pt:`Benchmark <trn1/encoder/bert-base-cased>` links the text
# "Benchmark" to the pattern below, filled with the part in angle brackets.
extlinks = {
    "benchmark-pt": (
        "https://github.com/example-org/neuron-samples/tree/master/benchmarks/%s",
        "%s",
    ),
}

# -- df-table -----------------------------------------------------------------
# The defaults, spelled out so that readers can see them in action.
df_table_timeout = 30
df_table_memory_limit = "4GiB"

# -- HTML ---------------------------------------------------------------------
html_theme = "alabaster"
html_theme_options = {
    "description": "pandas snippets as real Sphinx tables",
    "fixed_sidebar": True,
}
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_title = f"{project} {release}"

# -- LaTeX --------------------------------------------------------------------
latex_documents = [
    (root_doc, "sphinx-df-table.tex", "sphinx-df-table", author, "manual"),
]
latex_elements = {
    # The architecture page's diagrams are drawn with box-drawing characters
    # (pmboxdraw gives pdflatex all of them; Sphinx declares only a few) and
    # arrows (amssymb, which Sphinx loads, has them).
    "preamble": r"""
\usepackage{pmboxdraw}
\DeclareUnicodeCharacter{25BA}{\ensuremath{\blacktriangleright}}
\DeclareUnicodeCharacter{25C4}{\ensuremath{\blacktriangleleft}}
\DeclareUnicodeCharacter{25B2}{\ensuremath{\blacktriangle}}
\DeclareUnicodeCharacter{25BC}{\ensuremath{\blacktriangledown}}
""",
}
