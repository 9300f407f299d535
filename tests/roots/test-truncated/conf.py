extensions = ["sphinx_df_table"]
df_table_max_rows = 25
