"""The TUI's screens: London overview, borough, drill-down, thresholds and dialogs."""
