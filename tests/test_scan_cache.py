"""The scan cache and the filters applied to a cached full scan give what a fresh scan gives."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from crimefighters.data import load_dataset
from crimefighters.paths import default_sample_dir
from crimefighters.scan import run_scan
from crimefighters.scan.cached import scan_dataset


@pytest.fixture(scope="module")
def sample(config):
    return load_dataset([default_sample_dir()], config)


def test_a_cached_scan_equals_a_fresh_one(sample, config):
    first = scan_dataset(sample, config)
    again = scan_dataset(sample, config)
    fresh = run_scan(sample.observations, config)
    for name in ("findings", "resolved", "tests", "peers", "points", "comparisons", "status", "priorities", "history"):
        same(getattr(again, name), getattr(fresh, name))
        same(getattr(first, name), getattr(fresh, name))


def same(left: pl.DataFrame, right: pl.DataFrame) -> None:
    """Equal up to row order and the last bits of float sums (Polars sums in parallel)."""
    keys = [c for c, t in left.schema.items() if t in (pl.String, pl.Date, pl.Boolean)]
    assert_frame_equal(left.sort(keys, nulls_last=True), right.sort(keys, nulls_last=True), check_exact=False, rel_tol=1e-9)


def test_filtering_the_full_scan_by_borough_equals_scanning_those_boroughs(sample, config):
    narrowed = scan_dataset(sample, config, boroughs=["Lambeth", "Newham"]).findings
    direct = run_scan(sample.observations, config, boroughs=["Lambeth", "Newham"]).findings
    same(narrowed, direct)


def test_asking_for_one_measure_shows_what_the_full_scan_found_for_it(sample, config):
    # A finding does not change because fewer are asked for: the tests of the whole area are
    # one family, so the filter narrows the full scan rather than re-running a smaller one.
    full = scan_dataset(sample, config).findings
    narrowed = scan_dataset(sample, config, measures=["response_i_compliance"]).findings
    assert narrowed.height > 0
    same(narrowed, full.filter(pl.col("measure") == "response_i_compliance"))
    spc_only = scan_dataset(sample, config, methods=["spc"])
    assert spc_only.tests["method"].unique().to_list() == ["spc"]
    assert set(spc_only.findings["finding_id"]) == set(spc_only.tests["finding_id"].drop_nulls())


def test_a_changed_threshold_is_a_different_scan(sample, config):
    strict = config.model_copy(update={"scan": config.scan.model_copy(update={"yoy": config.scan.yoy.model_copy(update={"alpha": 1e-9})})})
    loose = scan_dataset(sample, config).tests.filter(pl.col("method") == "yoy").height
    tight = scan_dataset(sample, strict).tests.filter(pl.col("method") == "yoy").height
    assert tight < loose


def test_a_second_load_of_the_same_files_comes_from_the_dataset_cache(config):
    first = load_dataset([default_sample_dir()], config)
    second = load_dataset([default_sample_dir()], config)
    assert second.key == first.key
    assert all(f.cached for f in second.report.files)
    assert second.observations.equals(first.observations)
    assert second.report.warnings == first.report.warnings


def test_a_damaged_cached_frame_is_recomputed_not_an_error(sample, config, _isolated_cache):
    fresh = run_scan(sample.observations, config)
    scan_dataset(sample, config)  # cached now
    damaged = list((_isolated_cache / "scans").glob("*/status.parquet"))
    assert damaged
    for path in damaged:
        path.write_bytes(b"not parquet")
    again = scan_dataset(sample, config)
    same(again.findings, fresh.findings)  # read from the cache
    same(again.status, fresh.status)  # recomputed


def test_a_cached_scan_reads_only_the_frames_asked_for(sample, config):
    scan_dataset(sample, config)
    cached = scan_dataset(sample, config)
    assert cached.findings.height > 0
    assert "findings" in cached.__dict__ and "points" not in cached.__dict__


@pytest.mark.parametrize("meta", ["{}", "[]", '{"notes": "abc", "schemas": {}}', "not json"])
def test_a_malformed_scan_cache_entry_is_a_miss(sample, config, _isolated_cache, meta):
    fresh = run_scan(sample.observations, config)
    scan_dataset(sample, config)
    for path in (_isolated_cache / "scans").glob("*/meta.json"):
        path.write_text(meta)
    again = scan_dataset(sample, config)
    assert again.notes == fresh.notes
    same(again.findings, fresh.findings)


def test_a_cached_frame_with_other_columns_is_recomputed(sample, config, _isolated_cache):
    fresh = run_scan(sample.observations, config)
    scan_dataset(sample, config)
    for path in (_isolated_cache / "scans").glob("*/findings.parquet"):
        pl.DataFrame({"finding_id": ["forged"]}).write_parquet(path)
    same(scan_dataset(sample, config).findings, fresh.findings)


def test_a_month_the_meeting_left_out_of_the_limits_is_a_different_scan(sample, config, tmp_path):
    """The cache served the scan without the meeting's exclusions, so the chart ignored them."""
    from crimefighters.meeting import Series, open_store, spc_inputs

    before = scan_dataset(sample, config)  # cached without the store
    september = before.scan_month
    store = tmp_path / "meetings.sqlite3"
    robbery = Series("Lambeth", "recorded_crime", "priority", "Robbery")
    with open_store(store) as db:
        db.annotate(robbery, september, "a planted spike", exclude_from_limits=True)
    after = scan_dataset(sample, config, spc_inputs=spc_inputs(store))

    def chart(result):
        return result.points.filter(
            (pl.col("area") == "Lambeth") & (pl.col("level") == "priority") & (pl.col("category") == "Robbery")
        ).sort("month")

    assert chart(before)["point_type"][-1] != "excluded"
    assert chart(after)["point_type"][-1] == "excluded"
    assert chart(after)["upl"][-1] < chart(before)["upl"][-1]  # the spike no longer widens them
