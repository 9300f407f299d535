extensions = ["sphinx_df_table", "sphinx.ext.extlinks", "sphinx_design"]
extlinks = {"benchmark-pt": ("https://example.org/benchmarks/%s", "%s")}
numfig = True
