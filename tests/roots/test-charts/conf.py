extensions = ["sphinx_df_table"]
numfig = True
project = "Charts"
version = "1.0"
copyright = "2026, the authors"
