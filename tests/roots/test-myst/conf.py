extensions = ["sphinx_df_table", "myst_parser", "sphinx.ext.extlinks"]
extlinks = {"benchmark-pt": ("https://example.org/benchmarks/%s", "%s")}
numfig = True
