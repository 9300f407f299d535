extensions = ["sphinx_df_table"]
df_table_timeout = -3
df_table_markup = "html"
df_table_memory_limit = "lots"
