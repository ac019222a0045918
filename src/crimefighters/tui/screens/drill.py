"""Drill-down on one series: the SPC chart, the comparison windows, what it is made of, and
the same measure for the other boroughs of the BCU and London. All frames come from
``crimefighters.scan.drill``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import ClassVar

import polars as pl
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from crimefighters.config.models import AREA_WORDS
from crimefighters.meeting import Series
from crimefighters.present import month_name, window_label
from crimefighters.scan import drill
from crimefighters.scan.series import month_add
from crimefighters.text_safety import clean_text
from crimefighters.tui.screens.base import SessionScreen
from crimefighters.tui.session import Session
from crimefighters.tui.views import SeriesRef
from crimefighters.tui.views.areas import area_title
from crimefighters.tui.widgets.cells import (
    change_text,
    fill_table,
    p_text,
    plain,
    state_cell,
    value_text,
)
from crimefighters.tui.widgets.footer import SteadyFooter
from crimefighters.tui.widgets.spc_chart import SpcChart


class DrillScreen(SessionScreen):
    AUTO_FOCUS = "#windows-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", show=True),
        Binding("t", "thresholds", "Thresholds", show=True),
        Binding("A", "annotate", "Annotate month", show=True),
        Binding("1", "tab('windows')", "Windows", show=False),
        Binding("2", "tab('breakdown')", "Breakdown", show=False),
        Binding("3", "tab('wards')", "Wards", show=False),
        Binding("4", "tab('areas')", "Areas", show=False),
    ]

    def __init__(self, borough: str, ref: SeriesRef) -> None:
        super().__init__()
        self.borough = borough
        self.ref = ref
        # Tabs filled lazily: only the visible one is built when the series changes.
        self._stale: set[str] = set()
        self._annotations: list = []

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual restyles every widget of a screen it pushes; this installed screen keeps its
        # styles while away, unless the theme changed (then Screen's handler, run after this
        # one, restyles it). That restyle was a third of a drill-down's time.
        if getattr(self, "_styled_theme", None) == self.app.theme:
            event.refresh_styles = False
        self._styled_theme = self.app.theme

    def retarget(self, borough: str, ref: SeriesRef) -> None:
        """Show another series on this (already mounted) screen: cheaper than a new screen."""
        self.borough = borough
        self.ref = ref
        self._shown = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="drill-title", classes="title")
        yield SpcChart(self._points(), self._chart_title(), id="chart")
        yield Static("", id="chart-notes")
        with TabbedContent(initial="windows", id="drill-tabs"):
            with TabPane("Windows vs last year", id="windows"):
                yield DataTable(id="windows-table", cursor_type="row")
            with TabPane("Breakdown", id="breakdown"):
                yield Static("", id="breakdown-note", classes="muted")
                yield DataTable(id="breakdown-table", cursor_type="row")
            with TabPane("Wards", id="wards"):
                yield Static("", id="wards-note", classes="muted")
                yield DataTable(id="wards-table", cursor_type="row")
            with TabPane("BCU and London", id="areas"):
                yield DataTable(id="areas-table", cursor_type="row")
        yield SteadyFooter()

    def _points(self) -> pl.DataFrame:
        session = self.session
        if session is None:
            return pl.DataFrame()
        return drill.series_points(
            session.result, self.borough, self.ref.measure, self.ref.level, self.ref.category
        )

    def _chart_title(self) -> str:
        # plotext draws the title into ANSI text: nothing from the data may act as a code.
        # (It drops a title wider than the chart: the meeting's marks are explained below it.)
        return clean_text(
            f"{self.ref.label}, {self._area_title()}: X = concern, O = improvement, N = neutral"
        )

    def _area_title(self) -> str:
        session = self.session
        return area_title(session.config, self.borough) if session is not None else self.borough

    @property
    def series(self) -> Series:
        return Series(self.borough, self.ref.measure, self.ref.level, self.ref.category)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        if self.session is not None:
            self.show_session()

    def show(self, session: Session) -> None:
        chart = self.query_one("#chart", SpcChart)
        points = self._points()
        self._annotations = self.cf_app.memory.annotations(self.series)
        chart.points = points
        chart.annotations = [(a.month, a.exclude_from_limits) for a in self._annotations]
        chart.title = self._chart_title()
        chart._draw()
        chart.refresh()
        self._chart_notes()
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
                plain(self.ref.label, "bold"),
                f" ({self.ref.level}) · ",
                plain(self._area_title()),
                " · ",
                state,
                f" · {headline}",
            )
        )
        self._stale = {"windows", "breakdown", "wards", "areas"}
        self._fill(self.query_one("#drill-tabs", TabbedContent).active or "windows")
        self.set_subtitle(f"{self._area_title()} · {self.ref.label}")

    def _chart_notes(self) -> None:
        """The meeting's notes on this series' months, under the chart (typed text: escaped)."""
        notes = self.query_one("#chart-notes", Static)
        if not self._annotations:
            notes.display = False
            return
        excluded = any(a.exclude_from_limits for a in self._annotations)
        text = Text(
            "Notes (| on the chart" + ("; E = left out of the limits" if excluded else "") + "): ",
            style="bold",
        )
        for i, a in enumerate(self._annotations):
            if i:
                text.append(" · ")
            text.append(f"{a.month:%b %Y} ")
            text.append_text(plain(a.text))
            if a.exclude_from_limits:
                text.append(" (left out of the limits)", style="italic")
        notes.update(text)
        notes.display = True

    def action_annotate(self) -> None:
        from crimefighters.tui.screens.meeting_dialogs import annotate_dialog

        session = self.session
        if session is None:
            return
        app = self.cf_app
        dialog = annotate_dialog(app.memory, app.drafts, self.borough, session.scan_month, self.ref)

        def done(result: object) -> None:
            if result is None:
                return
            if getattr(result, "exclude_from_limits", False):
                self.notify("Annotated; scanning again without that month in the limits", timeout=3)
                app.rescan_month(session, session.scan_month)
            else:
                self.notify("Annotated", timeout=3)
            self._shown = None
            if self.is_current:
                self.show_session()

        app.push_screen(dialog, done)

    def _fill(self, tab: str) -> None:
        session = self.session
        if session is None or tab not in self._stale:
            return
        self._stale.discard(tab)
        {
            "windows": self._windows,
            "breakdown": self._breakdown,
            "wards": self._wards,
            "areas": self._areas,
        }[tab](session)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            self._fill(event.pane.id)

    def _windows(self, session: Session) -> None:
        columns = ("Window", "This year", "Last year", "Change", "p-value", "Flagged", "Note")
        frame = drill.comparison_windows(
            session.result, self.borough, self.ref.measure, self.ref.level, self.ref.category
        )
        rows = [
            (
                window_label(r["window"])[:1].upper() + window_label(r["window"])[1:],
                value_text(r["current"], r["kind"]),
                value_text(r["previous"], r["kind"]),
                change_text(r["change"], r["change_pct"], r["kind"]),
                p_text(r["p_value"]),
                "! flagged" if r["flagged"] else "",
                r["break_note"] or ("provisional month included" if r["provisional"] else ""),
            )
            for r in frame.iter_rows(named=True)
        ] or [("no comparison for this series", "", "", "", "", "", "")]
        fill_table(self.query_one("#windows-table", DataTable), columns, rows)

    def _window_table(
        self,
        table: DataTable,
        frame: pl.DataFrame,
        name_columns: list[str],
        empty: str,
        month_label: str = "This month",
        with_last_12: bool = True,
        with_previous: bool = True,
    ) -> None:
        """Windows the data does not cover in full are left blank, never summed short."""
        columns = (*name_columns, month_label, "Last 12m", "Previous 12m", "Change")
        rows = [
            (
                *[str(r.get(c.lower().replace(" ", "_")) or "") for c in name_columns],
                value_text(r["this_month"], "count"),
                value_text(r["last_12"], "count") if with_last_12 else "",
                value_text(r["previous_12"], "count") if with_previous else "",
                change_text(r["change"], r["change_pct"], "count") if with_previous else "",
            )
            for r in frame.iter_rows(named=True)
        ] or [(empty, *[""] * (len(name_columns) + 3))]
        fill_table(table, columns, rows)

    def _breakdown(self, session: Session) -> None:
        self._windows_of(
            session,
            "breakdown",
            session.data_months(self.borough, self.ref.measure),
            "data",
            lambda as_of: drill.breakdown(
                session.dataset.observations,
                session.config,
                self.borough,
                self.ref.measure,
                self.ref.level,
                self.ref.category,
                as_of,
            ),
            ["Category_group", "Category"],
            "no breakdown: no data loaded",
        )

    def _wards(self, session: Session) -> None:
        self._windows_of(
            session,
            "wards",
            session.ward_months(self.borough),
            "Ward data",
            lambda as_of: drill.ward_breakdown(
                session.dataset.wards,
                session.config,
                self.borough,
                self.ref.measure,
                self.ref.level,
                self.ref.category,
                as_of,
            ),
            ["Ward"],
            "no ward data loaded",
        )

    def _windows_of(
        self,
        session: Session,
        tab: str,
        span: tuple[date, date] | None,
        what: str,
        frame_for: Callable[[date], pl.DataFrame],
        name_columns: list[str],
        empty: str,
    ) -> None:
        """A month and the 12-month windows before it, like with like: to the last month of
        the data when it ends before the scan month (a month past its end is not a month of
        0), and each 12-month window only when the data covers all of it; a note says so."""
        note = self.query_one(f"#{tab}-note", Static)
        table = self.query_one(f"#{tab}-table", DataTable)
        what = what[:1].upper() + what[1:]
        if span is None:
            note.display = False
            self._window_table(table, pl.DataFrame(), name_columns, empty)
            return
        first, last = span
        as_of = min(session.scan_month, last)
        if as_of < first:
            note.update(
                plain(
                    f"{what} starts {month_name(first)}, after {month_name(as_of)}: nothing to "
                    "show for this month."
                )
            )
            note.display = True
            self._window_table(table, pl.DataFrame(), name_columns, "no data for this month")
            return
        with_last_12 = first <= month_add(as_of, -11)
        with_previous = first <= month_add(as_of, -23)
        notes = []
        if as_of < session.scan_month:
            notes.append(
                f"{what} ends {month_name(as_of)}: shown to {month_name(as_of)} "
                f"(the scan month is {month_name(session.scan_month)})."
            )
        if not with_previous:
            shown = "12 months with the 12 before" if with_last_12 else "12-month totals"
            notes.append(f"{what} starts {month_name(first)}: too short for {shown}.")
        note.update(plain(" ".join(notes)))
        note.display = bool(notes)
        label = "This month" if as_of == session.scan_month else f"{as_of:%b %Y}"
        self._window_table(
            table,
            frame_for(as_of),
            name_columns,
            f"no {what.lower()} for this series",
            label,
            with_last_12,
            with_previous,
        )

    def _areas(self, session: Session) -> None:
        columns = ("Area", "Latest", "State", "Last 12m", "12m change", "p-value")
        frame = drill.area_comparison(
            session.result,
            session.config,
            self.borough,
            self.ref.measure,
            self.ref.level,
            self.ref.category,
        )
        kind = session.config.area_type(self.borough)
        this = f" (this {AREA_WORDS[kind]})" if kind != "london" else ""
        rows = [
            (
                area_title(session.config, r["area"]) + (this if r["area"] == self.borough else ""),
                value_text(r["value"], r["kind"]),
                state_cell(r["state"], None, words=True),
                value_text(r.get("last_12"), r["kind"]),
                change_text(r.get("change_12"), r.get("change_pct_12"), r["kind"]),
                p_text(r.get("p_value_12")),
            )
            for r in frame.iter_rows(named=True)
        ] or [("no data loaded", "", "", "", "", "")]
        fill_table(self.query_one("#areas-table", DataTable), columns, rows)

    def action_back(self) -> None:
        self.cf_app.go_back()

    def action_tab(self, tab: str) -> None:
        self.query_one("#drill-tabs", TabbedContent).active = tab

    def action_thresholds(self) -> None:
        self.cf_app.open_thresholds(self.ref.measure)
