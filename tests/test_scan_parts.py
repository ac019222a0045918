"""The scan reads its series in parts (``runner.PART_SERIES``) so memory stays flat at any size.

The parts are an implementation detail: scanning the same data in many small parts must give
what one part gives, frame for frame: every text, flag and count exactly, every number to the
last digits (a mean over more or fewer rows at once may round its last bit apart). Peers, standing and BCU and London figures need
every area of a measure, level and category together, so a part never splits them.
"""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from crimefighters.data import load_dataset
from crimefighters.paths import repo_root
from crimefighters.scan import run_scan, runner
from crimefighters.scan.cached import FRAMES

MEASURES = ["recorded_crime", "positive_outcome_rate", "pas_confidence", "response_i_compliance"]


@pytest.fixture(scope="module")
def sample(config):
    dataset = load_dataset([repo_root() / "sample_data"], config)
    return dataset.observations.filter(pl.col("measure").is_in(MEASURES))


def in_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows sorted by their keys (texts, months, counts, flags), then their numbers."""
    columns = [(c, t) for c, t in frame.schema.items() if not isinstance(t, pl.List)]
    keys = [c for c, t in columns if not t.is_float()] + [c for c, t in columns if t.is_float()]
    return frame.sort(keys, nulls_last=True) if frame.height else frame


def test_a_scan_in_many_small_parts_is_the_scan_in_one(config, sample, monkeypatch):
    whole = run_scan(sample, config)
    assert whole.findings.height > 20
    monkeypatch.setattr(runner, "PART_SERIES", 60)
    parts = list(runner._parts(_series(sample, config)))
    assert len(parts) > 10
    # every area of a measure, level and category is in one part
    triples = pl.concat([keys.select("measure", "level", "category").unique() for keys in parts])
    assert triples.is_duplicated().sum() == 0
    split = run_scan(sample, config)
    for name in FRAMES:
        assert_frame_equal(
            in_order(getattr(split, name)),
            in_order(getattr(whole, name)),
            rel_tol=1e-12,
            abs_tol=1e-15,
        )
    assert split.notes == whole.notes


def _series(observations: pl.DataFrame, config) -> pl.DataFrame:
    from crimefighters.scan.series import observe, series_table

    month = observations["month"].max()
    return series_table(
        observe(observations, runner.scan_start(config, [month]), month), config
    ).keys
