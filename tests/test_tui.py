"""The meeting-room TUI driven with Textual's pilot, on the real MPS borough file in ../shared.

A session (configuration + data + scan) is loaded once and handed to each app, so every test
drives screens rather than re-reading the file; one test goes through the load worker itself.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from textual.widgets import DataTable, Static
from textual.worker import WorkerFailed

from crimefighters.tui.app import CrimefightersApp
from crimefighters.tui.screens.borough import BoroughScreen
from crimefighters.tui.screens.dialogs import ErrorDialog
from crimefighters.tui.screens.drill import DrillScreen
from crimefighters.tui.screens.overview import OverviewScreen
from crimefighters.tui.screens.thresholds import ThresholdScreen
from crimefighters.tui.session import load_session
from crimefighters.tui.widgets.spc_chart import SpcChart

pytestmark = pytest.mark.anyio

CRIME_24M = "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202407-202606__mithunksms__BOCU_format.csv"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def crime_file(real: Path) -> Path:
    return real / CRIME_24M


@pytest.fixture(scope="module")
def session(crime_file: Path):
    return load_session(None, [crime_file])


async def settle(pilot) -> None:
    # A failed worker is shown in a dialog; the tests assert on that.
    with contextlib.suppress(WorkerFailed):
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def rows(table: DataTable) -> list[list[str]]:
    return [
        [str(getattr(c, "plain", c)) for c in table.get_row_at(i)] for i in range(table.row_count)
    ]


async def test_overview_lists_every_borough_with_concerns_and_improvements(session, tmp_path):
    app = CrimefightersApp(
        data_paths=list(session.data_paths), preloaded=session, export_dir=tmp_path
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OverviewScreen)
        table = app.screen.query_one("#overview-table", DataTable)
        shown = rows(table)
        assert len(shown) == 32
        lambeth = next(r for r in shown if r[1] == "Lambeth")
        counts = session.result.counts().filter(pl.col("borough") == "Lambeth").row(0, named=True)
        assert (int(lambeth[2]), int(lambeth[3])) == (counts["concerns"], counts["improvements"])
        # Recorded crime (TNO) in June 2026: Lambeth above its upper process limit, a concern;
        # Camden 7 months below its mean, an improvement; ASB is not in this file and says so:
        # each with a symbol, not a colour alone.
        by_name = {r[1]: r for r in shown}
        assert (lambeth[4], by_name["Camden"][4], by_name["Westminster"][4]) == ("!↑", "✓↓", "·")
        assert lambeth[5] == "–"
        tno = session.result.status.filter(
            (pl.col("area_type") == "borough")
            & (pl.col("measure") == "recorded_crime")
            & (pl.col("level") == "total")
        )
        symbol = {"concern": "!", "improvement": "✓", "neutral": "◆", "common cause": "·"}
        for r in tno.iter_rows(named=True):
            arrow = ""
            if r["state"] != "common cause":
                above = any(w in r["special_cause_type"] for w in ("Above", "Increasing"))
                arrow = "↑" if above else "↓"
            assert by_name[r["area"]][4] == symbol[r["state"]] + arrow, r["area"]


async def test_s_cycles_the_overview_sort_through_borough_concerns_and_improvements(
    session, tmp_path
):
    app = CrimefightersApp(preloaded=session, export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#overview-table", DataTable)
        await pilot.press("s")  # by borough
        await pilot.pause()
        names = [r[1] for r in rows(table)]
        assert names == sorted(names)
        await pilot.press("s")  # by concerns, most first
        await pilot.pause()
        concerns = [int(r[2]) for r in rows(table)]
        assert concerns == sorted(concerns, reverse=True)
        await pilot.press("s")  # by improvements
        await pilot.pause()
        improvements = [int(r[3]) for r in rows(table)]
        assert improvements == sorted(improvements, reverse=True)


async def test_enter_opens_the_borough_with_its_exceptions_strongest_first(session, tmp_path):
    app = CrimefightersApp(preloaded=session, export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#overview-table", DataTable)
        table.move_cursor(row=table.get_row_index("Lambeth"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BoroughScreen) and app.screen.borough == "Lambeth"
        exceptions = app.screen.query_one("#exceptions-table", DataTable)
        expected = session.result.for_borough("Lambeth")
        assert exceptions.row_count == expected.height > 0
        why = str(app.screen.query_one("#evidence", Static).render())
        assert expected["evidence"][0][:40] in why
        priorities = rows(app.screen.query_one("#priorities-table", DataTable))
        assert priorities[0][1] == "Anti-social behaviour" and priorities[0][2] == "no data loaded"
        processes = rows(app.screen.query_one("#processes-table", DataTable))
        assert all(r[1] == "no data loaded" for r in processes)


async def test_drill_down_draws_the_chart_and_escape_goes_back(session, tmp_path):
    app = CrimefightersApp(preloaded=session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BoroughScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DrillScreen)
        chart = app.screen.query_one(SpcChart)
        assert chart.points.height > 0 and chart.drawn > 0
        windows = rows(app.screen.query_one("#windows-table", DataTable))
        assert [r[0] for r in windows] == ["Month", "3 months", "12 months", "FYTD"]
        await pilot.press("4")  # the BCU and London tab
        await pilot.pause()
        areas = rows(app.screen.query_one("#areas-table", DataTable))
        assert any(r[0] == "London" for r in areas) and any("this borough" in r[0] for r in areas)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BoroughScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)


async def test_previous_month_rescans_in_a_worker(session, tmp_path):
    app = CrimefightersApp(preloaded=session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert f"{app.session.scan_month:%Y-%m}" == "2026-05"
        assert "May 2026" in str(app.screen.query_one("#borough-title", Static).render())


async def test_filters_concerns_only_and_text(session, tmp_path):
    app = CrimefightersApp(preloaded=session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#exceptions-table", DataTable)
        await pilot.press("c")
        await pilot.pause()
        assert table.row_count > 0 and all("concern" in r[0] for r in rows(table))
        await pilot.press("c", "slash", *"theft", "enter")
        await pilot.pause()
        shown = rows(table)
        assert shown and all("theft" in (r[1] + r[-1]).lower() for r in shown)
        assert 'text "theft"' in str(app.screen.query_one("#borough-title", Static).render())


async def test_reload_config_shows_errors_and_keeps_the_last_good(crime_file, tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "scan.yaml").write_text("scan:\n  yoy:\n    min_pct: 10\n", encoding="utf-8")
    good = load_session(str(config_dir), [crime_file])
    app = CrimefightersApp(config_path=str(config_dir), preloaded=good, export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        (config_dir / "scan.yaml").write_text("scan:\n  yoy:\n    min_pct: -5\n", encoding="utf-8")
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "scan.yaml:3" in app.screen.message and "min_pct" in app.screen.message
        assert app.session is good
        await pilot.press("escape")
        (config_dir / "scan.yaml").write_text("scan:\n  yoy:\n    min_pct: 50\n", encoding="utf-8")
        await pilot.press("r")
        await settle(pilot)
        assert app.session is not good and app.session.config.scan.yoy.min_pct == 50
        assert app.session.result.exceptions.height < good.result.exceptions.height


async def test_thresholds_show_where_each_value_comes_from(session, tmp_path):
    app = CrimefightersApp(preloaded=session, export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, ThresholdScreen)
        settings = {r[0]: r for r in rows(app.screen.query_one("#settings-table", DataTable))}
        assert settings["spc.window"][1] == "24" and "scan.yaml:" in settings["spc.window"][2]
        effect = rows(app.screen.query_one("#effect-table", DataTable))
        total = sum(int(r[2]) for r in effect)
        assert (
            total == session.result.exceptions.filter(pl.col("measure") == "recorded_crime").height
        )


async def test_export_writes_the_borough_file_without_blocking(session, tmp_path):
    app = CrimefightersApp(preloaded=session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert app.last_export and all(p.exists() and p.parent == tmp_path for p in app.last_export)
        assert not list(tmp_path.glob(".*"))  # no temporary file left behind


async def test_bad_data_shows_the_cli_message_in_a_dialog(tmp_path):
    bad = tmp_path / "broken.csv"
    bad.write_text("this,is,not\na,crime,file\n", encoding="utf-8")
    app = CrimefightersApp(data_paths=[bad], export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "broken.csv" in app.screen.message and "Traceback" not in app.screen.message
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen) and app.is_running


async def test_load_worker_opens_straight_on_a_borough(crime_file, tmp_path):
    app = CrimefightersApp(
        data_paths=[crime_file], month=None, borough="richmond", export_dir=tmp_path
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert (
            isinstance(app.screen, BoroughScreen) and app.screen.borough == "Richmond upon Thames"
        )


async def test_command_palette_reaches_every_action(session, tmp_path):
    from crimefighters.tui.commands import ACTIONS

    app = CrimefightersApp(preloaded=session, export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for _, _, action in ACTIONS:
            name = action.split("(")[0]
            assert hasattr(app, f"action_{name}"), name
        await pilot.press("ctrl+p", *"thresholds", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ThresholdScreen)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
def test_data_scan_briefing_config_never_import_textual(anyio_backend):
    code = (
        "import sys, crimefighters.data, crimefighters.scan.runner, crimefighters.scan.drill, crimefighters.config, "
        "crimefighters.cli\n"
        "try:\n    import crimefighters.briefing\nexcept ImportError:\n    pass\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


async def test_an_unknown_start_borough_gets_the_cli_wording_with_a_suggestion(session, tmp_path):
    app = CrimefightersApp(preloaded=session, borough="Westminister", export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert app.screen.message == "unknown borough 'Westminister'; did you mean Westminster?"


async def test_the_borough_picker_takes_short_forms_and_suggests_for_typos(session, tmp_path):
    app = CrimefightersApp(preloaded=session, export_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("b", *"Westminister", "enter")
        await pilot.pause()
        message = app.screen.query_one("#picker-message", Static)
        assert str(message.render()) == "unknown borough 'Westminister'; did you mean Westminster?"
        await pilot.press("escape", "b", *"City of Westminster", "enter")
        await settle(pilot)
        assert isinstance(app.screen, BoroughScreen) and app.screen.borough == "Westminster"


async def test_the_header_names_a_configuration_other_than_the_bundled_one(crime_file, tmp_path):
    from dataclasses import replace

    from crimefighters.config import load_config

    folder = tmp_path / "cfg"
    folder.mkdir()
    (folder / "scan.yaml").write_text("scan: {yoy: {alpha: 0.02}}\n", encoding="utf-8")
    bundled = load_session(None, [crime_file])
    app = CrimefightersApp(preloaded=bundled, export_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.title == "CrimeFighters"
    mine = replace(bundled, loaded=load_config(folder), config_path=str(folder))
    app = CrimefightersApp(preloaded=mine, export_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.title == f"CrimeFighters · config {folder} (--config)"
