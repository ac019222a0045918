"""London overview: every borough, grouped by BCU, against the key measures."""

from __future__ import annotations

import contextlib
from typing import ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Header, LoadingIndicator, ProgressBar, Static
from textual.widgets.data_table import RowDoesNotExist

from crimefighters.present import month_name, short_label
from crimefighters.tui.screens.base import SessionScreen
from crimefighters.tui.session import Session, headline_series
from crimefighters.tui.widgets.cells import LEGEND, STATE_COLOUR, fill_table, plain, state_cell
from crimefighters.tui.widgets.footer import SteadyFooter

SORTS = ("BCU", "borough", "findings", "new", "concerns", "improvements")


class OverviewScreen(SessionScreen):
    AUTO_FOCUS = "#overview-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_borough", "Open borough", show=True),
        Binding("s", "cycle_sort", "Sort", show=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort_index = 0
        self.sort_column: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="loading"):
            yield Static("Loading…", id="loading-text")
            yield ProgressBar(total=1.0, show_eta=False, id="loading-bar")
            yield LoadingIndicator()
        yield Static("", id="overview-title", classes="title")
        yield DataTable(id="overview-table", cursor_type="row", zebra_stripes=True)
        yield Static(LEGEND, id="legend", classes="legend")
        yield SteadyFooter()

    def set_progress(self, text: str, fraction: float) -> None:
        self.query_one("#loading-text", Static).update(plain(text))  # names files
        self.query_one("#loading-bar", ProgressBar).update(progress=fraction)
        self.query_one("#loading").display = fraction < 1.0

    def show(self, session: Session) -> None:
        self.query_one("#loading").display = False
        result, config = session.result, session.config
        key_measures = [m for m in config.measures if m.key]
        counts = {r["borough"]: r for r in result.counts().iter_rows(named=True)}
        table = self.query_one("#overview-table", DataTable)
        cursor_key = self._current_borough(table)
        status = result.status.filter(pl.col("area_type") == "borough")
        cells: dict[str, dict[str, Text]] = {}
        for m in key_measures:
            series = headline_series(result, m.id)
            if series is None:
                continue
            rows = status.filter(
                (pl.col("measure") == m.id)
                & (pl.col("level") == series[0])
                & (pl.col("category") == series[1])
            )
            for r in rows.iter_rows(named=True):
                cells.setdefault(r["area"], {})[m.id] = state_cell(
                    r["state"], r["special_cause_type"]
                )
        rows, keys = [], []
        for borough in config.geography.boroughs:
            c = counts.get(borough.name, {})
            # a borough with nothing loaded has no count of concerns, not 0
            has_data = borough.name in session.boroughs_with_data
            total = c.get("concerns", 0) + c.get("improvements", 0) + c.get("neutral", 0)

            def count(n: int, style: str = "", has_data: bool = has_data) -> Text:
                return Text(str(n) if has_data else "–", style=style)

            rows.append(
                (
                    borough.bcu,
                    borough.name,
                    count(total, "bold"),
                    count(c.get("new", 0)),
                    count(c.get("concerns", 0), STATE_COLOUR["concern"]),
                    count(c.get("improvements", 0), STATE_COLOUR["improvement"]),
                    *[
                        cells.get(borough.name, {}).get(m.id, state_cell(None, available=False))
                        for m in key_measures
                    ],
                )
            )
            keys.append(borough.name)
        fill_table(
            table,
            [
                "BCU",
                "borough",
                "findings",
                "new",
                "concerns",
                "improvements",
                *(m.id for m in key_measures),
            ],
            rows,
            keys,
            labels=[
                "BCU",
                "Borough",
                "Findings",
                "New",
                "!",
                "✓",
                *(short_label(m.id, m.label) for m in key_measures),
            ],
        )
        self._apply_sort()
        boroughs = result.findings.filter(pl.col("area_type") == "borough")
        new = (boroughs["status"] == "new").sum()
        if cursor_key is not None:
            self._move_to(cursor_key)
        self.query_one("#overview-title", Static).update(
            plain(
                f"London, {month_name(session.scan_month)}: {boroughs.height} findings "
                f"({new} new) across {len(config.geography.boroughs)} boroughs · sorted by "
                f"{SORTS[self.sort_index]} (s) · Enter opens a borough"
            )
        )
        self.set_subtitle(f"London overview · {month_name(session.scan_month)}")

    def _current_borough(self, table: DataTable) -> str | None:
        if table.row_count == 0:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None

    def _move_to(self, borough: str) -> None:
        table = self.query_one("#overview-table", DataTable)
        with contextlib.suppress(KeyError, RowDoesNotExist):
            table.move_cursor(row=table.get_row_index(borough))

    def _apply_sort(self) -> None:
        table = self.query_one("#overview-table", DataTable)
        name = SORTS[self.sort_index]
        if name in ("findings", "new", "concerns", "improvements"):
            # DataTable passes the two cells as one tuple: (count Text, borough name Text);
            # boroughs without data ("–") go last
            table.sort(
                name,
                "borough",
                key=lambda cells: (
                    -int(cells[0].plain) if cells[0].plain.isdigit() else 1,
                    cells[1].plain,
                ),
            )
        elif name == "borough":
            table.sort("borough", key=lambda name: name.plain)
        else:
            table.sort("BCU", "borough", key=lambda cells: (cells[0].plain, cells[1].plain))

    def action_cycle_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        if self.session is not None:
            self.show(self.session)
            self.notify(f"Sorted by {SORTS[self.sort_index]}")

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = event.column_key.value
        if key in SORTS:
            self.sort_index = SORTS.index(key)
            if self.session is not None:
                self.show(self.session)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.cf_app.open_borough(event.row_key.value)

    def action_open_borough(self) -> None:
        table = self.query_one("#overview-table", DataTable)
        borough = self._current_borough(table)
        if borough:
            self.cf_app.open_borough(borough)
