/* sphinx-df-table: interactive tables (in progress). */
