extensions = ["sphinx_df_table"]
show_warning_types = True  # Sphinx 7.3/7.4; the default from 8.0
