extensions = ["sphinx_df_table"]
df_table_memory_limit = "1GiB"
df_table_timeout = 20
