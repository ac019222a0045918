"""Drill-down on one series: the SPC chart, the comparison windows, what it is made of, and
the same measure for the other boroughs of the BCU and London. All frames come from
``crimefighters.scan.drill``."""

from __future__ import annotations

from typing import ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from crimefighters.present import month_name
from crimefighters.scan import drill
from crimefighters.tui.screens.base import SessionScreen
from crimefighters.tui.screens.borough import SeriesRef
from crimefighters.tui.session import Session
from crimefighters.tui.widgets.cells import change_text, p_text, state_cell, value_text
from crimefighters.tui.widgets.spc_chart import SpcChart

WINDOW_LABELS = {"1": "Month", "3": "3 months", "12": "12 months", "fytd": "FYTD"}


class DrillScreen(SessionScreen):
    AUTO_FOCUS = "#windows-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", show=True),
        Binding("t", "thresholds", "Thresholds", show=True),
        Binding("1", "tab('windows')", "Windows", show=False),
        Binding("2", "tab('breakdown')", "Breakdown", show=False),
        Binding("3", "tab('wards')", "Wards", show=False),
        Binding("4", "tab('areas')", "Areas", show=False),
    ]

    def __init__(self, borough: str, ref: SeriesRef) -> None:
        super().__init__(id="drill")
        self.borough = borough
        self.ref = ref
        # Tabs filled lazily: only the visible one is built when the series changes.
        self._stale: set[str] = set()

    def retarget(self, borough: str, ref: SeriesRef) -> None:
        """Show another series on this (already mounted) screen: cheaper than a new screen."""
        self.borough = borough
        self.ref = ref
        self._shown = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="drill-title", classes="title")
        yield SpcChart(self._points(), self._chart_title(), id="chart")
        with TabbedContent(initial="windows", id="drill-tabs"):
            with TabPane("Windows vs last year", id="windows"):
                yield DataTable(id="windows-table", cursor_type="row")
            with TabPane("Breakdown", id="breakdown"):
                yield DataTable(id="breakdown-table", cursor_type="row")
            with TabPane("Wards", id="wards"):
                yield DataTable(id="wards-table", cursor_type="row")
            with TabPane("BCU and London", id="areas"):
                yield DataTable(id="areas-table", cursor_type="row")
        yield Footer()

    def _points(self) -> pl.DataFrame:
        session = self.session
        if session is None:
            return pl.DataFrame()
        return drill.series_points(
            session.result, self.borough, self.ref.measure, self.ref.level, self.ref.category
        )

    def _chart_title(self) -> str:
        return f"{self.ref.label}, {self.borough}: X = concern, O = improvement, N = neutral"

    def on_mount(self) -> None:
        if self.session is not None:
            self.show_session()

    def show(self, session: Session) -> None:
        chart = self.query_one("#chart", SpcChart)
        points = self._points()
        if chart.points is not points:
            chart.points = points
            chart.title = self._chart_title()
            chart._draw()
            chart.refresh()
        measure = session.config.measure(self.ref.measure)
        status = session.result.status.filter(
            (pl.col("area") == self.borough)
            & (pl.col("measure") == self.ref.measure)
            & (pl.col("level") == self.ref.level)
            & (pl.col("category") == self.ref.category)
        )
        if status.height:
            s = status.row(0, named=True)
            trial = (
                "; trial limits"
                if (s.get("group_months") or 99) < session.config.scan.spc.min_points
                else ""
            )
            headline = (
                f"{value_text(s['value'], s['kind'], measure.unit)} in {month_name(session.scan_month)} · mean "
                f"{value_text(s['mean'], s['kind'], measure.unit)}, limits {value_text(s['lpl'], s['kind'], measure.unit)} to "
                f"{value_text(s['upl'], s['kind'], measure.unit)}{trial}"
            )
            state = state_cell(s["state"], s["special_cause_type"], words=True)
        else:
            headline, state = "no data loaded for this series", state_cell(None, available=False)
        self.query_one("#drill-title", Static).update(
            Text.assemble(
                (self.ref.label, "bold"),
                f" ({self.ref.level}) · {self.borough} · ",
                state,
                f" · {headline}",
            )
        )
        self._stale = {"windows", "breakdown", "wards", "areas"}
        self._fill(self.query_one("#drill-tabs", TabbedContent).active or "windows")
        self.sub_title = f"{self.borough} · {self.ref.label}"

    def _fill(self, tab: str) -> None:
        session = self.session
        if session is None or tab not in self._stale:
            return
        self._stale.discard(tab)
        {"windows": self._windows, "breakdown": self._breakdown, "wards": self._wards, "areas": self._areas}[tab](session)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            self._fill(event.pane.id)

    def _windows(self, session: Session) -> None:
        table = self.query_one("#windows-table", DataTable)
        table.clear(columns=True)
        for label in ("Window", "This year", "Last year", "Change", "p-value", "Flagged", "Note"):
            table.add_column(label, key=label)
        frame = drill.comparison_windows(
            session.result, self.borough, self.ref.measure, self.ref.level, self.ref.category
        )
        if frame.height == 0:
            table.add_row("no comparison for this series", "", "", "", "", "", "")
            return
        for r in frame.iter_rows(named=True):
            table.add_row(
                WINDOW_LABELS.get(r["window"], r["window"]),
                value_text(r["current"], r["kind"]),
                value_text(r["previous"], r["kind"]),
                change_text(r["change"], r["change_pct"], r["kind"]),
                p_text(r["p_value"]),
                "! flagged" if r["flagged"] else "",
                r["break_note"] or ("provisional month included" if r["provisional"] else ""),
            )

    def _window_table(
        self, table: DataTable, frame: pl.DataFrame, name_columns: list[str], empty: str
    ) -> None:
        table.clear(columns=True)
        for label in (*name_columns, "This month", "Last 12m", "Previous 12m", "Change"):
            table.add_column(label, key=label)
        if frame.height == 0:
            table.add_row(empty, *[""] * (len(name_columns) + 3))
            return
        for r in frame.iter_rows(named=True):
            names = [str(r.get(c.lower().replace(" ", "_")) or "") for c in name_columns]
            table.add_row(
                *names,
                value_text(r["this_month"], "count"),
                value_text(r["last_12"], "count"),
                value_text(r["previous_12"], "count"),
                change_text(r["change"], r["change_pct"], "count"),
            )

    def _breakdown(self, session: Session) -> None:
        frame = drill.breakdown(
            session.dataset.observations,
            session.config,
            self.borough,
            self.ref.measure,
            self.ref.level,
            self.ref.category,
            session.scan_month,
        )
        self._window_table(
            self.query_one("#breakdown-table", DataTable),
            frame,
            ["Category_group", "Category"],
            "no breakdown: no data loaded",
        )

    def _wards(self, session: Session) -> None:
        frame = drill.ward_breakdown(
            session.dataset.wards,
            session.config,
            self.borough,
            self.ref.measure,
            self.ref.level,
            self.ref.category,
            session.scan_month,
        )
        self._window_table(
            self.query_one("#wards-table", DataTable), frame, ["Ward"], "no ward data loaded"
        )

    def _areas(self, session: Session) -> None:
        table = self.query_one("#areas-table", DataTable)
        table.clear(columns=True)
        for label in ("Area", "Latest", "State", "Last 12m", "12m change", "p-value"):
            table.add_column(label, key=label)
        frame = drill.area_comparison(
            session.result,
            session.config,
            self.borough,
            self.ref.measure,
            self.ref.level,
            self.ref.category,
        )
        if frame.height == 0:
            table.add_row("no data loaded", "", "", "", "", "")
            return
        for r in frame.iter_rows(named=True):
            name = r["area"] + (" (this borough)" if r["area"] == self.borough else "")
            table.add_row(
                name,
                value_text(r["value"], r["kind"]),
                state_cell(r["state"], None, words=True),
                value_text(r.get("last_12"), r["kind"]),
                change_text(r.get("change_12"), r.get("change_pct_12"), r["kind"]),
                p_text(r.get("p_value_12")),
            )

    def action_back(self) -> None:
        self.cf_app.go_back()

    def action_tab(self, tab: str) -> None:
        self.query_one("#drill-tabs", TabbedContent).active = tab

    def action_thresholds(self) -> None:
        self.cf_app.open_thresholds(self.ref.measure)
