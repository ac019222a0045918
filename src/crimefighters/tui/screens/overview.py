"""London overview: London, each BCU and its boroughs, against the key measures.

The rows and their counts are the London overview matrix (``scan.overview.overview_matrix``,
as the HTML and XLSX exports show it); each cell is the state of the measure's headline series
(``overview_states``) in symbol and arrow. Sorting orders the rows and nothing else: by the
configured order (London, each BCU then its boroughs), by name, or by findings, new findings,
concerns or improvements (most first; London stays on top, areas without data go last).
"""

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

from crimefighters.present import month_name
from crimefighters.scan.overview import key_measures, overview_matrix, overview_states
from crimefighters.tui.screens.base import SessionScreen
from crimefighters.tui.session import Session
from crimefighters.tui.widgets.cells import LEGEND, STATE_COLOUR, fill_table, plain, state_cell
from crimefighters.tui.widgets.footer import SteadyFooter

# (sort, what the title calls it); a count sort puts the most first
SORTS = ("BCU", "area", "findings", "new", "concerns", "improvements")
COUNTS = ("findings", "new", "concerns", "improvements")
# which rows are shown (v): every area, the boroughs only, London and the BCUs only
VIEWS = ("all", "boroughs", "BCUs")


def area_label(area: str, area_type: str, indent: bool) -> Text:
    """'London' and 'Central South BCU' in bold; a borough indented under its BCU when the
    rows are in the configured order."""
    if area_type == "london":
        return plain(area, "bold")
    if area_type == "bcu":
        return plain(f"{area} BCU", "bold")
    return plain(f"  {area}" if indent else area)


