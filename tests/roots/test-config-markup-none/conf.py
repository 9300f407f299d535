extensions = ["sphinx_df_table"]
df_table_markup = "none"
