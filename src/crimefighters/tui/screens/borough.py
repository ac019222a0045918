"""The area view: a borough's, a BCU's or London's meeting. What the last meeting agreed and
what happened since, this month's findings (one row per event, new first), the actions, the
priorities, serious violence, key processes, and the standing among peers and against London
(apart from this month's changes). A BCU adds its boroughs side by side and the month's
improvements ranked across them; London the same with its BCUs and every borough.

Each tab is a table (``crimefighters.tui.views``) with a panel under it for the highlighted
row. Only the tab in view is drawn; the others when they are opened. One screen shows one area
at a time and is re-aimed at another (``retarget``) rather than stacked.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Input, Static, TabbedContent, TabPane

from crimefighters.present import counted, month_name
from crimefighters.text_safety import clean_text
from crimefighters.tui.screens.base import SessionScreen
from crimefighters.tui.session import Session
from crimefighters.tui.views import SeriesRef, Table
from crimefighters.tui.views.areas import (
    AreaSeriesTarget,
    MembersTarget,
    area_title,
    improvements_table,
    member_areas,
    side_by_side_table,
)
from crimefighters.tui.views.findings import (
    Filters,
    FindingTarget,
    findings_table,
    tests_by_finding,
    tests_table,
)
from crimefighters.tui.views.meeting import (
    ActionTarget,
    FindingIdTarget,
    actions_table,
    finding_name,
    since_table,
)
from crimefighters.tui.views.series import (
    peers_table,
    priorities_table,
    processes_table,
    violence_table,
)
from crimefighters.tui.widgets.cells import LEGEND, STATE_COLOUR, fill_table, plain
from crimefighters.tui.widgets.footer import SteadyFooter

__all__ = ["BoroughScreen", "Filters", "SeriesRef"]

# (id, tab label); the number keys follow this order
TABS = (
    ("meeting", "Since last meeting"),
    ("findings", "Findings"),
    ("actions", "Actions"),
    ("priorities", "Priorities"),
    ("violence", "Violence"),
    ("processes", "Processes"),
    ("peers", "Standing"),  # among peers: rank of 32 (or 12), family, London's funnel
    ("areas", "Boroughs"),  # a BCU's boroughs, London's BCUs, side by side
    ("improvements", "Improved"),  # who improved: the month's improvements across the boroughs
)
FIRST_TAB = "meeting"
AREA_TABS = ("areas", "improvements")  # a BCU's and London's views only


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class BoroughScreen(SessionScreen):
    AUTO_FOCUS = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "enter", "Open", show=True),
        Binding("escape", "back", "Back", show=True),
        Binding("a", "add_action", "Action", show=True),
        Binding("g", "gold", "Gold Group", show=True),
        Binding("n", "note", "Note", show=True),
        Binding("A", "annotate", "Annotate month", show=True),
        Binding("t", "tests", "Tests", show=True),
        Binding("M", "record_meeting", "Record meeting", show=False),
        Binding("slash", "search", "Filter text", show=False, key_display="/"),
        Binding("c", "toggle_concerns", "Concerns only", show=False),
        Binding("p", "toggle_priorities", "Priorities only", show=False),
        Binding("f", "cycle_family", "Family", show=False),
        Binding("x", "clear_filters", "Clear filters", show=False),
        *[
            Binding(str(i + 1), f"tab('{tab}')", label, show=False)
            for i, (tab, label) in enumerate(TABS)
        ],
    ]

    def __init__(self, area: str, tab: str | None = None) -> None:
        super().__init__()
        self.borough = area  # the area in view: a borough, a BCU or London
        self.tables: dict[str, Table] = {}
        self._stale: set[str] = set()
        self._first_tab = tab or FIRST_TAB

    @property
    def area(self) -> str:
        return self.borough

    def retarget(self, area: str, tab: str | None = None) -> None:
        """Show another area on this screen (no second area screen on the stack), opening on
        what its last meeting agreed (or on ``tab``)."""
        self.borough = area
        self._shown = None
        self._first_tab = tab or FIRST_TAB
        if self.session is not None and self.is_mounted:
            self.show_session()

    def tab_shown(self, tab: str) -> bool:
        """Whether the area in view has this tab (its boroughs and who improved: a BCU and
        London only)."""
        if tab not in AREA_TABS:
            return True
        return self.session is not None and bool(member_areas(self.session.config, self.area))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="borough-title", classes="title")
        yield Input(placeholder="filter by text, Enter to apply, Escape to clear", id="search")
        with TabbedContent(initial=self._first_tab or FIRST_TAB, id="borough-tabs"):
            for i, (tab, label) in enumerate(TABS):
                with TabPane(f"{i + 1} {label}", id=tab):
                    yield Static("", id=f"{tab}-note", classes="pane-note")
                    # the table as tall as its rows (at most 60%), the panel under it the rest
                    yield DataTable(
                        id=f"{tab}-table", cursor_type="row", zebra_stripes=True, classes="short"
                    )
                    with VerticalScroll(id=f"{tab}-panel", classes="detail"):
                        yield Static("", id=f"{tab}-detail")
        yield Static(LEGEND, classes="legend")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        if self.session is not None:
            self.show_session()

    # --- drawing --------------------------------------------------------------------------

    @property
    def active_tab(self) -> str:
        return self.query_one("#borough-tabs", TabbedContent).active or FIRST_TAB

    def show(self, session: Session) -> None:
        self.tables.clear()
        config = session.config
        self.set_subtitle(f"{area_title(config, self.area)} · {month_name(session.scan_month)}")
        tabs = self.query_one("#borough-tabs", TabbedContent)
        self._area_tabs(tabs)
        if self._first_tab:
            tabs.active = self._first_tab if self.tab_shown(self._first_tab) else FIRST_TAB
            self._first_tab = ""
        elif not self.tab_shown(tabs.active or FIRST_TAB):
            tabs.active = FIRST_TAB
        if not session.has_data(self.area):
            self._no_data(session)
            return
        self._stale = {tab for tab, _ in TABS}
        self._title(session)
        self._fill(self.active_tab)
        self.current_table().focus()

    def _area_tabs(self, tabs: TabbedContent) -> None:
        """The side-by-side and who-improved tabs for a BCU and London; hidden for a borough."""
        assert self.session is not None
        config = self.session.config
        for tab in AREA_TABS:
            if self.tab_shown(tab):
                tabs.show_tab(tab)
            else:
                tabs.hide_tab(tab)
        word = "BCUs" if config.area_type(self.area) == "london" else "Boroughs"
        number = [t for t, _ in TABS].index("areas") + 1
        tabs.get_tab("areas").label = f"{number} {word}"

    def _title(self, session: Session) -> None:
        filters: Filters = self.cf_app.filters
        config = session.config
        everything = session.result.for_area(self.borough)
        counts = {
            a: (everything["assessment"] == a).sum() for a in ("concern", "improvement", "neutral")
        }
        new = (everything["status"] == "new").sum()
        members = member_areas(config, self.area)
        kind = config.area_type(self.area)
        if kind == "bcu":
            made_of = f" ({', '.join(members)})"
        elif kind == "london":
            made_of = f" ({len(config.borough_names())} boroughs in {len(members)} BCUs)"
        else:
            made_of = ""
        title = Text.assemble(
            plain(area_title(config, self.area), "bold"),
            plain(made_of),
            f", {month_name(session.scan_month)}: ",
            (_count(everything.height, "finding"), "bold"),
            f", {new} new",
            " · ",
            (_count(counts["concern"], "concern"), STATE_COLOUR["concern"]),
            ", ",
            (_count(counts["improvement"], "improvement"), STATE_COLOUR["improvement"]),
            f", {counts['neutral']} neutral" if counts["neutral"] else "",
        )
        if filters.describe() != "none":
            title.append(" · filters: ")
            title.append_text(plain(filters.describe()))
        problem = session.store_problem or self.cf_app.memory.problem
        if problem:
            title.append("\nMeeting store: ", STATE_COLOUR["concern"])
            title.append_text(plain(problem))
        self.query_one("#borough-title", Static).update(title)

    def _no_data(self, session: Session) -> None:
        """Nothing loaded for this area: say so, never '0 findings'."""
        loaded = len(session.boroughs_with_data)
        config = session.config
        kind = config.area_type(self.area)
        if kind == "borough":
            where = f" ({config.bcu_of(self.borough) or ''} BCU)"
        elif kind == "bcu":
            where = f" ({', '.join(config.boroughs_in_bcu(self.area))})"
        else:
            where = ""
        self.query_one("#borough-title", Static).update(
            Text.assemble(
                plain(area_title(config, self.area), "bold"),
                plain(where),
                f", {month_name(session.scan_month)}: ",
                (f"no data loaded for {clean_text(self.borough)}", "bold"),
                f" (the data loaded covers {counted(loaded, 'borough')})",
            )
        )
        self._stale = set()
        for tab, _ in TABS:
            table = Table(("State", "Item"))
            table.add("none", ("no data loaded", ""))
            self.tables[tab] = table
            fill_table(
                self.query_one(f"#{tab}-table", DataTable), table.columns, table.rows, table.keys
            )
            self.query_one(f"#{tab}-note", Static).display = False
            self.query_one(f"#{tab}-detail", Static).update(
                plain(f"No data loaded for {self.borough}: there is nothing to scan.")
            )

    def _build(self, tab: str, session: Session) -> Table:
        memory = self.cf_app.memory
        area, month = self.borough, session.scan_month
        if tab == "findings":
            return findings_table(session, area, self.cf_app.filters, memory.records(area))[0]
        if tab == "meeting":
            return since_table(
                session, area, memory.since(area, month), memory.gold(area), memory.describe()
            )
        if tab == "actions":
            return actions_table(
                session, area, memory.actions(area), memory.gold(area), memory.describe()
            )
        if tab == "priorities":
            return priorities_table(session, area, self.cf_app.filters.concerns_only)
        if tab == "violence":
            return violence_table(session, area)
        if tab == "processes":
            return processes_table(session, area)
        if tab == "areas":
            return side_by_side_table(session, area)
        if tab == "improvements":
            return improvements_table(session, area)
        return peers_table(session, area)

    def _fill(self, tab: str) -> None:
        session = self.session
        if session is None or tab not in self._stale:
            return
        self._stale.discard(tab)
        table = self._build(tab, session)
        self.tables[tab] = table
        widget = self.query_one(f"#{tab}-table", DataTable)
        fill_table(widget, table.columns, table.rows, table.keys, table.labels)
        note = self.query_one(f"#{tab}-note", Static)
        note.update(table.note if isinstance(table.note, Text) else plain(table.note))
        note.display = bool(table.note)
        widget.display = bool(table.rows)
        self._show_detail(tab, table.keys[0] if table.keys else None)

    def _show_detail(self, tab: str, key: str | None) -> None:
        table = self.tables.get(tab)
        if table is None:
            return
        detail = self.query_one(f"#{tab}-detail", Static)
        if key is None:
            detail.update(table.empty if isinstance(table.empty, Text) else plain(table.empty))
        elif key in table.details:
            detail.update(table.details[key])
        self.query_one(f"#{tab}-panel", VerticalScroll).scroll_home(animate=False)

    def redraw(self, *tabs: str) -> None:
        """After an edit: the tabs that show meeting memory, drawn again from the store."""
        if self.session is None:
            return
        keep = {tab: self.current_key(tab) for tab in tabs}
        self._stale |= set(tabs) or {tab for tab, _ in TABS}
        self._title(self.session)
        self._fill(self.active_tab)
        for tab, key in keep.items():
            if key and tab == self.active_tab:
                self.move_to(tab, key)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            self._fill(event.pane.id)
            self.query_one(f"#{event.pane.id}-table", DataTable).focus()

    # --- what the highlighted row is ------------------------------------------------------

    def current_table(self) -> DataTable:
        return self.query_one(f"#{self.active_tab}-table", DataTable)

    def current_key(self, tab: str | None = None) -> str | None:
        tab = tab or self.active_tab
        table = self.query_one(f"#{tab}-table", DataTable)
        if table.row_count == 0:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None

    def current_target(self) -> object | None:
        table = self.tables.get(self.active_tab)
        key = self.current_key()
        return table.targets.get(key) if table is not None and key else None

    def move_to(self, tab: str, key: str) -> None:
        table = self.query_one(f"#{tab}-table", DataTable)
        try:
            table.move_cursor(row=table.get_row_index(key))
        except Exception:
            return

    def finding_target(self) -> FindingTarget | None:
        """The finding the highlighted row is about (a finding, an action on one, an enduring
        finding), if it is a finding this month."""
        target = self.current_target()
        if isinstance(target, FindingTarget):
            return target
        finding_id = None
        if isinstance(target, FindingIdTarget) and target.current:
            finding_id = target.finding_id
        elif isinstance(target, ActionTarget):
            finding_id = target.action.finding_id
        if finding_id is None or self.session is None:
            return None
        for target in self._findings_targets().values():
            if target.finding_id == finding_id:
                return target
        return None

    def _findings_targets(self) -> dict[str, FindingTarget]:
        assert self.session is not None
        if "findings" not in self.tables or "findings" in self._stale:
            table = findings_table(
                self.session, self.borough, Filters(), self.cf_app.memory.records(self.borough)
            )[0]
        else:
            table = self.tables["findings"]
        return {k: t for k, t in table.targets.items() if isinstance(t, FindingTarget)}

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        tab = (event.data_table.id or "").removesuffix("-table")
        key = event.row_key.value if event.row_key is not None else None
        if key is not None and tab in self.tables:
            self._show_detail(tab, key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_enter()

    # --- actions --------------------------------------------------------------------------

    def action_enter(self) -> None:
        """Enter: chart a series; report an action done or dropped; go to a finding."""
        target = self.current_target()
        if isinstance(target, FindingTarget):
            self.cf_app.open_drill(self.borough, target.ref)
        elif isinstance(target, SeriesRef):
            self.cf_app.open_drill(self.borough, target)
        elif isinstance(target, AreaSeriesTarget):
            self.cf_app.open_drill(target.area, target.ref)
        elif isinstance(target, MembersTarget):
            self.cf_app.action_pick_area(members_of=self.area)
        elif isinstance(target, ActionTarget):
            self.action_close_action()
        elif isinstance(target, FindingIdTarget) and target.current:
            self.show_finding(target.finding_id)
        elif isinstance(target, FindingIdTarget):
            self.notify("Not a finding this month: nothing to open.", severity="warning")
        else:
            self.notify("No data loaded for this row: nothing to open.", severity="warning")

    def show_finding(self, finding_id: str) -> None:
        """The Findings tab, on this finding (filters cleared if they hide it)."""
        self.action_tab("findings")
        key = next(
            (k for k, t in self.tables["findings"].targets.items() if t.finding_id == finding_id),
            None,
        )
        if key is None and self.cf_app.filters.describe() != "none":
            self.action_clear_filters()
            self.action_tab("findings")
            key = next(
                (
                    k
                    for k, t in self.tables["findings"].targets.items()
                    if t.finding_id == finding_id
                ),
                None,
            )
        if key is not None:
            self.move_to("findings", key)

    def _needs_finding(self) -> FindingTarget | None:
        target = self.finding_target()
        if target is None:
            self.notify(
                "Choose a finding first (tab 2, or an enduring finding here).", severity="warning"
            )
        return target

    def _edit(self, dialog, *tabs: str, rescan: bool = False) -> None:
        def done(result: object) -> None:
            if result is None:
                return
            self.notify("Saved to the meeting store.", timeout=3)
            if rescan and self.session is not None:
                self.cf_app.rescan_month(self.session, self.session.scan_month)
            self.redraw(*tabs)

        self.app.push_screen(dialog, done)

    def action_add_action(self) -> None:
        from crimefighters.tui.screens.meeting_dialogs import action_dialog

        target = self._needs_finding()
        if target is None or self.session is None:
            return
        app = self.cf_app
        self._edit(
            action_dialog(
                app.memory, app.drafts, self.borough, self.session.scan_month,
                target.finding_id, target.finding["name"],
            ),
            "findings", "meeting", "actions",
        )  # fmt: skip

    def action_gold(self) -> None:
        from crimefighters.tui.screens.meeting_dialogs import gold_dialog

        if self.session is None:
            return
        target = self.current_target()
        action = target.action if isinstance(target, ActionTarget) else None
        finding = self.finding_target()
        if finding is None and action is None:
            self._needs_finding()
            return
        finding_id = finding.finding_id if finding else action.finding_id  # type: ignore[union-attr]
        name = finding.finding["name"] if finding else finding_name(self.session, finding_id)
        month = self.session.scan_month
        open_actions = [
            a
            for a in self.cf_app.memory.actions(self.borough)
            if a.finding_id == finding_id and a.status_at(month) == "open"
        ]
        app = self.cf_app
        self._edit(
            gold_dialog(app.memory, app.drafts, self.borough, month, finding_id, name, open_actions, action),
            "findings", "meeting", "actions",
        )  # fmt: skip

    def action_note(self) -> None:
        from crimefighters.tui.screens.meeting_dialogs import note_dialog

        target = self._needs_finding()
        if target is None or self.session is None:
            return
        app = self.cf_app
        self._edit(
            note_dialog(
                app.memory, app.drafts, self.borough, self.session.scan_month,
                target.finding_id, target.finding["name"],
            ),
            "findings",
        )  # fmt: skip

    def action_annotate(self) -> None:
        if self.session is None:
            return
        target = self.current_target()
        ref = target if isinstance(target, SeriesRef) else None
        if ref is None:
            finding = self.finding_target()
            ref = finding.ref if finding is not None else None
        if ref is None:
            self.notify("Choose a finding or a series to annotate.", severity="warning")
            return
        self._annotate(ref)

    def _annotate(self, ref: SeriesRef) -> None:
        from crimefighters.tui.screens.meeting_dialogs import annotate_dialog

        app, session = self.cf_app, self.session
        assert session is not None
        dialog = annotate_dialog(app.memory, app.drafts, self.borough, session.scan_month, ref)

        def done(result: object) -> None:
            if result is None:
                return
            excluded = bool(getattr(result, "exclude_from_limits", False))
            self.notify(
                "Annotated"
                + ("; scanning again without that month in the limits" if excluded else ""),
                timeout=3,
            )
            if excluded:
                app.rescan_month(session, session.scan_month)

        app.push_screen(dialog, done)

    def action_close_action(self) -> None:
        from crimefighters.tui.screens.meeting_dialogs import close_action_dialog

        target = self.current_target()
        if not isinstance(target, ActionTarget) or self.session is None:
            return
        month = self.session.scan_month
        action = target.action
        if action.status_at(month) != "open":
            self.notify(
                f"Action {action.id} is already {action.status_at(month)}.", severity="warning"
            )
            return
        app = self.cf_app
        self._edit(
            close_action_dialog(
                app.memory, app.drafts, action, month, finding_name(self.session, action.finding_id)
            ),
            "findings", "meeting", "actions",
        )  # fmt: skip

    def action_tests(self) -> None:
        from crimefighters.tui.screens.tests_dialog import FindingTestsDialog

        target = self.finding_target()
        if target is None or self.session is None:
            self._needs_finding()
            return
        tests = tests_by_finding(self.session, self.borough).get(target.finding_id, [])
        table = tests_table(self.session, target.finding, tests)
        title = Text.assemble(
            plain(target.finding["name"], "bold"),
            f" · {self.borough} · {len(tests)} test{'s' if len(tests) != 1 else ''} this month",
        )

        def chosen(ref: SeriesRef | None) -> None:
            if ref is not None:
                self.cf_app.open_drill(self.borough, ref)

        self.app.push_screen(FindingTestsDialog(title, table), chosen)

    def action_record_meeting(self) -> None:
        from crimefighters.tui.screens.meeting_dialogs import meeting_dialog

        if self.session is None:
            return
        app, month = self.cf_app, self.session.scan_month
        self._edit(
            meeting_dialog(
                app.memory, app.drafts, self.borough, month, app.memory.meeting(self.borough, month)
            ),
            "meeting",
        )

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.display:
            search.display = False
            return
        self.cf_app.go_back()

    def action_tab(self, tab: str) -> None:
        if not self.tab_shown(tab):
            self.notify(
                "A borough has no boroughs side by side, nor improvements ranked across "
                "boroughs: open its BCU or London for those (b).",
                severity="warning",
            )
            return
        self.query_one("#borough-tabs", TabbedContent).active = tab
        self._fill(tab)
        self.current_table().focus()

    def _refilter(self) -> None:
        if self.session is not None:
            self._stale |= {"findings", "priorities"}
            self._title(self.session)
            self._fill(self.active_tab)

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
        self.action_tab("findings")
        self._refilter()
