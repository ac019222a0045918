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


def keyed_rows(table: DataTable) -> dict[str, list[str]]:
    """Each row by its key (the area it opens)."""
    return {
        row.key.value: [str(getattr(c, "plain", c)) for c in table.get_row(row.key)]
        for row in table.ordered_rows
    }


async def test_overview_counts_each_areas_findings_new_concerns_and_improvements(session, tmp_path):
    app = CrimefightersApp(
        data_paths=list(session.data_paths), preloaded=session, export_dir=tmp_path
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OverviewScreen)
        table = app.screen.query_one("#overview-table", DataTable)
        shown = rows(table)
        # London, then each of the 12 BCUs followed by its boroughs
        assert len(shown) == 1 + 12 + 32
        assert shown[0][1] == "London"
        config = session.config
        assert [r[1] for r in shown[1:5]] == [
            f"{config.bcu_names()[0]} BCU",
            *(f"  {b}" for b in config.boroughs_in_bcu(config.bcu_names()[0])),
        ]
        by_area = keyed_rows(table)
        for area in ("Lambeth", "Central South", "London"):
            findings = session.result.findings.filter(pl.col("borough") == area)
            assert [int(c) for c in by_area[area][2:6]] == [
                findings.height,
                (findings["status"] == "new").sum(),
                (findings["assessment"] == "concern").sum(),
                (findings["assessment"] == "improvement").sum(),
            ], area
            assert findings.height > 0
        lambeth = by_area["Lambeth"]
        # Recorded crime (TNO) in June 2026: Lambeth above its upper process limit, a concern;
        # Camden 7 months below its mean, an improvement; ASB is not in this file and says so:
        # each with a symbol, not a colour alone.
        by_name = by_area
        assert (lambeth[6], by_name["Camden"][6], by_name["Westminster"][6]) == ("!↑", "✓↓", "·")
        assert lambeth[7] == "–"
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
            assert by_name[r["area"]][6] == symbol[r["state"]] + arrow, r["area"]


