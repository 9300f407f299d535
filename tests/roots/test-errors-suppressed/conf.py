extensions = ["sphinx_df_table"]
suppress_warnings = ["df_table.exception"]
