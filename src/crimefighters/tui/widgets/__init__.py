"""Widgets and cell renderers for the TUI."""
