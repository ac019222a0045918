"""Showing text that people typed (actions, notes, annotations) without letting it act.

The store keeps text exactly as typed. Where it is shown it is made inert:
- on a terminal, control and format characters (escape sequences, carriage returns, bidi
  overrides) become visible ``\\x1b``/``\\u202e`` escapes, so a note cannot move the cursor,
  recolour the screen or reorder what is printed after it;
- in CSV, a cell that a spreadsheet would run as a formula (starting ``=``, ``+``, ``-``, ``@``,
  tab or carriage return) gets a leading apostrophe (OWASP's guard against CSV injection);
- JSON is written with ``ensure_ascii``, which escapes every control character already.
HTML, Markdown and Textual markup escape at their own renderers (Jinja2 autoescape,
``textual.markup.escape``).
"""

from __future__ import annotations

import unicodedata

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escape_char(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, *, keep_newlines: bool = False) -> str:
    """Text with every control or format character shown as an escape (newlines as spaces)."""
    out = []
    for char in text:
        if char == "\n":
            out.append("\n" if keep_newlines else " ")
        elif char == "\t":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(_escape_char(char))
        else:
            out.append(char)
    return "".join(out)


def csv_safe(text: str) -> str:
    """A CSV cell that neither a spreadsheet nor a terminal will execute."""
    text = terminal_safe(text, keep_newlines=True)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text
