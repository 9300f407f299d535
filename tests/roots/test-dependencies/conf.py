extensions = ["sphinx_df_table"]
df_table_allowed_paths = ["../shared"]
