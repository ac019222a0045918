"""Borough view: this month's exceptions, the local priorities panel and key processes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Input, Static, TabbedContent, TabPane

from crimefighters.present import month_name
from crimefighters.text_safety import clean_text
from crimefighters.tui.screens.base import SessionScreen
from crimefighters.tui.session import Session, headline_series
from crimefighters.tui.widgets.cells import (
    LEGEND,
    assessment_cell,
    change_text,
    fill_table,
    plain,
    sparkline,
    state_cell,
    value_text,
)
from crimefighters.tui.widgets.footer import SteadyFooter

KEY_PROCESS_FAMILIES = ("response_times", "positive_outcomes", "victim_care", "public_confidence")
KEY_PROCESS_MEASURES = (
    "response_i_compliance",
    "response_s_compliance",
    "positive_outcome_rate",
    "vcop_updated",
    "victim_satisfaction",
    "pas_confidence",
)


@dataclass(frozen=True)
class SeriesRef:
    """One series a row points at, for the drill-down."""

    measure: str
    level: str
    category: str
    label: str


@dataclass
class Filters:
    family: str | None = None
    concerns_only: bool = False
    priorities_only: bool = False
    text: str = ""

    def describe(self) -> str:
        parts = []
        if self.family:
            parts.append(f"family {self.family}")
        if self.concerns_only:
            parts.append("concerns only")
        if self.priorities_only:
            parts.append("priorities only")
        if self.text:
            parts.append(f'text "{self.text}"')
        return ", ".join(parts) or "none"


EXCEPTION_COLUMNS = (
    "State",
    "Measure",
    "Test",
    "Value",
    "Baseline",
    "Change",
    "Score",
    "Level",
    "Reason",
)
PRIORITY_COLUMNS = (
    "Group",
    "Priority",
    "Latest",
    "Month vs LY",
    "12m vs LY",
    "Trend (12m)",
    "State",
    "Exc.",
)
PROCESS_COLUMNS = (
    "Key process",
    "Latest",
    "Target",
    "12m vs LY",
    "Trend (12m)",
    "State",
    "Assurance",
)
WINDOWS = {"1": "month", "3": "3m", "12": "12m", "fytd": "FYTD"}
RULE_LABELS = {
    "outside_limits": "SPC limits",
    "trend": "SPC trend",
    "two_of_three": "SPC 2 of 3",
    "shift": "SPC shift",
    "seasonal_z": "seasonal",
    "target_missed": "target missed",
    "target_met": "target met",
    "funnel_998": "peers 99.8%",
    "funnel_95": "peers 95%",
}


def test_label(method: str, rule: str, window: str) -> str:
    """Which test fired, short enough for a column; the full wording is in the evidence."""
    if rule in RULE_LABELS:
        return RULE_LABELS[rule]
    prefix = "vs LY" if method == "yoy" else "rate vs LY"
    return f"{prefix} {WINDOWS.get(window, window)}"


def filter_exceptions(
    exceptions: pl.DataFrame, filters: Filters, families: dict[str, str]
) -> pl.DataFrame:
    frame = exceptions
    if filters.family:
        frame = frame.filter(
            pl.col("measure").replace_strict(families, default="") == filters.family
        )
    if filters.concerns_only:
        frame = frame.filter(pl.col("assessment") == "concern")
    if filters.priorities_only:
        frame = frame.filter(pl.col("level") == "priority")
    if filters.text:
        needle = filters.text.lower()
        frame = frame.filter(
            pl.concat_str("measure_label", "category", "evidence", "rule", separator=" ")
            .str.to_lowercase()
            .str.contains(needle, literal=True)
        )
    return frame


class BoroughScreen(SessionScreen):
    AUTO_FOCUS = "#exceptions-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "drill", "Drill down", show=True),
        Binding("escape", "back", "Back", show=True),
        Binding("slash", "search", "Filter text", show=True, key_display="/"),
        Binding("c", "toggle_concerns", "Concerns only", show=True),
        Binding("p", "toggle_priorities", "Priorities only", show=False),
        Binding("f", "cycle_family", "Family", show=False),
        Binding("x", "clear_filters", "Clear filters", show=False),
        Binding("1", "tab('exceptions')", "Exceptions", show=False),
        Binding("2", "tab('priorities')", "Priorities", show=False),
        Binding("3", "tab('processes')", "Key processes", show=False),
    ]

    def __init__(self, borough: str) -> None:
        super().__init__()
        self.borough = borough
        self.refs: dict[str, SeriesRef] = {}
        self.evidence: dict[str, str] = {}

    def retarget(self, borough: str) -> None:
        """Show another borough on this screen (no second borough screen on the stack)."""
        self.borough = borough
        self._shown = None
        if self.session is not None and self.is_mounted:
            self.show_session()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="borough-title", classes="title")
        yield Input(placeholder="filter by text, Enter to apply, Escape to clear", id="search")
        with TabbedContent(initial="exceptions", id="borough-tabs"):
            with TabPane("Exceptions", id="exceptions"):
                yield DataTable(id="exceptions-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="evidence", classes="evidence")
            with TabPane("Priorities", id="priorities"):
                yield DataTable(id="priorities-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Key processes", id="processes"):
                yield DataTable(id="processes-table", cursor_type="row", zebra_stripes=True)
        yield Static(LEGEND, classes="legend")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        if self.session is not None:
            self.show_session()

    # --- drawing ------------------------------------------------------------------------

    def show(self, session: Session) -> None:
        self.refs.clear()
        self.evidence.clear()
        filters: Filters = self.cf_app.filters
        result = session.result
        bcu = session.config.bcu_of(self.borough) or ""
        heading = (plain(self.borough, "bold"), f" ({bcu} BCU), {month_name(session.scan_month)}: ")
        self.set_subtitle(f"{self.borough} · {month_name(session.scan_month)}")
        if self.borough not in session.boroughs_with_data:
            self._no_data(session, heading)
            return
        families = {m.id: m.family for m in session.config.measures}
        everything = result.for_borough(self.borough)
        shown = filter_exceptions(everything, filters, families)
        self._exceptions(shown)
        self._priorities(session)
        self._processes(session)
        concerns = (everything["assessment"] == "concern").sum()
        improvements = (everything["assessment"] == "improvement").sum()
        self.query_one("#borough-title", Static).update(
            Text.assemble(
                *heading,
                (f"{concerns} concerns", "bold #e8710a"),
                ", ",
                (f"{improvements} improvements", "bold #3b82f6"),
                f" · showing {shown.height} of {everything.height} · filters: ",
                plain(filters.describe()),
            )
        )

    def _no_data(self, session: Session, heading: tuple) -> None:
        """Nothing loaded for this borough: say so, never '0 concerns, no exceptions'."""
        loaded = len(session.boroughs_with_data)
        self.query_one("#borough-title", Static).update(
            Text.assemble(
                *heading,
                (f"no data loaded for {clean_text(self.borough)}", "bold"),
                f" (the data loaded covers {loaded} borough{'s' if loaded != 1 else ''})",
            )
        )
        for table_id, columns in (
            ("#exceptions-table", EXCEPTION_COLUMNS),
            ("#priorities-table", PRIORITY_COLUMNS),
            ("#processes-table", PROCESS_COLUMNS),
        ):
            fill_table(
                self.query_one(table_id, DataTable),
                columns,
                [["no data loaded", *[""] * (len(columns) - 1)]],
            )
        self.query_one("#evidence", Static).update(
            plain(f"No data loaded for {self.borough}: there is nothing to scan.")
        )

    def _exceptions(self, frame: pl.DataFrame) -> None:
        rows, keys = [], []
        for i, r in enumerate(frame.iter_rows(named=True)):
            key = f"x{i}"
            if r["measure"] == "recorded_crime":
                name = r["category"]
            elif r["category"] in ("All", ""):
                name = r["measure_label"]
            else:  # the category first: a long measure label cut it off at 30 columns
                name = f"{r['category']} ({r['measure_label']})"
            name = clean_text(name)
            self.refs[key] = SeriesRef(r["measure"], r["level"], r["category"], name)
            self.evidence[key] = r["evidence"]
            keys.append(key)
            rows.append(
                (
                    assessment_cell(r["assessment"], r["direction"]),
                    name if len(name) <= 30 else name[:29] + "…",
                    test_label(r["method"], r["rule"], r["window"]),
                    value_text(r["value"], r["kind"]),
                    value_text(r["baseline"], r["kind"])
                    if r["method"] != "peer"
                    else f"{r['baseline']:.2f}",
                    change_text(r["change"], r["change_pct"], r["kind"])
                    if r["method"] != "peer"
                    else "",
                    f"{r['score']:.1f}",
                    r["level"],
                    r["evidence"],
                )
            )
        # What fired comes straight after the name, so an 80-column screen shows it.
        fill_table(self.query_one("#exceptions-table", DataTable), EXCEPTION_COLUMNS, rows, keys)
        evidence = self.query_one("#evidence", Static)
        if frame.height == 0:
            evidence.update("No exceptions this month with these filters.")
        else:
            evidence.update(Text.assemble("Why: ", plain(self.evidence["x0"])))

    def _trend(self, session: Session, measure: str, level: str, category: str) -> str:
        points = session.result.points
        if points.height == 0:
            return ""
        values = points.filter(
            (pl.col("area") == self.borough)
            & (pl.col("measure") == measure)
            & (pl.col("level") == level)
            & (pl.col("category") == category)
        ).sort("month")["value"]
        return sparkline(values.to_list()[-12:])

    @staticmethod
    def _no_data_row(label: str) -> tuple:
        return (label[:40], "no data loaded", "", "", "", state_cell(None, available=False), "")

    def _priorities(self, session: Session) -> None:
        frame = session.result.priorities.filter(pl.col("borough") == self.borough).sort("order")
        if self.cf_app.filters.concerns_only:
            frame = frame.filter(pl.col("state") == "concern")
        groups = {"local": "Local", "high_harm": "High harm", "theme": "Theme"}
        rows, keys = [], []
        for i, r in enumerate(frame.iter_rows(named=True)):
            key = f"p{i}"
            keys.append(key)
            self.refs[key] = SeriesRef(
                r["measure"], r["level"], r["category"], clean_text(r["label"])
            )
            if not r["available"]:
                rows.append(
                    (
                        groups.get(r["group"], r["group"]),
                        r["label"][:30],
                        "no data loaded",
                        "",
                        "",
                        "",
                        state_cell(None, available=False),
                        "",
                    )
                )
                continue
            rows.append(
                (
                    groups.get(r["group"], r["group"]),
                    r["label"][:30],
                    value_text(r["value"], r["kind"]),
                    change_text(r["change_1"], r["change_pct_1"], r["kind"]),
                    change_text(r["change_12"], r["change_pct_12"], r["kind"]),
                    self._trend(session, r["measure"], r["level"], r["category"]),
                    state_cell(r["state"], r["special_cause_type"], words=True),
                    str(r["findings"]),
                )
            )
        fill_table(self.query_one("#priorities-table", DataTable), PRIORITY_COLUMNS, rows, keys)

    def _processes(self, session: Session) -> None:
        result = session.result
        known = {m.id: m for m in session.config.measures}
        rows, keys = [], []
        for i, measure_id in enumerate(m for m in KEY_PROCESS_MEASURES if m in known):
            measure = known[measure_id]
            keys.append(f"k{i}")
            series = headline_series(result, measure_id)
            if series is None:
                rows.append(self._no_data_row(measure.label))
                continue
            level, category = series
            match = (
                (pl.col("area") == self.borough)
                & (pl.col("measure") == measure_id)
                & (pl.col("level") == level)
                & (pl.col("category") == category)
            )
            status = result.status.filter(match)
            if status.height == 0:
                rows.append(self._no_data_row(measure.label))
                continue
            self.refs[f"k{i}"] = SeriesRef(measure_id, level, category, clean_text(measure.label))
            s = status.row(0, named=True)
            twelve = (
                result.comparisons.filter(match & (pl.col("window") == "12"))
                if result.comparisons.height
                else pl.DataFrame()
            )
            change = (
                change_text(twelve["change"][0], twelve["change_pct"][0], s["kind"])
                if twelve.height
                else ""
            )
            target = (
                value_text(s["target"], s["kind"], measure.unit) if s["target"] is not None else ""
            )
            rows.append(
                (
                    measure.label[:40],
                    value_text(s["value"], s["kind"], measure.unit),
                    target,
                    change,
                    self._trend(session, measure_id, level, category),
                    state_cell(s["state"], s["special_cause_type"], words=True),
                    (s["assurance"] or "").replace("_", " "),
                )
            )
        fill_table(self.query_one("#processes-table", DataTable), PROCESS_COLUMNS, rows, keys)

    # --- actions ------------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value if event.row_key is not None else None
        if key in self.evidence:
            self.query_one("#evidence", Static).update(
                Text.assemble("Why: ", plain(self.evidence[key]))
            )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._drill_key(event.row_key.value)

    def _drill_key(self, key: str | None) -> None:
        ref = self.refs.get(key or "")
        if ref is None:
            self.notify("No data loaded for this row: nothing to drill into.", severity="warning")
            return
        self.cf_app.open_drill(self.borough, ref)

    def current_table(self) -> DataTable:
        tab = self.query_one("#borough-tabs", TabbedContent).active
        return self.query_one(f"#{tab or 'exceptions'}-table", DataTable)

    def action_drill(self) -> None:
        table = self.current_table()
        if table.row_count:
            self._drill_key(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.display:
            search.display = False
            return
        self.cf_app.go_back()

    def action_tab(self, tab: str) -> None:
        self.query_one("#borough-tabs", TabbedContent).active = tab
        self.current_table().focus()

    def _refilter(self) -> None:
        if self.session is not None:
            self.show(self.session)

    def action_toggle_concerns(self) -> None:
        self.cf_app.filters.concerns_only = not self.cf_app.filters.concerns_only
        self._refilter()

    def action_toggle_priorities(self) -> None:
        self.cf_app.filters.priorities_only = not self.cf_app.filters.priorities_only
        self._refilter()

    def action_cycle_family(self) -> None:
        if self.session is None:
            return
        families = sorted({m.family for m in self.session.config.measures})
        options: list[str | None] = [None, *families]
        current = (
            options.index(self.cf_app.filters.family)
            if self.cf_app.filters.family in options
            else 0
        )
        self.cf_app.filters.family = options[(current + 1) % len(options)]
        self._refilter()
        self.notify(
            clean_text(f"Measure family: {self.cf_app.filters.family or 'all'}"), markup=False
        )

    def action_clear_filters(self) -> None:
        self.cf_app.filters = Filters()
        self.query_one("#search", Input).value = ""
        self._refilter()

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.value = self.cf_app.filters.text
        search.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.cf_app.filters.text = event.value.strip()
        event.input.display = False
        self.action_tab("exceptions")
        self._refilter()
