"""From table nodes to output: compact rows, HTML, LaTeX, interactive tables."""
