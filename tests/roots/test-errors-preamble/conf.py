extensions = ["sphinx_df_table"]
df_table_preamble = "x = 1\nimport not_a_module_xyz"
