extensions = ["sphinx_df_table", "sphinx_design"]
