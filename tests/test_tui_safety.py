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
from crimefighters.tui.screens.tests_dialog import FindingTestsDialog
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
    """The hostile categories are minor categories: each finding names its major category and
    lists them in the Why panel (what it covers, every test that fired)."""
    app = CrimefightersApp(preloaded=hostile_session, borough=BOROUGH, export_dir=tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, BoroughScreen)
        await pilot.press("2")
        await pilot.pause()
        table = app.screen.query_one("#findings-table", DataTable)
        assert all(no_control(c) for c in cells(table))
        assert no_control(screen_text(app))
        # the Why panel under the table, for every finding
        panels = []
        for row in range(table.row_count):
            table.move_cursor(row=row)
            await pilot.pause()
            why = str(app.screen.query_one("#findings-detail", Static).render())
            assert no_control(why)
            assert no_control(screen_text(app))
            panels.append(why)
        for name in MARKUP_NAMES:
            assert any(name in why for why in panels)  # literally, brackets and all
        # the tests of each finding, in their own dialog
        for row in range(table.row_count):
            table.move_cursor(row=row)
            await pilot.press("t")
            await pilot.pause()
            assert isinstance(app.screen, FindingTestsDialog)
            assert all(no_control(c) for c in cells(app.screen.query_one(DataTable)))
            assert no_control(screen_text(app))
            await pilot.press("escape")
            await pilot.pause()
        # the text filter echoes what was typed into the title
        await pilot.press("slash", *"[/]", "enter")
        await pilot.pause()
        assert app.is_running and "[/]" in str(
            app.screen.query_one("#borough-title", Static).render()
        )


def cells_of(table: DataTable, row: int) -> list[str]:
    return [str(getattr(c, "plain", c)) for c in table.get_row_at(row)]


def hostile_rows(table: DataTable, column: int = 1) -> list[int]:
    """Rows whose series is one of the hostile names (as shown: cleaned, maybe cut)."""
    starts = [" ".join(clean_text(n).split())[:12] for n in ALL_NAMES.values()]
    return [
        i
        for i in range(table.row_count)
        if any(start in " ".join(cells_of(table, i)[column].split()) for start in starts)
    ]


async def open_tests_of(pilot, name: str) -> int:
    """The tests dialog of the finding whose panel names ``name``; the row of its test."""
    app = pilot.app
    table = app.screen.query_one("#findings-table", DataTable)
    for row in range(table.row_count):
        table.move_cursor(row=row)
        await pilot.pause()
        if name in str(app.screen.query_one("#findings-detail", Static).render()):
            await pilot.press("t")
            await pilot.pause()
            tests = app.screen.query_one(DataTable)
            return next(i for i in range(tests.row_count) if name in cells_of(tests, i)[1])
    raise AssertionError(f"no finding covers {name!r}")


async def test_a_markup_name_is_not_a_clickable_action(hostile_session, tmp_path):
    app = CrimefightersApp(preloaded=hostile_session, borough=BOROUGH, export_dir=tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause()
        # in the Why panel: no span of it is an action
        panel = app.screen.query_one("#findings-detail", Static)
        row = await open_tests_of(pilot, MARKUP_NAMES[1])
        for span in panel.render().spans:
            assert "@click" not in str(span.style)
        # in the tests dialog: a click on the name; were it markup, this would quit the app
        tests = app.screen.query_one(DataTable)
        for cell in tests.get_row_at(row):
            for span in getattr(cell, "spans", []):
                assert "@click" not in str(span.style)
        await pilot.click(tests, offset=(12, row + 1))
        await pilot.pause()
        assert app.is_running


async def test_drill_down_titles_chart_and_tables_of_hostile_series(hostile_session, tmp_path):
    app = CrimefightersApp(preloaded=hostile_session, borough=BOROUGH, export_dir=tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause()
        drilled = 0
        for name in ALL_NAMES.values():
            shown = " ".join(clean_text(name).split())[:12]
            try:
                row = await open_tests_of(pilot, shown)
            except AssertionError:
                continue  # a name the scan did not flag this month
            app.screen.query_one(DataTable).move_cursor(row=row)
            await pilot.press("enter")  # from the tests dialog to that test's series
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
            drilled += 1
        assert drilled >= 6


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
