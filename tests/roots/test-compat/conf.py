extensions = ["sphinx_df_table", "sphinx.ext.extlinks", "sphinx_design"]
show_warning_types = True  # Sphinx 7.3/7.4; the default from 8.0
extlinks = {"benchmark-pt": ("https://example.org/benchmarks/%s", "%s")}
numfig = True
