"""Runs in the snippet worker process; imports no Sphinx or docutils.

See ``docs/architecture.rst`` for what each module holds and how a snippet's
result travels back to the Sphinx process."""
