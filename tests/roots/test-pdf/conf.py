extensions = ["sphinx_df_table", "sphinx.ext.extlinks"]
show_warning_types = True  # Sphinx 7.3/7.4; the default from 8.0
latex_documents = [("index", "pdf.tex", "PDF", "A", "manual")]
extlinks = {"run": ("https://example.org/runs/%s", "%s")}
