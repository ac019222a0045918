"""The CrimeFighters meeting-room application.

Slow jobs (load + scan, rescan, configuration reload, export, fetch) each run in one thread
worker and report back with a ``Message``; ``on_worker_state_changed`` is the one place a
worker's error becomes a dialog (a ``CrimefightersError`` shows the text the CLI would print).
Every failure keeps the last good session on screen.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.worker import Worker, WorkerState

from crimefighters.config.models import AREA_KINDS, LONDON
from crimefighters.data.synthetic import LABEL as SYNTHETIC_LABEL
from crimefighters.errors import CrimefightersError
from crimefighters.present import month_name
from crimefighters.text_safety import clean_lines, clean_text
from crimefighters.tui.commands import CrimefightersCommands
from crimefighters.tui.drafts import Drafts
from crimefighters.tui.memory import MeetingMemory
from crimefighters.tui.screens.base import SessionScreen
from crimefighters.tui.screens.borough import BoroughScreen, Filters, SeriesRef
from crimefighters.tui.screens.dialogs import ErrorDialog, PickerDialog
from crimefighters.tui.screens.drill import DrillScreen
from crimefighters.tui.screens.overview import OverviewScreen
from crimefighters.tui.screens.thresholds import ThresholdScreen
from crimefighters.tui.session import Session, load_session, reload_config, rescan
from crimefighters.tui.themes import THEMES
from crimefighters.tui.views.areas import area_title, member_areas

CSS = """
.title { padding: 0 1; background: $panel; color: $foreground; height: auto; }
.subtitle { padding: 0 1; text-style: bold; height: 1; }
.legend { padding: 0 1; color: $text-muted; height: 1; }
.evidence { padding: 0 1; height: auto; max-height: 4; background: $surface; border-top: solid $primary; }
.muted { color: $text-muted; }
DataTable { height: 1fr; }
.pane-note { padding: 0 1; height: auto; }
DataTable.short { height: auto; max-height: 60%; }
.detail { height: 1fr; padding: 0 1; background: $surface; border-top: solid $primary; }
#chart-notes { padding: 0 1; height: auto; max-height: 4; color: $text-muted; }
FormDialog, FindingTestsDialog { align: center middle; }
/* forms fit an 80x24 terminal: one line a field */
FormDialog #dialog { border: thick $primary; height: auto; padding: 0 1; }
FormDialog #form-intro { margin: 0 0 1 0; }
FormDialog .field { height: auto; margin: 0 0 1 0; }
FormDialog .field Label { width: 20; }
FormDialog Input { border: none; height: 1; width: 1fr; padding: 0 1; background: $boost; }
FormDialog Input:focus { background: $primary 30%; }
FormDialog Checkbox, FormDialog RadioSet { border: none; padding: 0; height: auto; width: 1fr; background: transparent; }
FormDialog #form-buttons { height: 1; }
FormDialog #form-buttons Button { height: 1; min-width: 12; border: none; margin: 0 2 0 0; }
FormDialog .message { color: $error; height: auto; }
FormDialog .restored { color: $warning; }
FindingTestsDialog #dialog { width: 95%; max-width: 160; height: 90%; max-height: 90%; border: thick $primary; }
FindingTestsDialog DataTable { height: auto; max-height: 60%; }
#tests-panel { height: 1fr; border-top: solid $primary; }
#loading { height: auto; padding: 1 2; }
#loading LoadingIndicator { height: 3; }
#search { margin: 0 1; }
TabbedContent { height: 1fr; }
TabbedContent ContentSwitcher { height: 1fr; }
TabPane { height: 1fr; padding: 0; }
#chart { height: 1fr; min-height: 8; }
#drill-tabs { height: 1fr; }
#effect-table { height: auto; max-height: 30%; }
.definitions { padding: 0 1; height: auto; max-height: 25%; overflow-y: auto; background: $surface; }
ErrorDialog, PickerDialog { align: center middle; }
#dialog { width: 80%; max-width: 100; height: auto; max-height: 90%; padding: 1 2; border: thick $error; background: $surface; }
PickerDialog #dialog { border: thick $primary; }
#picker-list { height: auto; max-height: 20; }
#dialog-message { margin: 1 0; }
/* invented numbers: the header says so in words, and in a colour no real data gets */
CrimefightersApp.-synthetic Header { background: $error-darken-2; color: $text; }
"""


class SessionReady(Message):
    """A new session from a worker; ``generation`` says which request it answers (a thread
    cannot be stopped, so a superseded scan may still report: it is then ignored)."""

    def __init__(self, session: Session, note: str, generation: int = 0) -> None:
        super().__init__()
        self.session = session
        self.note = note
        self.generation = generation


class Progress(Message):
    def __init__(self, text: str, fraction: float) -> None:
        super().__init__()
        self.text = text
        self.fraction = fraction


class ExportDone(Message):
    def __init__(self, paths: list[Path], how: str) -> None:
        super().__init__()
        self.paths = paths
        self.how = how


class FetchDone(Message):
    def __init__(self, summary: str, data_dir: Path | None) -> None:
        super().__init__()
        self.summary = summary
        self.data_dir = data_dir


class CrimefightersApp(App):
    TITLE = "CrimeFighters"
    CSS = CSS
    COMMANDS = App.COMMANDS | {CrimefightersCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "keys", "Keys", key_display="?"),
        Binding("b", "pick_area", "Area"),
        Binding("m", "pick_month", "Month"),
        Binding("left_square_bracket", "step_month(-1)", "Prev month", show=False, key_display="["),
        Binding("right_square_bracket", "step_month(1)", "Next month", show=False, key_display="]"),
        Binding("T", "thresholds", "Thresholds", show=False),
        Binding("r", "reload_config", "Reload config"),
        Binding("e", "export", "Export"),
        Binding("F", "fetch", "Fetch", show=False),
        Binding("d", "toggle_theme", "Light/dark", show=False),
        Binding("q", "quit", "Quit", show=False),
    ]

    def __init__(
        self,
        config_path: str | None = None,
        data_paths: list[Path] | None = None,
        month: date | None = None,
        borough: str | None = None,
        export_dir: Path | None = None,
        preloaded: Session | None = None,
        store: Path | None = None,
        drafts_dir: Path | None = None,
        user: str | None = None,
        strict: bool = False,
        area: str | None = None,
    ) -> None:
        super().__init__()
        from crimefighters.paths import default_sample_dir

        self.config_path = config_path
        self.data_paths = list(data_paths or [default_sample_dir()])
        self.start_month = month
        self.strict = strict
        # the area to open on (--area, or --borough: the same option): any spelling
        self.start_area = area or borough
        self.export_dir = Path(export_dir) if export_dir else Path.cwd() / "briefings"
        self.session: Session | None = None
        self.filters = Filters()
        self._preloaded = preloaded
        self.last_export: list[Path] = []
        self._generation = 0  # of the latest session request; older answers are dropped
        self.busy = ""  # what a session job is doing, shown in the header at once
        # the meeting store: --store, else as the configuration says; opened on first use
        self.store = Path(store) if store is not None else (preloaded.store if preloaded else None)
        if preloaded is not None and preloaded.store != self.store:
            self._preloaded = replace(preloaded, store=self.store)
        self.user = user
        self._memory: MeetingMemory | None = None
        self.drafts = Drafts(drafts_dir)

    @property
    def memory(self) -> MeetingMemory:
        """The meeting store as the configuration in use finds it (never created by reading)."""
        loaded = self.session.loaded if self.session is not None else None
        if self._memory is None or (loaded is not None and self._memory.loaded is not loaded):
            if self._memory is not None:
                self._memory.close()
            if loaded is None:
                from crimefighters.config import load_config

                loaded = load_config(self.config_path)
            self._memory = MeetingMemory(self.store, loaded, self.user)
        return self._memory

    def on_unmount(self) -> None:
        if self._memory is not None:
            self._memory.close()

    # --- start-up ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        for theme in THEMES:
            self.register_theme(theme)
        self.theme = "crimefighters-dark"
        self.push_screen(OverviewScreen())
        if self._preloaded is not None:
            self.post_message(SessionReady(self._preloaded, "loaded"))
        else:
            self.load()

    @property
    def overview(self) -> OverviewScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, OverviewScreen):
                return screen
        return None

    # --- workers ----------------------------------------------------------------------------

    def _progress(self, text: str, fraction: float) -> None:
        self.post_message(Progress(text, fraction))

    def _next_generation(self) -> int:
        self._generation += 1
        return self._generation

    def load(self) -> None:
        self._load(self._next_generation())

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def _load(self, generation: int) -> None:
        session = load_session(
            self.config_path, self.data_paths, self.start_month, self._progress, store=self.store, strict=self.strict
        )
        self.post_message(SessionReady(session, "loaded", generation))

    def rescan_month(self, session: Session, month: date) -> None:
        self._set_busy(f"Scanning {month_name(month)}…")
        self.notify(f"Scanning {month_name(month)}…", timeout=2)
        self._rescan(session, month, self._next_generation())

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def _rescan(self, session: Session, month: date, generation: int) -> None:
        self.post_message(
            SessionReady(rescan(session, month), f"scanned {month:%B %Y}", generation)
        )

    def reload(self, session: Session, data_paths: list[Path] | None = None) -> None:
        self._set_busy("Reloading…")
        self._reload(session, data_paths, self._next_generation())

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def _reload(self, session: Session, data_paths: list[Path] | None, generation: int) -> None:
        if data_paths is not None:
            session = replace(session, data_paths=tuple(data_paths))
        self.post_message(
            SessionReady(
                reload_config(session, self._progress),
                "configuration and data reloaded",
                generation,
            )
        )

    def _set_busy(self, text: str) -> None:
        self.busy = text
        if isinstance(self.screen, SessionScreen):
            self.screen.set_busy(text)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export_briefing(self, session: Session, area: str) -> None:
        paths, how = write_export(session, area, self.export_dir)
        self.post_message(ExportDone(paths, how))

    @work(thread=True, exclusive=True, group="fetch", exit_on_error=False)
    def fetch_data(self, session: Session) -> None:
        from crimefighters.fetch import default_data_dir, fetch_all

        data_dir = next((p for p in session.data_paths if p.is_dir() and p != _sample_dir()), None)
        data_dir = data_dir or default_data_dir(session.loaded)

        def progress(event) -> None:
            total = f" of {event.total:,}" if event.total else ""
            self._progress(
                f"Fetch {event.kind}: {event.label} {event.received:,}{total} bytes {event.message}".strip(),
                0.5,
            )

        result = fetch_all(session.loaded, data_dir, progress=progress)
        result.raise_for_failures()
        self.post_message(FetchDone(result.summary(), data_dir if result.changed else None))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        self._progress("", 1.0)
        self._set_busy("")
        if isinstance(error, CrimefightersError):
            self.show_error("Could not complete that", str(error))
        else:
            self.show_error("Unexpected error", f"{type(error).__name__}: {error}")

    def show_error(self, title: str, message: str) -> None:
        self.push_screen(ErrorDialog(title, message))

    # --- messages ---------------------------------------------------------------------------

    def on_progress(self, message: Progress) -> None:
        overview = self.overview
        if overview is not None and self.session is None:
            overview.set_progress(message.text, message.fraction)
        elif self.busy:
            self._set_busy(message.text if message.fraction < 1.0 else self.busy)

    def on_session_ready(self, message: SessionReady) -> None:
        if message.generation < self._generation:
            return  # answers a request that a newer one replaced
        first = self.session is None
        self.session = message.session
        # the header names synthetic data and a configuration other than the bundled defaults
        loaded = message.session.loaded
        title = self.TITLE if loaded.bundled else f"{self.TITLE} · config {loaded.label}"
        self.title = f"{title} · {SYNTHETIC_LABEL}" if message.session.synthetic else title
        self.set_class(message.session.synthetic, "-synthetic")
        self._set_busy("")
        # The screen in view first: the screens under it are redrawn when they resume.
        current = self.screen
        if isinstance(current, SessionScreen) and current.is_mounted:
            current.show_session()
        if first and self.start_area:
            area = self._resolve_area(self.start_area)
            if area:
                self.open_area(area)
        if first:  # after the borough opens: a dialog under it would be popped
            self._check_store(message.session)
        else:
            # not str.capitalize(): it lowercased the month ("Scanned june 2025")
            self.notify(message.note[:1].upper() + message.note[1:], timeout=3)

    def _check_store(self, session: Session) -> None:
        """Say once, on opening, when the meeting store cannot be read (damaged, newer)."""
        self.memory.read(lambda store: None, None)
        problem = session.store_problem or self.memory.problem
        if problem:
            self.show_error(
                "The meeting store cannot be read",
                f"{problem}\nThe figures are shown without the meeting's notes and adjustments; "
                "nothing will be written to that file.",
            )

    def on_export_done(self, message: ExportDone) -> None:
        self.last_export = message.paths
        where = ", ".join(str(p) for p in message.paths)
        self.notify(
            clean_text(f"{message.how}: {where}"), title="Exported", timeout=10, markup=False
        )

    def on_fetch_done(self, message: FetchDone) -> None:
        self.notify(clean_lines(message.summary), title="Fetch", timeout=10, markup=False)
        if message.data_dir is not None and self.session is not None:
            paths = list(self.session.data_paths)
            if message.data_dir not in paths:
                paths = [message.data_dir]
            self.reload(self.session, paths)

    def _resolve_area(self, name: str) -> str | None:
        """A borough, a BCU or London in any configured spelling; a typo is the CLI's one
        line with the nearest names, in a dialog."""
        assert self.session is not None
        try:
            return self.session.config.resolve_area(name, AREA_KINDS)
        except CrimefightersError as error:
            self.show_error("Unknown area", str(error))
            return None

    # --- navigation -------------------------------------------------------------------------

    def _pop_to(self, kind: type) -> bool:
        """Pop the screens above the first screen of ``kind``; False if there is none."""
        if not any(isinstance(s, kind) for s in self.screen_stack):
            return False
        while not isinstance(self.screen, kind):
            self.pop_screen()
        return True

    def _pop_to_overview(self) -> None:
        while len(self.screen_stack) > 2 and not isinstance(self.screen, OverviewScreen):
            self.pop_screen()

    def open_area(self, area: str, tab: str | None = None) -> None:
        """The area view (a borough, a BCU or London): the one on the stack re-aimed, or a new
        one over the overview (never two: a second screen while the first was still being
        removed crashed). ``tab``: the tab to open on (default: since the last meeting)."""
        if self.session is None:
            return
        if self._pop_to(BoroughScreen):
            self.screen.retarget(area, tab)
            return
        self._pop_to_overview()
        self.push_screen(BoroughScreen(area, tab))

    open_borough = open_area

    def open_drill(self, borough: str, ref: SeriesRef) -> None:
        # One drill-down screen, re-aimed at each series: composing a new one (chart, four
        # tables, footer) cost most of a drill-down's time. Installed, so popping it keeps it
        # mounted for the next drill-down; a second Enter before it is on screen re-aims it.
        screen = getattr(self, "_drill_screen", None)
        if screen is None:
            screen = self._drill_screen = DrillScreen(borough, ref)
            self.install_screen(screen, name="drill")
            self.push_screen(screen)
            return
        screen.retarget(borough, ref)
        if self._pop_to(DrillScreen):
            if screen.is_mounted:  # else it shows the new series when it mounts
                screen.show_session()
        else:
            self.push_screen(screen)

    def open_thresholds(self, measure: str) -> None:
        if self.session is not None:
            self.push_screen(ThresholdScreen(measure))

    def go_back(self) -> None:
        if len(self.screen_stack) > 2:
            self.pop_screen()

    def current_area(self) -> str | None:
        """The area of the screen in view: its own, or the area view's under a drill-down."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, BoroughScreen):
                return screen.area
        return None

    current_borough = current_area

    def change_month(self, month: date) -> None:
        if self.session is not None and month != self.session.scan_month:
            self.rescan_month(self.session, month)

    # --- actions ----------------------------------------------------------------------------

    def action_overview(self) -> None:
        self._pop_to_overview()

    def action_pick_area(self, members_of: str | None = None) -> None:
        """Choose an area to open: every borough, BCU and London, typed in any spelling
        (``members_of``: only the boroughs of that BCU, or London's BCUs)."""
        if self.session is None:
            return
        config = self.session.config

        def chosen(area: str | None) -> None:
            if area:
                self.open_area(area)

        def resolve(name: str) -> str:
            return config.resolve_area(name, AREA_KINDS)

        if members_of is not None:
            choices = member_areas(config, members_of)
            title = f"Open an area of {area_title(config, members_of)}"
        else:
            choices = [LONDON, *(f"{b} BCU" for b in config.bcu_names()), *config.borough_names()]
            title = "Open an area: a borough, a BCU or London"
        current = self.current_area()
        if current is not None and config.area_type(current) == "bcu":
            current = f"{current} BCU"
        self.push_screen(
            PickerDialog(title, choices, current, resolve=resolve),
            lambda c: chosen(c and resolve(c)),
        )

    action_pick_borough = action_pick_area

    def action_pick_month(self) -> None:
        if self.session is None:
            return
        months = [f"{m:%Y-%m}" for m in reversed(self.session.months())]

        def chosen(month: str | None) -> None:
            if month:
                from crimefighters.config.models import parse_month

                self.change_month(parse_month(month))

        self.push_screen(
            PickerDialog("Scan month", months, f"{self.session.scan_month:%Y-%m}"), chosen
        )

    def action_step_month(self, delta: int) -> None:
        if self.session is None:
            return
        months = self.session.months()
        index = (
            months.index(self.session.scan_month) + delta
            if self.session.scan_month in months
            else -1
        )
        if 0 <= index < len(months):
            self.change_month(months[index])
        else:
            self.notify("No data for that month", severity="warning")

    def action_thresholds(self) -> None:
        screen = self.screen
        measure = screen.ref.measure if isinstance(screen, DrillScreen) else "recorded_crime"
        self.open_thresholds(measure)

    def action_reload_config(self) -> None:
        if self.session is not None:
            self.reload(self.session)

    def action_reload_data(self) -> None:
        self.action_reload_config()

    def action_export(self) -> None:
        area = self.current_area()
        if self.session is None or area is None:
            self.notify("Open an area first (Enter on the overview, or b)", severity="warning")
            return
        what = area_title(self.session.config, area)
        self.notify(clean_text(f"Exporting {what}…"), timeout=2, markup=False)
        self.export_briefing(self.session, area)

    def action_fetch(self) -> None:
        if self.session is not None:
            self.notify("Fetching the latest published data…", timeout=3)
            self.fetch_data(self.session)

    def action_filter(self, which: str) -> None:
        f = self.filters
        if which == "concerns":
            f.concerns_only = not f.concerns_only
        elif which == "priorities":
            f.priorities_only = not f.priorities_only
        elif which == "clear":
            self.filters = Filters()
        elif which == "family" and isinstance(self.screen, BoroughScreen):
            self.screen.action_cycle_family()
            return
        if isinstance(self.screen, BoroughScreen):
            self.screen.show_session()

    def action_toggle_theme(self) -> None:
        self.theme = (
            "crimefighters-light" if self.theme == "crimefighters-dark" else "crimefighters-dark"
        )

    def action_keys(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()


def _sample_dir() -> Path:
    from crimefighters.paths import default_sample_dir

    return default_sample_dir()


def write_export(session: Session, area: str, output_dir: Path) -> tuple[list[Path], str]:
    """The area's briefing as ``crimefighters brief --area`` writes it: a borough's with its
    "Since the last meeting" section from the meeting store (read as the command reads it,
    ``briefing.meeting.read_meeting_views``), a BCU's, or the London summary. HTML and PDF;
    HTML alone when the PDF cannot be made (the reason is said)."""
    from crimefighters.briefing import write_context
    from crimefighters.briefing.context import build_area_context
    from crimefighters.briefing.meeting import read_meeting_views
    from crimefighters.errors import BriefingError, MeetingStoreError

    output_dir.mkdir(parents=True, exist_ok=True)
    month = session.scan_month
    notes = []
    try:
        store = str(session.store) if session.store is not None else None
        meeting = read_meeting_views([area], month, store, session.loaded).get(area)
    except MeetingStoreError as exc:
        meeting = None
        notes.append(f"without the meeting's record: {exc}")
    context = build_area_context(session.result, session.dataset, session.loaded, area, meeting)
    try:
        paths = write_context(context, ("html", "pdf"), output_dir)
        how = "Briefing (HTML and PDF)"
    except BriefingError as exc:
        paths = write_context(context, ("html",), output_dir)
        how = f"Briefing (HTML only; PDF failed: {exc})"
    if notes:
        how += f"; {'; '.join(notes)}"
    return [Path(p) for p in paths], how


def run(
    config_path: str | None,
    data_paths: list[Path] | None,
    month: date | None,
    area: str | None,
    export_dir: Path | None = None,
    headless: bool = False,
    store: Path | None = None,
    strict: bool = False,
) -> int:
    """Run the app; its exit code: non-zero when it stopped on an unhandled error (Textual
    prints the traceback and sets the return code; it used to be dropped for 0)."""
    app = CrimefightersApp(
        config_path, data_paths, month, export_dir=export_dir, store=store, area=area, strict=strict
    )
    app.run(headless=headless)
    return 1 if app.return_code is None else app.return_code
