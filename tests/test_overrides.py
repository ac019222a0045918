"""A per-measure override (scan.overrides in scan.yaml) changes what its method finds.

Each method reads one resolved settings row per measure (scan/settings.py); these tests run
the same series with and without an override and check the result moves the way it should.
"""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest

from crimefighters.config.models import MeasureOverride
from crimefighters.scan import run_scan
from tests.scan_fixtures import combine, observations

JUNE = date(2026, 6, 1)
NOISE = [2, -1, 3, -3, 0, 2, -3, 0, -1, 3, -2, 2, 0, 1, -2, 2, -1, 1, -2, 0, 2, -1, 1, -3, 1, 0, 2, -2, 3, -1, 0, -3, 2, 1, -2, 0]


def with_override(config, measure: str, **sections):
    overrides = {**config.scan.overrides, measure: MeasureOverride(**sections)}
    return config.model_copy(update={"scan": config.scan.model_copy(update={"overrides": overrides})})


def lambeth(result) -> pl.DataFrame:
    return result.findings.filter(pl.col("borough") == "Lambeth")


def test_spc_limits_widened_for_one_measure_stop_its_spike_being_found(config):
    values = [40 + n for n in NOISE[:23]] + [70]
    assert lambeth(run_scan(observations(values), config, JUNE, methods=["spc"])).height == 1
    wide = with_override(config, "recorded_crime", spc={"limit_factor": 10.0, "near_limit_factor": 6.0})
    assert lambeth(run_scan(observations(values), wide, JUNE, methods=["spc"])).height == 0


def test_the_trend_length_is_obeyed_in_the_chart_the_evidence_and_the_score(config):
    # five months rising gently at the end, well inside the limits
    values = [100 + n for n in NOISE[:19]] + [99, 100, 101, 102, 103]
    chart = lambda result: result.points.filter(  # noqa: E731
        (pl.col("area") == "Lambeth") & (pl.col("level") == "minor") & (pl.col("month") == JUNE)
    )["special_cause_type"][0]
    assert chart(run_scan(observations(values), config, JUNE, methods=["spc"])) == "Common Cause"
    five = with_override(config, "recorded_crime", spc={"trend_length": 5})
    assert chart(run_scan(observations(values), five, JUNE, methods=["spc"])) == "5 Point Trend (Increasing)"
    # nine rising months: a finding, scored 2/9! and described with nine
    values = [100 + n for n in NOISE[:15]] + [97, 98, 99, 100, 101, 102, 103, 104, 105]
    nine = with_override(config, "recorded_crime", spc={"trend_length": 9, "shift_length": 9})
    row = lambeth(run_scan(observations(values), nine, JUNE, methods=["spc"])).row(0, named=True)
    assert row["rule"] == "trend"
    assert row["p_value"] == pytest.approx(2 / math.factorial(9))
    assert "9 or more months" in row["evidence"] and "7" not in row["evidence"]


def test_a_higher_minimum_change_for_one_measure_drops_a_30_percent_rise(config):
    values = [100] * 12 + [130] * 12
    assert lambeth(run_scan(observations(values), config, JUNE, methods=["yoy"])).height == 1
    strict = with_override(config, "recorded_crime", yoy={"min_pct": 50.0})
    assert lambeth(run_scan(observations(values), strict, JUNE, methods=["yoy"])).height == 0


def test_a_higher_seasonal_minimum_volume_stops_small_series_being_tested(config):
    values = [20 + n for n in NOISE[:35]] + [45]
    assert lambeth(run_scan(observations(values), config, JUNE, methods=["seasonal"])).height == 1
    bigger = with_override(config, "recorded_crime", seasonal={"min_volume": 50.0})
    assert lambeth(run_scan(observations(values), bigger, JUNE, methods=["seasonal"])).height == 0


def _pas(values):
    return observations(values, measure="pas_confidence", category='"Good Job" local', category_group="", family="generic")


def test_the_pas_threshold_override_is_obeyed_and_its_evidence_says_so(config):
    # Without a survey sample size the PAS is judged on percentage points: a 6-point fall
    # passes a 5-point threshold and not an 8-point one, and the evidence names the threshold.
    six_points = _pas([0.76] * 12 + [0.72] * 11 + [0.70])
    five = with_override(config, "pas_confidence", rate={"pp_threshold": 5.0})
    row = lambeth(run_scan(six_points, five, JUNE, methods=["rate"])).row(0, named=True)
    assert row["rule"] == "pp_threshold" and "threshold 5 points" in row["evidence"]
    eight = with_override(config, "pas_confidence", rate={"pp_threshold": 8.0})
    assert lambeth(run_scan(six_points, eight, JUNE, methods=["rate"])).height == 0


def test_a_peer_limit_override_changes_the_standing_shown(config):
    population = {b.name: b.population for b in config.geography.boroughs}
    frames = [
        observations([round(population[name] / 1000 * (1.6 if name == "Lambeth" else 1))] * 24, borough=name)
        for name in ["Southwark", "Camden", "Islington", "Hackney", "Croydon", "Lambeth"]
    ]
    plain = config.model_copy(update={"scan": config.scan.model_copy(update={"peer": config.scan.peer.model_copy(update={"overdispersion": False})})})
    standing = run_scan(combine(*frames), plain, JUNE, methods=["peer"]).peers
    assert "Lambeth" in standing["borough"].to_list()
    loose = with_override(plain, "recorded_crime", peer={"overdispersion": False, "z95": 40.0, "z998": 50.0})
    standing = run_scan(combine(*frames), loose, JUNE, methods=["peer"]).peers
    assert "Lambeth" not in standing["borough"].to_list()
