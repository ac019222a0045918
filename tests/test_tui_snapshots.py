"""SVG snapshots of the main screens at 80x24 (a laptop terminal) and 120x40 (the projector),
on the bundled sample data (deterministic: generated with a fixed seed and committed).

Regenerate after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the report before committing the SVGs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from crimefighters.meeting import open_store
from crimefighters.paths import default_sample_dir
from crimefighters.tui.app import CrimefightersApp
from crimefighters.tui.session import load_session

SIZES = [(80, 24), (120, 40)]
# a store named relative to the test's own folder, so the screens read the same on every run
STORE = Path("meetings.sqlite3")


@pytest.fixture(scope="module")
def sample_session():
    if not any(default_sample_dir().glob("*.csv")):
        pytest.skip("the bundled sample data is not generated yet")
    return load_session(None, [default_sample_dir()])


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def make_app(session, tmp_path, borough=None) -> CrimefightersApp:
    return CrimefightersApp(
        preloaded=session,
        borough=borough,
        export_dir=tmp_path,
        store=STORE,
        drafts_dir=tmp_path / "drafts",
    )


async def _settle(pilot) -> None:
    pilot.app.animation_level = "none"
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def keys(*pressed: str):
    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press(*pressed)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overview(snap_compare, sample_session, in_tmp, size):
    assert snap_compare(make_app(sample_session, in_tmp), terminal_size=size, run_before=_settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_borough_since_last_meeting(snap_compare, in_tmp, size):
    """Southwark's August meeting: what July agreed (an action, a Gold Group), what resolved,
    what endures."""
    august = load_session(None, [default_sample_dir()], date(2026, 8, 1))
    with open_store(STORE, user="analyst") as db:
        db.record_meeting("Southwark", "2026-07", "2026-08-12", chair="Ch Supt Adams")
        shop = db.add_action(
            "Southwark|recorded_crime|theft|up", "Southwark", "2026-07",
            "Shop watch with the retailers", owner="Insp Bell",
        )  # fmt: skip
        knife = db.add_action(
            "Southwark|knife_crime_offences|knife_crime|up", "Southwark", "2026-07",
            "Weapon sweeps around the estates", owner="Insp Khan",
        )  # fmt: skip
        db.task_gold_group(
            knife.finding_id, "Southwark", "2026-07", "Knife Crime Gold", lead="Supt Dale",
            tasked_on="2026-08-12", action_id=knife.id,
        )  # fmt: skip
        assert shop.id == 1
    assert snap_compare(
        make_app(august, in_tmp, "Southwark"), terminal_size=size, run_before=_settle
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_borough_findings(snap_compare, sample_session, in_tmp, size):
    assert snap_compare(
        make_app(sample_session, in_tmp, "Lambeth"), terminal_size=size, run_before=keys("2")
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_borough_priorities(snap_compare, sample_session, in_tmp, size):
    assert snap_compare(
        make_app(sample_session, in_tmp, "Lambeth"), terminal_size=size, run_before=keys("4")
    )


def test_borough_serious_violence(snap_compare, sample_session, in_tmp):
    assert snap_compare(
        make_app(sample_session, in_tmp, "Lambeth"), terminal_size=(120, 40), run_before=keys("5")
    )


def test_tests_of_a_finding(snap_compare, sample_session, in_tmp):
    assert snap_compare(
        make_app(sample_session, in_tmp, "Lambeth"),
        terminal_size=(120, 40),
        run_before=keys("2", "t"),
    )


def test_adding_an_action(snap_compare, sample_session, in_tmp):
    assert snap_compare(
        make_app(sample_session, in_tmp, "Lambeth"),
        terminal_size=(80, 24),
        run_before=keys("2", "a", *"Robbery patrols at Brixton station", "tab", *"Insp Bell"),
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_drill_down(snap_compare, sample_session, in_tmp, size):
    assert snap_compare(
        make_app(sample_session, in_tmp, "Lambeth"),
        terminal_size=size,
        run_before=keys("2", "enter"),
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_thresholds(snap_compare, sample_session, in_tmp, size):
    assert snap_compare(make_app(sample_session, in_tmp), terminal_size=size, run_before=keys("T"))
