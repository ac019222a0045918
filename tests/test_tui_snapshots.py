"""SVG snapshots of the main screens at 80x24 (a laptop terminal) and 120x40 (the projector),
on the bundled sample data (deterministic: generated with a fixed seed and committed).

Regenerate after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the report before committing the SVGs.
"""

from __future__ import annotations

import pytest

from crimefighters.paths import default_sample_dir
from crimefighters.tui.app import CrimefightersApp
from crimefighters.tui.session import load_session

SIZES = [(80, 24), (120, 40)]


@pytest.fixture(scope="module")
def sample_session():
    if not any(default_sample_dir().glob("*.csv")):
        pytest.skip("the bundled sample data is not generated yet")
    return load_session(None, [default_sample_dir()])


def make_app(session, tmp_path, borough=None) -> CrimefightersApp:
    return CrimefightersApp(preloaded=session, borough=borough, export_dir=tmp_path)


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overview(snap_compare, sample_session, tmp_path, size):
    assert snap_compare(make_app(sample_session, tmp_path), terminal_size=size, run_before=_settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_borough_exceptions(snap_compare, sample_session, tmp_path, size):
    assert snap_compare(
        make_app(sample_session, tmp_path, "Lambeth"), terminal_size=size, run_before=_settle
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_borough_priorities(snap_compare, sample_session, tmp_path, size):
    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(
        make_app(sample_session, tmp_path, "Lambeth"), terminal_size=size, run_before=run_before
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_drill_down(snap_compare, sample_session, tmp_path, size):
    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(
        make_app(sample_session, tmp_path, "Lambeth"), terminal_size=size, run_before=run_before
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_thresholds(snap_compare, sample_session, tmp_path, size):
    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("T")
        await pilot.pause()

    assert snap_compare(
        make_app(sample_session, tmp_path), terminal_size=size, run_before=run_before
    )