class OverviewScreen(SessionScreen):
    AUTO_FOCUS = "#overview-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_area", "Open", show=True),
        Binding("s", "cycle_sort", "Sort", show=True),
        Binding("v", "cycle_view", "Boroughs only / BCUs only / all", show=False),
        Binding("w", "improvements", "Who improved", show=True),
        Binding("f", "sort('findings')", "Sort by findings", show=False),
        Binding("n", "sort('new')", "Sort by new findings", show=False),
        Binding("c", "sort('concerns')", "Sort by concerns", show=False),
        Binding("i", "sort('improvements')", "Sort by improvements", show=False),
        Binding("o", "sort('BCU')", "Sort in BCU order", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort_index = 0
        self.view_index = 0

    @property
    def sort(self) -> str:
        return SORTS[self.sort_index]

    @property
    def view(self) -> str:
        return VIEWS[self.view_index]

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

    def rows(self, session: Session) -> list[dict]:
        """The overview matrix's rows in view, in the order chosen, each with ``has_data``."""
        matrix = overview_matrix(session.result.findings, session.result.status, session.config)
        rows = [
            {**r, "findings": r["concerns"] + r["improvements"] + r["neutral"]}
            for r in matrix.iter_rows(named=True)
        ]
        for r in rows:
            r["has_data"] = session.has_data(r["area"])
        if self.view == "boroughs":
            rows = [r for r in rows if r["area_type"] == "borough"]
        elif self.view == "BCUs":
            rows = [r for r in rows if r["area_type"] != "borough"]
        if self.sort == "area":
            rows.sort(key=lambda r: (r["area_type"] != "london", r["area"]))
        elif self.sort in COUNTS:
            # London (the whole) stays on top; areas without data go last, never as 0
            rows.sort(
                key=lambda r: (
                    r["area_type"] != "london",
                    not r["has_data"],
                    -r[self.sort],
                    r["order"],
                )
            )
        return rows

    def show(self, session: Session) -> None:
        self.query_one("#loading").display = False
        config = session.config
        measures = key_measures(config)
        states = {
            (r["area"], r["measure"]): r
            for r in overview_states(session.result.status, config).iter_rows(named=True)
        }
        table = self.query_one("#overview-table", DataTable)
        cursor_key = self._current_area(table)
        indent = self.sort == "BCU" and self.view == "all"
        cells, keys = [], []
        for r in self.rows(session):

            def count(n: int, style: str = "", has_data: bool = r["has_data"]) -> Text:
                # an area with nothing loaded has no count of concerns, not 0
                return Text(str(n) if has_data else "–", style=style)

            bold = "bold" if r["area_type"] != "borough" else ""
            cells.append(
                (
                    # a BCU's row names it in the Area column: its BCU column stays empty
                    plain(r["bcu"] if r["area_type"] == "borough" else ""),
                    area_label(r["area"], r["area_type"], indent),
                    count(r["findings"], "bold"),
                    count(r["new"], bold),
                    count(r["concerns"], STATE_COLOUR["concern"]),
                    count(r["improvements"], STATE_COLOUR["improvement"]),
                    *[
                        state_cell(s["state"], s["special_cause_type"])
                        if (s := states.get((r["area"], m))) is not None
                        else state_cell(None, available=False)
                        for m, _ in measures
                    ],
                )
            )
            keys.append(r["area"])
        fill_table(
            table,
            ["bcu", "area", *COUNTS, *(m for m, _ in measures)],
            cells,
            keys,
            labels=["BCU", "Area", "Findings", "New", "!", "✓", *(h for _, h in measures)],
        )
        if cursor_key is not None:
            self._move_to(cursor_key)
        self.query_one("#overview-title", Static).update(self._title(session))
        self.set_subtitle(f"London overview · {month_name(session.scan_month)}")

    def _title(self, session: Session) -> Text:
        findings = session.result.findings
        by_kind = {
            kind: findings.filter(pl.col("area_type") == kind)
            for kind in ("borough", "bcu", "london")
        }
        boroughs = by_kind["borough"]
        new = (boroughs["status"] == "new").sum()
        config = session.config
        shown = {"all": "", "boroughs": " · boroughs only", "BCUs": " · London and BCUs only"}
        return plain(
            f"London, {month_name(session.scan_month)}: {boroughs.height} findings in the "
            f"{len(config.borough_names())} boroughs ({new} new), {by_kind['bcu'].height} in the "
            f"{len(config.bcu_names())} BCUs, {by_kind['london'].height} London-wide · sorted by "
            f"{self.sort} (s){shown[self.view]} · Enter opens an area"
        )

    def _current_area(self, table: DataTable) -> str | None:
        if table.row_count == 0:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None

    def _move_to(self, area: str) -> None:
        table = self.query_one("#overview-table", DataTable)
        with contextlib.suppress(KeyError, RowDoesNotExist):
            table.move_cursor(row=table.get_row_index(area))

    def _resort(self) -> None:
        if self.session is not None:
            self.show(self.session)

    def action_cycle_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self._resort()
        self.notify(f"Sorted by {self.sort}", timeout=2)

    def action_sort(self, name: str) -> None:
        self.sort_index = SORTS.index(name)
        self._resort()
        self.notify(f"Sorted by {self.sort}", timeout=2)

    def action_cycle_view(self) -> None:
        self.view_index = (self.view_index + 1) % len(VIEWS)
        self._resort()
        self.notify(f"Showing {self.view if self.view != 'all' else 'every area'}", timeout=2)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = event.column_key.value
        if key == "bcu":
            key = "BCU"
        if key in SORTS:
            self.sort_index = SORTS.index(key)
            self._resort()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.cf_app.open_area(event.row_key.value)

    def action_open_area(self) -> None:
        area = self._current_area(self.query_one("#overview-table", DataTable))
        if area:
            self.cf_app.open_area(area)

    # kept for the command palette and old key maps
    action_open_borough = action_open_area

    def action_improvements(self) -> None:
        """London's improvements of the month, ranked across the boroughs."""
        from crimefighters.config.models import LONDON

        self.cf_app.open_area(LONDON, tab="improvements")
