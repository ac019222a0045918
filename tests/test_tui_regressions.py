"""Bugs the TUI had, each driven the way a user met it (Textual's pilot, the bundled sample
unless the bug needs real files). Each test failed before its fix."""

from __future__ import annotations

import contextlib
from datetime import date

import polars as pl
import pytest
from textual.widgets import DataTable, Static
from textual.worker import WorkerCancelled, WorkerFailed, WorkerState

from crimefighters.paths import default_sample_dir
from crimefighters.scan.series import TOTAL_LABEL
from crimefighters.tui.app import CrimefightersApp, run
from crimefighters.tui.screens.borough import BoroughScreen, SeriesRef
from crimefighters.tui.screens.drill import DrillScreen
from crimefighters.tui.screens.overview import OverviewScreen
from crimefighters.tui.session import Session, load_session

pytestmark = pytest.mark.anyio

BOROUGH_24M = "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202407-202606__mithunksms__BOCU_format.csv"
WARDS_TO_2025_06 = "mps_ward_crime/MPS_Ward_Level_Crime_24m__202307-202506__langtonhugh.csv"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def sample_session() -> Session:
    return load_session(None, [default_sample_dir()])


async def settle(pilot) -> None:
    """Until no worker is left running (wait_for_complete stops at the first cancelled one)."""
    for _ in range(100):
        with contextlib.suppress(WorkerFailed, WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        if not any(
            w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in pilot.app.workers
        ):
            break
    await pilot.pause()


def text_of(widget: Static) -> str:
    return str(widget.render())


def table_text(table: DataTable) -> list[list[str]]:
    return [
        [str(getattr(c, "plain", c)) for c in table.get_row_at(i)] for i in range(table.row_count)
    ]


async def test_enter_twice_quickly_on_an_exception_opens_one_drill_down(sample_session, tmp_path):
    app = CrimefightersApp(preloaded=sample_session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        borough = app.screen
        assert isinstance(borough, BoroughScreen)
        await pilot.press("2")  # the findings
        await pilot.pause()
        # Both key presses reach the borough screen before the drill-down is on screen.
        borough.action_enter()
        borough.action_enter()
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, DrillScreen)
        assert sum(isinstance(s, DrillScreen) for s in app.screen_stack) == 1
        await pilot.press("escape")
        await pilot.press("enter")  # and once more, the usual way
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, DrillScreen)


async def test_changing_borough_from_a_borough_screen(sample_session, tmp_path):
    app = CrimefightersApp(preloaded=sample_session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("b", *"Southwark", "enter")
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, BoroughScreen) and app.screen.borough == "Southwark"
        assert "Southwark" in text_of(app.screen.query_one("#borough-title", Static))
        assert sum(isinstance(s, BoroughScreen) for s in app.screen_stack) == 1
        # from the drill-down too
        await pilot.press("2", "enter")
        await settle(pilot)
        await pilot.press("b", *"Croydon", "enter")
        await settle(pilot)
        assert isinstance(app.screen, BoroughScreen) and app.screen.borough == "Croydon"
        assert [type(s) for s in app.screen_stack[1:]] == [OverviewScreen, BoroughScreen]


def test_an_unhandled_error_in_the_app_never_exits_0(monkeypatch, tmp_path):
    def boom(self) -> None:
        raise RuntimeError("a bug in a screen")

    monkeypatch.setattr(OverviewScreen, "on_mount", boom, raising=False)
    code = run(None, [default_sample_dir()], None, None, tmp_path, headless=True)
    assert code != 0


