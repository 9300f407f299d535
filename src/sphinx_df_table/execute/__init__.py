"""The Sphinx side of the process boundary: the runner that talks to the worker
and the cache of its results."""
