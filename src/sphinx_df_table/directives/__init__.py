"""The ``df-table`` and ``df-chart`` directives and what they share."""
