"""The TUI shows names from data as text: never as Textual/Rich markup (a category called
`Knife [/] crime` crashed the borough screen; `[@click=app.quit]` became a clickable action),
never with a control character that reaches the terminal. And every screen made from the
synthetic sample says SYNTHETIC SAMPLE DATA."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from textual.widgets import DataTable, Static
from textual.worker import WorkerFailed

from crimefighters.config import load_config
from crimefighters.data import load_dataset
from crimefighters.data.synthetic import LABEL
from crimefighters.paths import default_sample_dir
from crimefighters.scan.runner import run_scan
from crimefighters.text_safety import clean_text
from crimefighters.tui.app import CrimefightersApp
from crimefighters.tui.screens.borough import BoroughScreen
from crimefighters.tui.screens.dialogs import ErrorDialog
from crimefighters.tui.screens.drill import DrillScreen
from crimefighters.tui.session import Session, load_session
from crimefighters.tui.widgets.spc_chart import SpcChart
from tests.hostile import ALL_NAMES, BOROUGH, ESCAPE_BYTES, hostile_dataset

pytestmark = pytest.mark.anyio
MARKUP_NAMES = ["Knife [/] crime", "[@click=app.quit]Click me[/]"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def hostile_session() -> Session:
    loaded = load_config()
    dataset = hostile_dataset(load_dataset([default_sample_dir()], loaded.config))
    result = run_scan(dataset.observations, loaded.config, date(2026, 9, 1))
    return Session(loaded, dataset, result, (default_sample_dir(),), None)


async def settle(pilot) -> None:
    with contextlib.suppress(WorkerFailed):
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def cells(table: DataTable) -> list[str]:
    return [
        str(getattr(c, "plain", c)) for i in range(table.row_count) for c in table.get_row_at(i)
    ]


def no_control(text: str) -> bool:
    return not any(c in text for c in ESCAPE_BYTES)


async def test_hostile_names_are_shown_as_text_in_the_borough_view(hostile_session, tmp_path):
    app = CrimefightersApp(preloaded=hostile_session, borough=BOROUGH, export_dir=tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, BoroughScreen)
        table = app.screen.query_one("#exceptions-table", DataTable)
        shown = cells(table)
        for name in MARKUP_NAMES:
            assert name in shown  # literally, brackets and all
        assert all(no_control(c) for c in shown)
        assert no_control(screen_text(app))
        # the Why panel under the table, for every hostile row
        for row in hostile_rows(table):
            table.move_cursor(row=row)
            await pilot.pause()
            why = str(app.screen.query_one("#evidence", Static).render())
            assert no_control(why)
        knife = next(i for i in range(table.row_count) if "Knife [/] crime" in cells_of(table, i))
        table.move_cursor(row=knife)
        await pilot.pause()
        assert "Knife [/] crime" in str(app.screen.query_one("#evidence", Static).render())
        # the text filter echoes what was typed into the title
        await pilot.press("slash", *"[/]", "enter")
        await pilot.pause()
        assert app.is_running and "[/]" in str(
            app.screen.query_one("#borough-title", Static).render()
        )


def cells_of(table: DataTable, row: int) -> list[str]:
    return [str(getattr(c, "plain", c)) for c in table.get_row_at(row)]


def hostile_rows(table: DataTable) -> list[int]:
    """Rows whose measure is one of the hostile names (as shown: cleaned, maybe cut)."""
    starts = [" ".join(clean_text(n).split())[:12] for n in ALL_NAMES.values()]
    return [
        i
        for i in range(table.row_count)
        if any(start in " ".join(cells_of(table, i)[1].split()) for start in starts)
    ]


async def test_a_markup_name_is_not_a_clickable_action(hostile_session, tmp_path):
    app = CrimefightersApp(preloaded=hostile_session, borough=BOROUGH, export_dir=tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#exceptions-table", DataTable)
        row = next(i for i in range(table.row_count) if MARKUP_NAMES[1] in cells_of(table, i))
        for cell in table.get_row_at(row):
            for span in getattr(cell, "spans", []):
                assert "@click" not in str(span.style)
        # a click on the name: were it markup, this would quit the app
        await pilot.click(table, offset=(20, row + 1))
        await pilot.pause()
        assert app.is_running


async def test_drill_down_titles_chart_and_tables_of_hostile_series(hostile_session, tmp_path):
    app = CrimefightersApp(preloaded=hostile_session, borough=BOROUGH, export_dir=tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#exceptions-table", DataTable)
        first_of_each: dict[str, int] = {}
        for row in hostile_rows(table):
            first_of_each.setdefault(cells_of(table, row)[1], row)
        assert len(first_of_each) >= 6
        for row in first_of_each.values():
            table.move_cursor(row=row)
            await pilot.press("enter")
            await settle(pilot)
            assert app.is_running and isinstance(app.screen, DrillScreen)
            title = str(app.screen.query_one("#drill-title", Static).render())
            chart = app.screen.query_one(SpcChart)
            assert no_control(title) and no_control(chart.title) and no_control(app.sub_title)
            for tab in ("2", "3", "4"):
                await pilot.press(tab)
                await pilot.pause()
            for other in app.screen.query(DataTable):
                assert all(no_control(c) for c in cells(other))
            assert no_control(screen_text(app))
            await pilot.press("escape")
            await settle(pilot)


async def test_an_error_dialog_shows_markup_and_escapes_as_text(hostile_session, tmp_path):
    app = CrimefightersApp(preloaded=hostile_session, export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.show_error(
            "Could not [b]load[/b]", "file.csv:3: unknown borough 'Knife [/] crime\x1b[2J'"
        )
        app.show_error("Second", "two errors at once [/]")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ErrorDialog)
        text = screen_text(app)
        assert "two errors at once [/]" in text and no_control(text)
        await pilot.press("escape")
        await pilot.pause()
        assert "Knife [/] crime" in screen_text(app) and "Could not [b]load[/b]" in screen_text(app)


async def test_every_screen_of_the_sample_says_synthetic(tmp_path):
    session = load_session(None, [default_sample_dir()])
    app = CrimefightersApp(preloaded=session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for keys in ((), ("enter",), ("T",)):
            await pilot.press(*keys)
            await settle(pilot)
            assert LABEL in screen_text(app).splitlines()[0], type(app.screen).__name__
        await pilot.press("escape", "escape", "escape")
        await settle(pilot)
        assert LABEL in screen_text(app).splitlines()[0]


async def test_real_data_screens_do_not_say_synthetic(real, tmp_path):
    crime = (
        real / "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202401-202512__JDevs.csv"
    )
    session = load_session(None, [crime])
    app = CrimefightersApp(preloaded=session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert LABEL not in screen_text(app)


async def test_export_from_the_sample_is_marked(tmp_path):
    session = load_session(None, [default_sample_dir()])
    app = CrimefightersApp(preloaded=session, borough="Lambeth", export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        html = next(p for p in app.last_export if p.suffix == ".html")
        assert html.read_text(encoding="utf-8").count(LABEL) >= 2
