"""The meeting's memory in the TUI, driven as a chair would with Textual's pilot, on the bundled
sample (Southwark, July to September 2026: knife crime and shoplifting are findings in July;
burglary resolves in August, shoplifting in September)."""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from textual.widgets import DataTable, Static
from textual.worker import WorkerCancelled, WorkerFailed, WorkerState

from crimefighters.meeting import open_store
from crimefighters.paths import default_sample_dir
from crimefighters.present import status_text
from crimefighters.tui.app import CrimefightersApp
from crimefighters.tui.screens.borough import BoroughScreen
from crimefighters.tui.screens.dialogs import ErrorDialog
from crimefighters.tui.screens.drill import DrillScreen
from crimefighters.tui.screens.forms import FormDialog
from crimefighters.tui.session import Session, load_session
from crimefighters.tui.widgets.spc_chart import SpcChart

pytestmark = pytest.mark.anyio

BOROUGH = "Southwark"
JULY, AUGUST, SEPTEMBER = date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def sessions() -> dict[date, Session]:
    return {m: load_session(None, [default_sample_dir()], m) for m in (JULY, AUGUST, SEPTEMBER)}


async def settle(pilot) -> None:
    for _ in range(100):
        with contextlib.suppress(WorkerFailed, WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        if not any(
            w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in pilot.app.workers
        ):
            break
    await pilot.pause()


def table_text(table: DataTable) -> list[list[str]]:
    return [
        [str(getattr(c, "plain", c)) for c in table.get_row_at(i)] for i in range(table.row_count)
    ]


def text_of(widget: Static) -> str:
    return str(widget.render())


def app_for(session: Session, tmp_path: Path, **kwargs) -> CrimefightersApp:
    return CrimefightersApp(
        preloaded=session,
        borough=BOROUGH,
        export_dir=tmp_path,
        store=tmp_path / "meetings.sqlite3",
        drafts_dir=tmp_path / "drafts",
        user="analyst",
        **kwargs,
    )


async def select_finding(pilot, name: str) -> None:
    """The Findings tab, the cursor on the finding called ``name``."""
    await pilot.press("2")
    await pilot.pause()
    table = pilot.app.screen.query_one("#findings-table", DataTable)
    row = next(i for i, r in enumerate(table_text(table)) if r[1] == name)
    table.move_cursor(row=row)
    await pilot.pause()


async def fill(pilot, *values: str) -> None:
    """Type into the dialog's text fields in order (Tab between them), then save."""
    assert isinstance(pilot.app.screen, FormDialog)
    for i, value in enumerate(values):
        if i:
            await pilot.press("tab")
        await pilot.press(*value)
    await pilot.press("ctrl+s")
    await pilot.pause()


def finding(session: Session, name: str) -> dict:
    rows = session.result.for_area(BOROUGH).filter(pl.col("name") == name)
    assert rows.height == 1, name
    return rows.row(0, named=True)


async def test_a_three_month_cycle_of_meetings_in_the_tui(sessions, tmp_path):
    store_path = tmp_path / "meetings.sqlite3"
    july = sessions[JULY]
    knife, shoplifting = finding(july, "Knife crime"), finding(july, "Shoplifting")

    # --- July: the findings, two actions, one of them tasked to a Gold Group -------------
    app = app_for(july, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BoroughScreen) and screen.active_tab == "meeting"
        assert text_of(screen.query_one("#meeting-note", Static)).startswith(
            "Nothing recorded yet for Southwark"
        )
        # knife crime has run for months: it is offered for Gold Group tasking
        enduring = {r[1]: r for r in table_text(screen.query_one("#meeting-table", DataTable))}
        assert "not tasked" in enduring["Knife crime"][3]
        assert not store_path.exists()

        await select_finding(pilot, "Shoplifting")
        await pilot.press("a")
        await fill(pilot, "Shop watch with the retailers", "Insp Bell")
        await select_finding(pilot, "Knife crime")
        await pilot.press("a")
        await fill(pilot, "Weapon sweeps around the estates", "Insp Khan")
        assert store_path.exists() and isinstance(app.screen, BoroughScreen)

        # the Actions tab lists both; g on the knife crime action tasks it to a Gold Group
        await pilot.press("3")
        await pilot.pause()
        actions = app.screen.query_one("#actions-table", DataTable)
        rows = table_text(actions)
        assert [r[1] for r in rows] == [
            "Weapon sweeps around the estates",
            "Shop watch with the retailers",
        ]
        assert all(r[2] == "open (due August 2026)" for r in rows)
        actions.move_cursor(row=0)
        await pilot.press("g")
        await pilot.pause()
        await pilot.press(*"Knife Crime Gold", "tab", *"Supt Dale", "tab", *"Seven months running")
        await pilot.press("tab", "down", "space")  # As: the knife crime action
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert table_text(actions)[0][8] == "Gold"
        # and the meeting itself
        await pilot.press("M")
        await pilot.pause()
        await pilot.press(*"2026-08-12", "tab", *"Ch Supt Adams", "ctrl+s")  # replaces today
        await pilot.pause()

    with open_store(store_path) as db:
        raised = db.actions_for(area=BOROUGH)
        assert [(a.finding_id, a.owner, a.due_month) for a in raised] == [
            (shoplifting["finding_id"], "Insp Bell", AUGUST),
            (knife["finding_id"], "Insp Khan", AUGUST),
        ]
        (gold,) = db.gold_taskings_for(area=BOROUGH)
        assert (gold.group, gold.lead, gold.action_id) == (
            "Knife Crime Gold",
            "Supt Dale",
            raised[1].id,
        )
        assert db.meeting(BOROUGH, JULY).chair == "Ch Supt Adams"
        assert all(a.created_by == "analyst" for a in raised)

    # --- August: the borough opens on what July agreed, each finding as it stands now ---------
    august = sessions[AUGUST]
    app = app_for(august, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.active_tab == "meeting"
        note = text_of(screen.query_one("#meeting-note", Static))
        assert note.startswith(
            "Since the last meeting (July 2026, held 12 Aug 2026): 2 actions due"
        )
        rows = table_text(screen.query_one("#meeting-table", DataTable))
        by_item = {r[1]: r for r in rows}
        looked_back = august.config.scan.findings.lookback_months
        for item, name in (
            ("Shop watch with the retailers", "Shoplifting"),
            ("Weapon sweeps around the estates", "Knife crime"),
        ):
            row = by_item[item]
            f = finding(august, name)
            assert (row[0], row[2]) == ("Action", "due now")
            assert row[3].startswith(
                f"{name}: {status_text(f['status'], f['months_running'], looked_back)}"
            )
        assert by_item["Knife Crime Gold"][0] == "Gold"
        assert by_item["Burglary"][:3] == ["Resolved", "Burglary", "resolved"]  # since July
        # the finding's panel has what the meeting recorded on it
        await select_finding(pilot, "Knife crime")
        why = text_of(screen.query_one("#findings-detail", Static))
        assert "Weapon sweeps around the estates (Insp Khan)" in why and "Knife Crime Gold" in why

    # --- September: shoplifting resolved; its action reported done -------------------------
    september = sessions[SEPTEMBER]
    app = app_for(september, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#meeting-table", DataTable)
        by_item = {r[1]: r for r in table_text(table)}
        assert by_item["Shoplifting"][:3] == ["Resolved", "Shoplifting", "resolved"]
        assert by_item["Shop watch with the retailers"][3] == "Shoplifting: resolved this month"
        assert by_item["Weapon sweeps around the estates"][2] == "overdue (due August 2026)"
        row = next(
            i for i, r in enumerate(table_text(table)) if r[1] == "Shop watch with the retailers"
        )
        table.move_cursor(row=row)
        await pilot.press("enter")  # report it: done, with the outcome
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)
        await pilot.press("tab", *"Thefts back to the usual level", "ctrl+s")
        await pilot.pause()
        by_item = {r[1]: r for r in table_text(table)}
        assert by_item["Shop watch with the retailers"][2] == "done: Thefts back to the usual level"
        note = text_of(screen.query_one("#meeting-note", Static))
        assert "1 done, 1 overdue" in note

    with open_store(store_path) as db:
        done = db.actions_for(area=BOROUGH, status="done")
        assert [(a.text, a.closed_month, a.outcome) for a in done] == [
            ("Shop watch with the retailers", SEPTEMBER, "Thefts back to the usual level")
        ]


async def test_what_is_typed_in_a_dialog_survives_the_app_closing(sessions, tmp_path):
    async with app_for(sessions[JULY], tmp_path).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await select_finding(pilot, "Knife crime")
        await pilot.press("a", *"Sweeps [b]near[/b] schools", "tab", *"Insp Khan")
        await pilot.pause(0.5)  # the draft is written a moment after the last key
    # the app was closed mid-edit: nothing is saved, nothing is lost
    assert not (tmp_path / "meetings.sqlite3").exists()
    async with app_for(sessions[JULY], tmp_path).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await select_finding(pilot, "Knife crime")
        await pilot.press("a")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, FormDialog)
        assert "Restored what you typed" in text_of(dialog.query_one("#form-restored", Static))
        assert dialog.values()["text"] == "Sweeps [b]near[/b] schools"
        assert dialog.values()["owner"] == "Insp Khan"
        await pilot.press("ctrl+s")
        await pilot.pause()
        # saved: the draft is gone, and the typed text is shown as text
        await pilot.press("3")
        await pilot.pause()
        rows = table_text(pilot.app.screen.query_one("#actions-table", DataTable))
        assert rows[0][1] == "Sweeps [b]near[/b] schools"
        await pilot.press("2", "a")
        await pilot.pause()
        assert not pilot.app.screen.query("#form-restored")


async def test_escape_keeps_a_draft_and_discard_clears_it(sessions, tmp_path):
    async with app_for(sessions[JULY], tmp_path).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await select_finding(pilot, "Knife crime")
        await pilot.press("n", *"Ask the youth team", "escape")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert pilot.app.screen.values()["text"] == "Ask the youth team"
        await pilot.click("#form-discard")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert pilot.app.screen.values()["text"] == ""
    assert not (tmp_path / "meetings.sqlite3").exists()


async def test_a_refused_edit_keeps_what_was_typed_and_says_why(sessions, tmp_path):
    async with app_for(sessions[JULY], tmp_path).run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await select_finding(pilot, "Knife crime")
        await pilot.press("a", *"Sweeps", "tab", "tab", *"next month", "ctrl+s")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, FormDialog)  # still open
        message = text_of(dialog.query_one("#form-message", Static))
        assert message.startswith("Not saved: ") and "next month" in message
        assert dialog.values()["text"] == "Sweeps"
        # corrected, it saves
        await pilot.press("ctrl+a", "ctrl+k", *"2026-09", "ctrl+s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, BoroughScreen)
    with open_store(tmp_path / "meetings.sqlite3") as db:
        assert [a.due_month for a in db.actions_for()] == [SEPTEMBER]


async def test_an_annotated_month_left_out_of_the_limits_shows_on_the_chart(sessions, tmp_path):
    app = app_for(sessions[SEPTEMBER], tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await select_finding(pilot, "Knife crime")
        await pilot.press("enter")
        await settle(pilot)
        drill = app.screen
        assert isinstance(drill, DrillScreen)
        before = drill.query_one(SpcChart).points
        assert not (before["point_type"] == "excluded").any()
        await pilot.press("A")
        await pilot.pause()
        await pilot.press("tab", *"[red]Carnival[/red] weekend", "tab", "space", "ctrl+s")
        await settle(pilot)  # saved, then scanned again without that month in the limits
        assert isinstance(app.screen, DrillScreen)
        points = drill.query_one(SpcChart).points
        assert points["point_type"][-1] == "excluded"
        assert drill.query_one(SpcChart).annotations == [(SEPTEMBER, True)]
        notes = text_of(drill.query_one("#chart-notes", Static))
        assert "Sep 2026 [red]Carnival[/red] weekend (left out of the limits)" in notes
        assert notes.startswith("Notes (| on the chart; E = left out of the limits): ")
        # the limits are those of the other months alone (the chart as NHSRplotthedots draws it)
        assert points["upl"][-1] != before["upl"][-1]


async def test_a_damaged_store_is_said_once_and_never_written(sessions, tmp_path):
    store = tmp_path / "meetings.sqlite3"
    store.write_bytes(b"not a database at all" * 10)
    app = app_for(sessions[JULY], tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog) and "meeting store" in app.screen.title_text
        await pilot.press("escape")
        await select_finding(pilot, "Knife crime")
        await pilot.press("a", *"Sweeps", "ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, FormDialog) and dialog.values()["text"] == "Sweeps"
        assert str(store) in text_of(dialog.query_one("#form-message", Static))
    assert store.read_bytes() == b"not a database at all" * 10
