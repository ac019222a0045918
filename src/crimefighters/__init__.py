"""crimefighters: exception reporting for the Met's borough CrimeFighters meetings.

Layers (data flows one way): ``data`` -> ``scan`` -> ``briefing``, with ``tui`` reading
all three and owning none. ``config`` is read by every layer. Only ``tui`` imports Textual.
"""

__version__ = "0.1.0"
