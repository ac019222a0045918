"""The meeting-room TUI: screens and widgets over the data, scan and briefing layers.

Nothing here computes a statistic: every value, limit, p-value and state shown is read from a
``ScanResult`` (or the drill-down frames in ``crimefighters.scan.drill``).
"""

from __future__ import annotations
