extensions = ["sphinx_df_table"]
