"""Every front-end names every finding the same way: the CLI (`crimefighters scan --format
json`), the TUI (what the borough view's Findings tab shows: the row, and the Why panel under
it) and the briefing (each finding card's title). One place names them
(``crimefighters.present.series_name``); this proves nobody names them anywhere else.

The TUI is read for every borough from the tab's own table (what the screen draws, built by
``tui.views.findings``), and off the screen itself for the three busiest boroughs (drawing all
32 takes about ten seconds a dataset)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from crimefighters.briefing.context import build_context
from crimefighters.cli import main
from crimefighters.paths import default_sample_dir
from crimefighters.tui.app import CrimefightersApp
from crimefighters.tui.session import load_session
from crimefighters.tui.views.findings import NAME_WIDTH, Filters, findings_table

REAL_FILE = "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202401-202512__JDevs.csv"


@pytest.fixture(params=["sample", "real"])
def data(request, real) -> Path:
    return default_sample_dir() if request.param == "sample" else real / REAL_FILE


def cli_names(path: Path, capsys) -> dict[str, str]:
    assert main(["--data", str(path), "scan", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    return {r["finding_id"]: r["name"] for r in rows}


def briefing_names(session) -> dict[str, str]:
    names = {}
    for borough in session.config.borough_names():
        context = build_context(
            session.result, session.dataset, session.loaded, borough, max_charts=0
        )
        names.update({card["id"]: card["title"] for card in context["findings"]["all"]})
    return names


def shown_name(cell: str, panel_first_line: str) -> str:
    """The name a Findings row shows: its cell, or (cut with an ellipsis to fit) the Why
    panel's first line, which names it in full before its state words."""
    if cell.endswith("…"):
        name = panel_first_line.split("  ")[0]
        assert name.startswith(cell[:-1]) and len(name) > NAME_WIDTH
        return name
    assert panel_first_line.startswith(f"{cell}  "), (cell, panel_first_line)
    return cell


def tui_names(session) -> dict[str, str]:
    """Every borough's Findings tab as the borough view builds it (``views.findings``)."""
    names = {}
    for borough in session.config.borough_names():
        table, _ = findings_table(session, borough, Filters(), {})
        for key, row in zip(table.keys, table.rows, strict=True):
            first_line = table.details[key].plain.split("\n")[0]
            names[table.targets[key].finding_id] = shown_name(str(row[1]), first_line)
    return names


async def tui_screen_names(session, tmp_path: Path, boroughs: list[str]) -> dict[str, str]:
    """The same, read off the screen: the table's cells and the Why panel for each row."""
    names = {}
    app = CrimefightersApp(preloaded=session, export_dir=tmp_path, store=tmp_path / "m.sqlite3")
    async with app.run_test(size=(160, 50)) as pilot:
        app.animation_level = "none"
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for borough in boroughs:
            app.open_borough(borough)
            await pilot.pause()
            await pilot.press("2")
            await pilot.pause()
            screen = app.screen
            table = screen.query_one("#findings-table", DataTable)
            panel = screen.query_one("#findings-detail", Static)
            for i, key in enumerate(screen.tables["findings"].keys):
                table.move_cursor(row=i)
                await pilot.pause()
                cell = table.get_row_at(i)[1]
                first_line = str(panel.render()).split("\n")[0]
                finding_id = screen.tables["findings"].targets[key].finding_id
                names[finding_id] = shown_name(str(getattr(cell, "plain", cell)), first_line)
    return names


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_cli_the_tui_and_the_briefing_name_every_finding_the_same(
    data, capsys, tmp_path, anyio_backend
):
    session = load_session(None, [data])
    boroughs = session.result.findings.filter(session.result.findings["area_type"] == "borough")
    expected = dict(zip(boroughs["finding_id"], boroughs["name"], strict=True))
    assert len(expected) > 20
    cli = cli_names(data, capsys)
    assert cli == expected
    assert briefing_names(session) == expected
    assert tui_names(session) == expected
    # on the screen itself, for the boroughs with the most findings
    busiest = boroughs.group_by("borough").len().sort("len", "borough", descending=True)
    on_screen = await tui_screen_names(session, tmp_path, busiest["borough"].head(3).to_list())
    assert len(on_screen) >= 9
    assert on_screen == {k: v for k, v in expected.items() if k in on_screen}
