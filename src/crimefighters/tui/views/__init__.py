"""What each tab of the borough view lists, as plain tables: rows of cells, a key per row, the
text of the panel under the table for each row, and what each row points at (a series to chart,
a finding, an action). Built from the session's scan result and the meeting store; no Textual
widget here, so each view can be read (and tested) on its own.

Every name comes from ``crimefighters.present`` or the methods' registry; every piece of text
from data or typed by a user is shown as text (``cells.plain``), never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text

from crimefighters.tui.widgets.cells import Cell


@dataclass(frozen=True)
class SeriesRef:
    """One series a row points at, for the drill-down."""

    measure: str
    level: str
    category: str
    label: str


@dataclass
class Table:
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    details: dict[str, Text] = field(default_factory=dict)  # the panel under the table
    targets: dict[str, object] = field(default_factory=dict)  # what a row's keys act on
    note: Text | str = ""  # the line above the table
    empty: Text | str = ""  # the panel when there are no rows
    labels: tuple[str, ...] | None = None  # the column headings, when not the keys themselves

    def add(self, key: str, row: tuple[Cell, ...], detail: Text | None = None, target=None) -> None:
        self.keys.append(key)
        self.rows.append(row)
        if detail is not None:
            self.details[key] = detail
        if target is not None:
            self.targets[key] = target


def cut(text: str, width: int) -> str:
    """At most ``width`` characters, with an ellipsis when cut (the panel shows it whole)."""
    return text if len(text) <= width else text[: width - 1] + "…"
