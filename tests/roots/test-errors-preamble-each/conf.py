extensions = ["sphinx_df_table"]
df_table_preamble = "RATE = 3600"