async def test_columns_keep_their_widths_when_the_table_is_painted_before_it_settles(
    sample_session, tmp_path
):
    """Painting between a table's rebuild and its next idle used to cache rows cut to the
    header widths (the columns 'collapsed' after a month change, in some runs only)."""
    app = CrimefightersApp(preloaded=sample_session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("2")
        await settle(pilot)
        table = screen.query_one("#findings-table", DataTable)
        for step in ("left_square_bracket", "right_square_bracket") * 3:
            await pilot.press(step)
            await settle(pilot)
            screen.show(app.session)  # a rebuild, as a new session does...
            early = [table.render_line(y).text for y in range(4)]  # ...painted at once
            await pilot.pause()
            late = [table.render_line(y).text for y in range(4)]
            assert early == late
            first = table_text(table)[0]
            assert first[1] in late[1] and first[2] in late[1]  # name and status in full


async def test_a_borough_without_data_says_so_rather_than_no_exceptions(tmp_path):
    only_lambeth = tmp_path / "lambeth_asb.csv"
    only_lambeth.write_text(
        "month,borough,measure,category,value\n"
        + "".join(f"2025-{m:02d},Lambeth,asb_incidents,All,{300 + m}\n" for m in range(1, 13)),
        encoding="utf-8",
    )
    session = load_session(None, [only_lambeth])
    app = CrimefightersApp(preloaded=session, borough="Southwark", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        title = text_of(app.screen.query_one("#borough-title", Static))
        assert "no data loaded for Southwark" in title and "0 concerns" not in title
        why = text_of(app.screen.query_one("#meeting-detail", Static))
        assert "No findings" not in why and "no data loaded for southwark" in why.lower()
        await pilot.press("escape")
        await settle(pilot)
        overview = {
            r[1].strip(): r for r in table_text(app.screen.query_one("#overview-table", DataTable))
        }
        assert overview["Southwark"][2:6] == ["–"] * 4  # not "0 findings, 0 concerns"
        assert all(count.isdigit() for count in overview["Lambeth"][2:6])
        # a BCU with none of its boroughs loaded says so too; Lambeth's BCU has data
        assert overview["Central West BCU"][2:6] == ["–"] * 4
        assert all(count.isdigit() for count in overview["Central South BCU"][2:6])


async def test_wards_tab_compares_like_with_like_when_ward_data_ends_early(real, tmp_path):
    session = load_session(None, [real / BOROUGH_24M, real / WARDS_TO_2025_06])
    assert session.scan_month == date(2026, 6, 1)
    app = CrimefightersApp(preloaded=session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_drill("Lambeth", SeriesRef("recorded_crime", "total", TOTAL_LABEL, "TNO"))
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        note = text_of(app.screen.query_one("#wards-note", Static))
        assert "Ward data ends June 2025" in note
        table = app.screen.query_one("#wards-table", DataTable)
        headers = [str(c.label) for c in table.columns.values()]
        assert "Jun 2025" in headers and "This month" not in headers
        rows = table_text(table)
        assert rows and any(r[1] not in ("0", "") for r in rows)  # June 2025 has counts
        assert all(r[3] and r[4] for r in rows)  # 24 months of ward data: both windows shown
        # a month the ward data does not reach back 12 months from: no short 12-month totals
        app.change_month(date(2024, 9, 1))
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        note = text_of(app.screen.query_one("#wards-note", Static))
        assert "Ward data starts July 2023: too short for 12 months with the 12 before" in note
        assert all(r[2] and not r[3] and not r[4] for r in table_text(table))
        # the breakdown of the same series, from the borough table, follows the same rule
        await pilot.press("2")
        await settle(pilot)
        first = session.data_months("Lambeth", "recorded_crime")[0]
        note = text_of(app.screen.query_one("#breakdown-note", Static))
        assert f"Data starts {first:%B %Y}: too short for 12 months with the 12 before" in note
        breakdown = table_text(app.screen.query_one("#breakdown-table", DataTable))
        assert breakdown and all(r[3] and not r[4] and not r[5] for r in breakdown)
        wards = session.dataset.wards.filter(pl.col("borough") == "Lambeth")
        lambeth = wards.filter(pl.col("month") == date(2025, 6, 1))
        assert sum(float(r[1].replace(",", "")) for r in rows) <= lambeth["value"].sum()


async def test_month_change_shows_progress_at_once_and_keeps_the_view(sample_session, tmp_path):
    app = CrimefightersApp(preloaded=sample_session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#meeting-table", DataTable)
        before = table_text(table)
        app.change_month(date(2026, 5, 1))
        # before the worker reports: the old month is still on screen, and it says it is working
        assert "Scanning May 2026" in str(app.screen.sub_title)
        assert table_text(table) == before
        await settle(pilot)
        assert app.session.scan_month == date(2026, 5, 1)
        assert "Scanning" not in str(app.screen.sub_title)


async def test_a_late_scan_never_replaces_a_newer_choice(sample_session, tmp_path):
    app = CrimefightersApp(preloaded=sample_session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.change_month(date(2026, 3, 1))
        app.change_month(date(2026, 5, 1))
        await settle(pilot)
        assert app.session.scan_month == date(2026, 5, 1)
        # a result for March arriving now (a thread that finished late) is ignored
        from crimefighters.tui.app import SessionReady
        from crimefighters.tui.session import rescan

        stale = rescan(app.session, date(2026, 3, 1))
        app.post_message(SessionReady(stale, "scanned", generation=1))
        await settle(pilot)
        assert app.session.scan_month == date(2026, 5, 1)
        assert "May 2026" in text_of(app.screen.query_one("#borough-title", Static))


async def test_the_reused_drill_screen_follows_a_theme_change(sample_session, tmp_path):
    """The drill-down skips Textual's restyle when it comes back (it is the same screen with
    the same styles), but not after the theme changed while it was away."""
    from textual.widgets import Header

    app = CrimefightersApp(preloaded=sample_session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2", "enter")
        await settle(pilot)
        dark = app.screen.query_one(Header).styles.background
        await pilot.press("escape", "d", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DrillScreen) and app.theme == "crimefighters-light"
        light = app.screen.query_one(Header).styles.background
        assert light != dark
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one(Header).styles.background == light