async def test_s_cycles_the_overview_sort_through_area_findings_new_concerns_improvements(
    session, tmp_path
):
    app = CrimefightersApp(preloaded=session, export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#overview-table", DataTable)
        await pilot.press("s")  # by name, London (the whole) on top
        await pilot.pause()
        names = [r[1] for r in rows(table)]
        assert names[0] == "London" and names[1:] == sorted(names[1:])
        for column in (2, 3, 4, 5):  # findings, new, concerns, improvements: most first
            await pilot.press("s")
            await pilot.pause()
            shown = rows(table)
            assert shown[0][1] == "London"
            counts = [int(r[column]) for r in shown[1:]]
            assert counts == sorted(counts, reverse=True) and counts[0] > 0


async def test_enter_opens_the_borough_on_the_last_meeting_then_its_findings_new_first(
    session, tmp_path
):
    from crimefighters.present import finding_order

    app = CrimefightersApp(preloaded=session, export_dir=tmp_path, store=tmp_path / "m.sqlite3")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#overview-table", DataTable)
        table.move_cursor(row=table.get_row_index("Lambeth"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BoroughScreen) and app.screen.borough == "Lambeth"
        assert app.screen.active_tab == "meeting"
        note = str(app.screen.query_one("#meeting-note", Static).render())
        assert note.startswith("Nothing recorded yet for Lambeth")
        await pilot.press("2")
        await pilot.pause()
        findings = app.screen.query_one("#findings-table", DataTable)
        expected = sorted(
            session.result.for_borough("Lambeth").iter_rows(named=True),
            key=lambda f: finding_order(f["status"], f["score"]),
        )
        assert findings.row_count == len(expected) > 0
        assert [r[1] for r in rows(findings)] == [f["name"] for f in expected]
        statuses = [r[2].split(",")[0] for r in rows(findings)]
        assert statuses == sorted(statuses, key=["new", "returned", "continuing"].index)
        why = str(app.screen.query_one("#findings-detail", Static).render())
        assert expected[0]["evidence"][:40] in why
        await pilot.press("4")
        await pilot.pause()
        priorities = rows(app.screen.query_one("#priorities-table", DataTable))
        assert priorities[0][1] == "Anti-social behaviour" and priorities[0][2:4] == [
            "no data loaded",
            "–",
        ]
        await pilot.press("6")
        await pilot.pause()
        processes = rows(app.screen.query_one("#processes-table", DataTable))
        assert all(r[1] == "no data loaded" for r in processes)
        assert not (tmp_path / "m.sqlite3").exists()  # looking creates no meeting store


async def test_drill_down_draws_the_chart_and_escape_goes_back(session, tmp_path):
    app = CrimefightersApp(preloaded=session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BoroughScreen)
        await pilot.press("2", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DrillScreen)
        chart = app.screen.query_one(SpcChart)
        assert chart.points.height > 0 and chart.drawn > 0
        windows = rows(app.screen.query_one("#windows-table", DataTable))
        assert [r[0] for r in windows] == [
            "Month",
            "3 months",
            "12 months",
            "Financial year to date",
        ]
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
        await pilot.press("2")
        await pilot.pause()
        table = app.screen.query_one("#findings-table", DataTable)
        await pilot.press("c")
        await pilot.pause()
        assert table.row_count > 0 and all("concern" in r[0] for r in rows(table))
        await pilot.press("c", "slash", *"theft", "enter")
        await pilot.pause()
        shown = app.screen.tables["findings"].targets.values()
        assert shown and all(
            "theft" in f"{t.finding['name']} {t.finding['evidence']} {t.finding['related']}".lower()
            for t in shown
        )
        assert len(shown) < session.result.for_borough("Lambeth").height
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
        assert app.session.result.findings.height < good.result.findings.height


async def test_thresholds_show_where_each_value_comes_from(session, tmp_path):
    app = CrimefightersApp(preloaded=session, export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, ThresholdScreen)
        settings = {r[0]: r for r in rows(app.screen.query_one("#settings-table", DataTable))}
        assert settings["spc.window"][1] == "24" and "scan.yaml:" in settings["spc.window"][2]
        # the month's family control, with its meaning from the configuration's model
        assert settings["findings.control"][1] == "pfer"
        assert "scan.yaml:" in settings["findings.control"][2]
        assert "false findings per area" in settings["findings.control"][3]
        # the registry's words, with the measure's own settings filled in
        definitions = str(app.screen.query_one("#definitions", Static).render())
        assert "XmR chart of the last 24 months" in " ".join(definitions.split())
        effect = rows(app.screen.query_one("#effect-table", DataTable))
        led = sum(int(r[3]) for r in effect)
        found = session.result.findings.filter(
            (pl.col("measure") == "recorded_crime") & (pl.col("area_type") == "borough")
        )
        assert led == found.height > 0


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


async def test_an_unknown_start_area_gets_the_cli_wording_with_a_suggestion(session, tmp_path):
    app = CrimefightersApp(preloaded=session, borough="Westminister", export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert app.screen.message == (
            "unknown area 'Westminister' (a borough, BCU or London); did you mean Westminster?"
        )


async def test_the_borough_picker_takes_short_forms_and_suggests_for_typos(session, tmp_path):
    app = CrimefightersApp(preloaded=session, export_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("b", *"Westminister", "enter")
        await pilot.pause()
        message = app.screen.query_one("#picker-message", Static)
        assert str(message.render()) == (
            "unknown area 'Westminister' (a borough, BCU or London); did you mean Westminster?"
        )
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


DASHBOARD = "mps_monthly_crime_dashboard/MPS_MonthlyCrimeDashboard_{}__BOROUGH_ROWS_ONLY.csv"
JDEVS = "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202401-202512__JDevs.csv"


@pytest.fixture(scope="module")
def lambeth_real(real: Path):
    """The 2024-2025 borough release, both dashboard releases and the homicide file (to 2023),
    July 2025."""
    from datetime import date

    files = [
        real / JDEVS,
        real / DASHBOARD.format("KnifeCrimeData__202203-202602"),
        real / DASHBOARD.format("OtherCrimeData__202108-202507"),
        real / "mps_homicides",
    ]
    return load_session(None, files, date(2025, 7, 1))


async def test_lambeths_high_harm_priorities_show_numbers_states_and_outcome_rates(
    lambeth_real, tmp_path
):
    from crimefighters.present import fmt_value

    app = CrimefightersApp(preloaded=lambeth_real, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await pilot.pause()
        shown = {r[1]: r for r in rows(app.screen.query_one("#priorities-table", DataTable))}
        scan = lambeth_real.result.priorities.filter(pl.col("borough") == "Lambeth")
        for label in (
            "Domestic abuse",
            "Racist and religious hate crime",
            "Knife crime",
            "Gun crime",
        ):
            row = shown[label]
            expected = scan.filter(pl.col("label") == label).row(0, named=True)
            assert row[2] == fmt_value(expected["value"], "count") and row[2] != "no data loaded"
            assert row[3].split()[1] == expected["state"].split()[0]  # '· common cause'
            rate = fmt_value(expected["outcome_rate"], "proportion")
            assert row[4].startswith(f"{rate} ") and expected["outcome_rate"] > 0


async def test_the_serious_violence_tab_says_where_each_measure_stops(lambeth_real, tmp_path):
    app = CrimefightersApp(preloaded=lambeth_real, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await pilot.pause()
        shown = {r[0]: r for r in rows(app.screen.query_one("#violence-table", DataTable))}
        status = lambeth_real.result.status.filter(
            (pl.col("area") == "Lambeth") & (pl.col("level") == "minor")
        )

        def latest(measure: str, category: str) -> float:
            match = (pl.col("measure") == measure) & (pl.col("category") == category)
            return status.filter(match)["value"][0]

        knife = shown["Knife crime with injury"]
        assert knife[1] == f"{latest('knife_crime_offences', 'Knife crime with injury'):.0f}"
        rate = latest("knife_crime_outcome_rate", "Knife crime with injury")
        assert knife[3].startswith(f"{rate * 100:.1f}%")
        assert shown["Gun crime"][1] == f"{latest('gun_crime_offences', 'Gun crime'):.0f}"
        # homicides are loaded to December 2023: July 2025 is not a month of 0
        homicide = shown["Homicide victims"]
        assert homicide[1] == "no data this month"
        assert homicide[7] == "no data for July 2025: the data loaded ends December 2023"
        assert shown["Stop and search"][1] == "no data loaded"
        assert shown["Stop and search arrest rate"][1] == "no data loaded"
