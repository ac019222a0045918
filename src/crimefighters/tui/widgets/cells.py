"""How a state, a value or a change looks in a table cell: a symbol and a colour, never colour
alone (the symbol carries the meaning with NO_COLOR or on a washed-out projector).

Colours follow methods.md: improvement blue, concern orange, common cause grey, neutral purple.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.text import Text

from crimefighters.present import fmt_change, fmt_p, fmt_value
from crimefighters.text_safety import clean_text

if TYPE_CHECKING:
    from textual.widgets import DataTable

Cell = str | Text | None

STATE_STYLE = {
    "concern": ("▲!", "bold #e8710a", "concern"),
    "improvement": ("✓", "bold #3b82f6", "improvement"),
    "neutral": ("◆", "bold #a855f7", "neutral"),
    "common cause": ("·", "#8a8a8a", "common cause"),
    "not charted": ("∅", "#8a8a8a", "not charted"),
    "no data": ("–", "#8a8a8a", "no data loaded"),
}
POINT_STATE = {
    "special_cause_concern": "concern",
    "special_cause_improvement": "improvement",
    "special_cause_neutral_high": "neutral",
    "special_cause_neutral_low": "neutral",
    "common_cause": "common cause",
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
    return state if state in STATE_STYLE else "common cause"


def direction_arrow(special_cause_type: str | None) -> str:
    text = special_cause_type or ""
    if any(w in text for w in ("Above", "Increasing")):
        return "↑"
    if any(w in text for w in ("Below", "Decreasing")):
        return "↓"
    return ""


def state_cell(
    state: str | None,
    special_cause_type: str | None = None,
    *,
    words: bool = False,
    available: bool = True,
) -> Text:
    key = state_of(state, available)
    symbol, style, label = STATE_STYLE[key]
    if key == "concern":
        symbol = "!"
    arrow = (
        direction_arrow(special_cause_type) if key in ("concern", "improvement", "neutral") else ""
    )
    shown = f"{symbol}{arrow}"
    if words:
        shown = f"{shown} {label}"
    return Text(shown, style=style)


def assessment_cell(assessment: str, direction: str | None = None) -> Text:
    key = assessment if assessment in STATE_STYLE else "neutral"
    symbol, style, label = STATE_STYLE[key]
    if key == "concern":
        symbol = "!"
    arrow = {"up": "↑", "down": "↓"}.get(direction or "", "")
    return Text(f"{symbol}{arrow} {label}", style=style)


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
    ("!", STATE_STYLE["concern"][1]),
    " concern  ",
    ("✓", STATE_STYLE["improvement"][1]),
    " improvement  ",
    ("◆", STATE_STYLE["neutral"][1]),
    " neutral  ",
    ("·", STATE_STYLE["common cause"][1]),
    " common cause  ",
    ("∅", STATE_STYLE["not charted"][1]),
    " not charted  ",
    ("–", STATE_STYLE["no data"][1]),
    " no data loaded  ↑↓ direction",
)
