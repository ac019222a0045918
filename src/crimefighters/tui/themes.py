"""Light and dark themes for a laptop and a meeting-room projector.

State colours (improvement blue, concern orange, neutral purple, common cause grey) are fixed
in ``widgets.cells`` so they mean the same in both themes; the themes set the chrome.
"""

from __future__ import annotations

from textual.theme import Theme

DARK = Theme(
    name="crimefighters-dark",
    primary="#4f8fd8",
    secondary="#7aa7d9",
    accent="#e8710a",
    warning="#e8710a",
    error="#d9534f",
    success="#3b82f6",
    foreground="#e6e6e6",
    background="#101418",
    surface="#182028",
    panel="#22303c",
    dark=True,
)
LIGHT = Theme(
    name="crimefighters-light",
    primary="#1d4f91",
    secondary="#2f6db3",
    accent="#b85500",
    warning="#b85500",
    error="#b0302b",
    success="#1d4f91",
    foreground="#1a1a1a",
    background="#fafafa",
    surface="#ffffff",
    panel="#e6ebf0",
    dark=False,
)
THEMES = (DARK, LIGHT)
