"""Text from data, made safe for every place it is shown or written.

Category, ward, borough and file names come from files we do not control. Whatever they hold,
they must never act as anything but text: not as a terminal command (escape sequences that
change a pane title or clear the screen), not as a spreadsheet formula, not as a Markdown link
or image. One rule per output, all here, with no Textual import so the CLI, the exports and the
briefing use the same rules as the TUI (which also renders data as ``rich.text.Text``, never
as markup: see ``crimefighters.tui.widgets.cells.plain``).

- ``clean_text``: control characters (C0, DEL, C1), line and paragraph separators and the
  Unicode bidirectional overrides are replaced: whitespace ones by a space, the rest by U+FFFD
  (so a reader sees that something was there). ``clean_lines`` keeps newlines, for whole
  outputs printed line by line.
- ``csv_safe``: every string cell of a frame cleaned, and a cell that a spreadsheet would read
  as a formula (first character ``= + - @``, tab, CR or LF, or their full-width forms) prefixed
  with ``'`` (OWASP's advice). Numeric columns stay numbers.
- ``json_safe``: every string cell cleaned (JSON is not opened by spreadsheets: no prefix).
- ``terminal_safe``: for text people typed (actions, notes, annotations), kept exactly as typed
  in the meeting store: every control or format character shown as a visible ``\\x1b`` or
  ``\\u202e`` escape, so the author can see what they typed and it still cannot act.
- ``markdown_text``: cleaned, on one line, with every character that could start Markdown or
  HTML syntax backslash-escaped and bare URLs, ``www.`` and e-mail addresses broken, so a
  briefing never carries a link, an image or HTML from the data.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

REPLACEMENT = "\ufffd"
# Written once for both engines: Python's ``re`` and Polars (Rust ``regex``) read these
# escapes the same way (a test checks every code point below U+3000 on both).
_WHITESPACE_CONTROLS = r"[\t\n\x0b\x0c\r\x85\u2028\u2029]"
_OTHER_CONTROLS = (
    r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_WHITESPACE_RE = re.compile(_WHITESPACE_CONTROLS)
_OTHER_RE = re.compile(_OTHER_CONTROLS)
_UNSAFE_RE = re.compile(f"{_WHITESPACE_CONTROLS}|{_OTHER_CONTROLS}")

# A spreadsheet evaluates a cell starting with one of these (OWASP, "CSV injection").
FORMULA_STARTS = "=+-@\t\r\n\uff1d\uff0b\uff0d\uff20"
_FORMULA_RE = r"^[=+\-@\t\r\n\x{FF1D}\x{FF0B}\x{FF0D}\x{FF20}]"

# Every character that can open syntax in the middle of a line, backslash-escaped (CommonMark
# allows it before any ASCII punctuation): links and images ([ ] ( ) !), HTML, autolinks and
# entities (< > &), emphasis and strike-through (* _ ~), code (`), table cells (|), e-mail
# autolinks (@), maths ($). Line-start syntax (#, -, +, >) cannot arise: the text is one line
# and the templates never start a line with it.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()!|<>~&@$])")
# GFM turns bare URLs, www. names and e-mail addresses into links: escaping the ':' of '://'
# and the '.' after 'www' (the '@' is escaped above) stops each from being recognised.
_BARE_URL = re.compile(r"(?<=[A-Za-z0-9])://")
_BARE_WWW = re.compile(r"(?i)\b(www)\.")


def clean_text(value: object) -> str:
    """One line of text with no control or direction-changing character."""
    text = "" if value is None else str(value)
    if not _UNSAFE_RE.search(text):
        return text
    return _OTHER_RE.sub(REPLACEMENT, _WHITESPACE_RE.sub(" ", text))


def clean_lines(text: str) -> str:
    """``clean_text`` line by line: newlines kept, everything else made safe."""
    return "\n".join(clean_text(line) for line in text.split("\n"))


def is_clean(text: str) -> bool:
    return _UNSAFE_RE.search(text) is None


def _escape_char(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, *, keep_newlines: bool = False) -> str:
    """Typed text with every control or format character shown as an escape (newlines as
    spaces unless kept, tabs as spaces)."""
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


def neutralise_formula(value: str) -> str:
    """A CSV cell a spreadsheet will show as text, never evaluate."""
    cleaned = clean_text(value)
    return "'" + cleaned if value[:1] and value[0] in FORMULA_STARTS else cleaned


def clean_expr(column: str) -> pl.Expr:
    """``clean_text`` as a Polars expression over a string column."""
    import polars as pl

    return (
        pl.col(column)
        .str.replace_all(_WHITESPACE_CONTROLS, " ")
        .str.replace_all(_OTHER_CONTROLS, REPLACEMENT)
    )


def _string_columns(frame: pl.DataFrame) -> list[str]:
    import polars as pl

    return [name for name, dtype in frame.schema.items() if dtype == pl.String]


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Every string cell cleaned and neutralised as ``neutralise_formula`` does."""
    import polars as pl

    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA_RE))
        .then(pl.lit("'") + clean_expr(c))
        .otherwise(clean_expr(c))
        .alias(c)
        for c in _string_columns(frame)
    )


def json_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Every string cell cleaned."""
    return frame.with_columns(clean_expr(c).alias(c) for c in _string_columns(frame))


def markdown_text(value: object) -> str:
    """Text from data for a Markdown paragraph or table cell: literal, whatever it holds."""
    text = " ".join(clean_text(value).split())
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _BARE_URL.sub(r"\\://", text)
    return _BARE_WWW.sub(r"\1\\.", text)
