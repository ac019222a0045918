"""Subcommands of the ``crimefighters`` CLI, one module each (see ``crimefighters.cli``)."""
