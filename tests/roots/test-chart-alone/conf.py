extensions = ["sphinx_df_table"]
show_warning_types = True  # Sphinx 7.3/7.4; the default from 8.0
numfig = True
project = "Charts"
version = "1.0"
copyright = "2026, the authors"
