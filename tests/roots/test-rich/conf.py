extensions = ["sphinx_df_table"]
df_table_max_rows = 20
latex_documents = [("index", "rich.tex", "Rich", "A", "manual")]
