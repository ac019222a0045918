"""How a state, a value or a change looks in a table cell: a symbol and a colour, never colour
alone (the symbol carries the meaning with NO_COLOR or on a washed-out projector).

Colours follow methods.md: improvement blue, concern orange, common cause grey, neutral purple.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.text import Text

from crimefighters.present import (
    DIRECTION_ARROWS,
    STATES,
    fmt_change,
    fmt_p,
    fmt_value,
    state_words,
)
from crimefighters.text_safety import clean_text

if TYPE_CHECKING:
    from textual.widgets import DataTable

Cell = str | Text | None

# The colour of each state; its symbol and word come from crimefighters.present.STATES.
STATE_COLOUR = {
    "concern": "bold #e8710a",
    "improvement": "bold #3b82f6",
    "neutral": "bold #a855f7",
    "common cause": "#8a8a8a",
    "not charted": "#8a8a8a",
    "no data": "#8a8a8a",
}
SPARK = "▁▂▃▄▅▆▇█"


def plain(value: object, style: str = "") -> Text:
    """Text from data as it is: never read as markup (a DataTable, a Static or a notification
    would read a str as markup), control characters replaced (text_safety.clean_text)."""
    if isinstance(value, Text):
        return value
    return Text(clean_text(value), style=style, end="")


def fill_table(
    table: DataTable,
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    keys: Sequence[str] | None = None,
    labels: Sequence[Cell] | None = None,
) -> None:
    """Replace a table's columns (keyed ``columns``, headed ``labels``, by default the same)
    and rows; every cell shown as text (``plain``).

    Column widths are set from the content here rather than left to the table: it measures
    them on its next idle, and a paint before that cached rows cut to the header widths (the
    columns 'collapsed' after a month change in some runs)."""
    labels = [plain(c) for c in (columns if labels is None else labels)]
    texts = [[plain(c) for c in row] for row in rows]
    widths = [
        max([label.cell_len, *(row[i].cell_len for row in texts)]) for i, label in enumerate(labels)
    ]
    table.clear(columns=True)
    for name, label, width in zip(columns, labels, widths, strict=True):
        table.add_column(label, key=name, width=width)
    for i, row in enumerate(texts):
        table.add_row(*row, key=keys[i] if keys is not None else None)


def state_of(state: str | None, available: bool = True) -> str:
    if not available or state is None:
        return "no data"
    return state if state in STATES else "common cause"


def direction_of(special_cause_type: str | None) -> str:
    text = special_cause_type or ""
    if any(w in text for w in ("Above", "Increasing")):
        return "up"
    if any(w in text for w in ("Below", "Decreasing")):
        return "down"
    return ""


def state_cell(
    state: str | None,
    special_cause_type: str | None = None,
    *,
    words: bool = False,
    available: bool = True,
) -> Text:
    """A series' state: its symbol (and arrow), with its word when ``words``: '!↑',
    '! concern ↑'."""
    key = state_of(state, available)
    direction = (
        direction_of(special_cause_type) if key in ("concern", "improvement", "neutral") else ""
    )
    if words:
        return Text(state_words(key, direction), style=STATE_COLOUR[key])
    return Text(STATES[key][0] + DIRECTION_ARROWS.get(direction, ""), style=STATE_COLOUR[key])


def assessment_cell(assessment: str, direction: str | None = None) -> Text:
    """A finding's assessment in words, as every front-end writes it: '! concern ↑'."""
    key = assessment if assessment in STATES else "neutral"
    return Text(state_words(key, direction), style=STATE_COLOUR[key])


def value_text(value: float | None, kind: str | None, unit: str = "") -> str:
    return fmt_value(value, kind or "count", unit)


def change_text(change: float | None, change_pct: float | None, kind: str | None) -> str:
    return fmt_change(change, change_pct, kind or "count")


def p_text(p: float | None) -> str:
    return fmt_p(p) or "–"


def sparkline(values: Sequence[float | None]) -> str:
    """A row of block characters scaled to the series' own range (display only)."""
    shown = [v for v in values if v is not None]
    if not shown:
        return ""
    low, high = min(shown), max(shown)
    span = high - low
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif span == 0:
            out.append(SPARK[3])
        else:
            out.append(SPARK[min(len(SPARK) - 1, int((v - low) / span * (len(SPARK) - 1) + 0.5))])
    return "".join(out)


LEGEND = Text.assemble(
    *[
        part
        for state in ("concern", "improvement", "neutral", "common cause", "not charted", "no data")
        for part in ((STATES[state][0], STATE_COLOUR[state]), f" {STATES[state][1]}  ")
    ],
    "↑↓ direction",
)
