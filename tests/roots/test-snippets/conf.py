# The settings of docs/conf.py that the examples in docs/snippets/ rely on.
extensions = ["sphinx_df_table", "sphinx_design", "myst_parser", "sphinx.ext.extlinks"]
show_warning_types = True  # Sphinx 7.3/7.4; the default from 8.0
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
numfig = True
extlinks = {
    "benchmark-pt": (
        "https://github.com/example-org/neuron-samples/tree/master/benchmarks/%s",
        "%s",
    ),
}
# The examples are included by the pages, not pages themselves (as in docs/conf.py).
exclude_patterns = ["snippets"]
