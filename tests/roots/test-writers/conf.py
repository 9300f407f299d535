extensions = ["sphinx_df_table"]
show_warning_types = True  # Sphinx 7.3/7.4; the default from 8.0
latex_documents = [("index", "w.tex", "W", "A", "manual")]
man_pages = [("index", "w", "W", ["A"], 1)]
texinfo_documents = [("index", "w", "W", "A", "w", "W", "Misc")]
project = "W"
copyright = "2024, A"
author = "A"
version = release = "1"
