"""``python -m sphinx_df_table.worker REQ_FD RESP_FD``: the snippet worker's entry point."""

import sys

from .server import main

sys.exit(main(sys.argv[1:]))
