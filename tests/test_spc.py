"""SPC (XmR, Making Data Count rules) on small series whose answers were worked out by hand.

Each test states the arithmetic: centre line, moving ranges, limits, and why a rule fires.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from crimefighters.config.models import SPCSettings
from crimefighters.scan import run_scan
from crimefighters.scan.spc import assurance, spc_points
from tests.scan_fixtures import observations


def chart(values, direction="down", settings=None, rebase=None):
    months = pl.date_range(date(2024, 1, 1), date(2024, 1, 1), "1mo", eager=True)
    months = [date(2024 + (i // 12), i % 12 + 1, 1) for i in range(len(values))]
    frame = pl.DataFrame(
        {
            "k": ["s"] * len(values),
            "month": months,
            "value": [float(v) for v in values],
            "direction": [direction] * len(values),
            "rebase": rebase or [False] * len(values),
        }
    )
    return spc_points(frame, ["k"], settings or SPCSettings(), rebase_col="rebase")


def test_a_spike_beyond_the_upper_limit_is_outside_limits():
    # mean = 157/12 = 13.0833; moving ranges 2,1,2,1,1,1,2,1,2,1,18 (sum 32, mean 2.909);
    # screening drops 18 >= 3.267 x 2.909 = 9.50, so AmR = 14/10 = 1.4;
    # upper limit = 13.0833 + 2.66 x 1.4 = 16.807; 30 is above it.
    points = chart([10, 12, 11, 13, 12, 11, 10, 12, 13, 11, 12, 30])
    last = points.row(-1, named=True)
    assert last["mean"] == pytest.approx(157 / 12)
    assert last["amr"] == pytest.approx(1.4)
    assert last["upl"] == pytest.approx(157 / 12 + 2.66 * 1.4)
    assert last["lpl"] == pytest.approx(157 / 12 - 2.66 * 1.4)
    assert last["special_cause_type"] == "Above UCL"
    assert last["point_type"] == "special_cause_concern"  # fewer offences is better


def test_without_screening_the_spike_widens_the_limits():
    # AmR = 32/11 = 2.909; upper limit = 13.083 + 7.738 = 20.82: 30 is still above it.
    points = chart([10, 12, 11, 13, 12, 11, 10, 12, 13, 11, 12, 30], settings=SPCSettings(screen_moving_ranges=False))
    last = points.row(-1, named=True)
    assert last["amr"] == pytest.approx(32 / 11)
    assert last["upl"] == pytest.approx(157 / 12 + 2.66 * 32 / 11)


def test_the_eleven_points_below_the_mean_before_the_spike_are_a_shift():
    points = chart([10, 12, 11, 13, 12, 11, 10, 12, 13, 11, 12, 30])
    assert points["special_cause_type"].to_list()[:11] == ["7 Points Below CL"] * 11


def test_seven_rising_points_are_a_trend_and_the_whole_run_is_flagged():
    # mean = 163/13 = 12.54; AmR = (6 x 4 + 6 x 1)/12 = 2.5; limits 5.89..19.19, near band
    # 8.10..16.97: nothing outside or near. The last 7 points 10..16 rise 6 times in a row.
    points = chart([10, 14, 10, 14, 10, 14, 10, 11, 12, 13, 14, 15, 16], direction="down")
    types = points["special_cause_type"].to_list()
    assert types[6:] == ["7 Point Trend (Increasing)"] * 7
    assert types[5] == "Common Cause"  # 14 -> 10 is a fall: not part of the run
    assert points["point_type"][-1] == "special_cause_concern"


def test_a_tie_breaks_a_trend():
    # ... 10, 11, 12, 12, 13, 14, 15: the repeated 12 breaks the run; mean 159/13 = 12.23,
    # AmR 29/12 = 2.417, near band up to 16.52: the last point is common cause.
    points = chart([10, 14, 10, 14, 10, 14, 10, 11, 12, 12, 13, 14, 15])
    assert points["special_cause_type"][-1] == "Common Cause"
    assert "7 Point Trend (Increasing)" not in points["special_cause_type"].to_list()


def test_two_of_three_near_the_upper_limit_flags_only_the_near_points():
    # 9,11 x5 then 16,12,16: mean 144/13 = 11.077; moving ranges 2 x 9, 5, 4, 4 -> AmR 31/12;
    # near band above 11.077 + 1.7733 x 2.583 = 15.66, limit 17.95: both 16s are near, not
    # outside; 12 is above the mean, so all three are on one side.
    points = chart([9, 11, 9, 11, 9, 11, 9, 11, 9, 11, 16, 12, 16], direction="down")
    types = points["special_cause_type"].to_list()
    assert types[-3:] == ["2 in 3 Above CL", "Common Cause", "2 in 3 Above CL"]
    assert points["point_type"][-1] == "special_cause_concern"


def test_two_of_three_needs_all_three_on_one_side():
    # 18, 9, 18 after the same base: mean 145/13 = 11.154; moving ranges 2 x 9, 7, 9, 9 ->
    # AmR 43/12 = 3.583; near band 17.51..20.69 holds both 18s, but 9 is below the mean, so
    # no window of three has all its points on one side.
    points = chart([9, 11, 9, 11, 9, 11, 9, 11, 9, 11, 18, 9, 18])
    last = points.row(-1, named=True)
    assert last["mean"] == pytest.approx(145 / 13)
    assert last["amr"] == pytest.approx(43 / 12)
    assert last["nupl"] < 18 < last["upl"]
    assert last["special_cause_type"] == "Common Cause"


def test_seven_points_above_the_mean_are_a_shift():
    # 7,13,7,13,4 then seven 11s: mean 121/12 = 10.083, every 11 is above it.
    points = chart([7, 13, 7, 13, 4, 11, 11, 11, 11, 11, 11, 11], direction="up")
    assert points["special_cause_type"].to_list()[-7:] == ["7 Points Above CL"] * 7
    assert points["point_type"][-1] == "special_cause_improvement"


def test_a_point_exactly_on_the_mean_breaks_a_shift():
    # Same series with a 10 in the middle: the sum is 120, the mean exactly 10; the 10 sits on
    # the mean and splits the 11s into runs of 3.
    points = chart([7, 13, 7, 13, 4, 11, 11, 11, 10, 11, 11, 11], direction="up")
    assert points["mean"][0] == pytest.approx(10.0)
    assert points["special_cause_type"][-1] == "Common Cause"


def test_a_neutral_measure_gives_neutral_high():
    points = chart([10, 12, 11, 13, 12, 11, 10, 12, 13, 11, 12, 30], direction="neutral")
    assert points["point_type"][-1] == "special_cause_neutral_high"


def test_rebasing_starts_new_limits():
    values = [10, 11, 10, 11, 10, 11, 20, 21, 20, 21, 20, 21]
    rebase = [False] * 6 + [True] + [False] * 5
    points = chart(values, rebase=rebase)
    assert points["mean"][0] == pytest.approx(10.5)
    assert points["mean"][-1] == pytest.approx(20.5)
    assert set(points["special_cause_type"]) == {"Common Cause"}


def test_assurance_against_a_target():
    # I-grade compliance (higher is better), limits 0.80..0.88
    assert assurance("up", 0.90, 0.80, 0.88) == "consistent_fail"
    assert assurance("up", 0.75, 0.80, 0.88) == "consistent_pass"
    assert assurance("up", 0.85, 0.80, 0.88) == "inconsistent"
    assert assurance("down", 0.90, 0.80, 0.88) == "consistent_pass"
    assert assurance("neutral", 0.90, 0.80, 0.88) is None


def boroughs(result) -> pl.DataFrame:
    return result.findings.filter(pl.col("area_type") == "borough")


def test_a_robbery_spike_in_lambeth_in_the_scan_month_is_flagged_as_a_concern(config):
    values = [40, 42, 38, 41, 39, 40, 43, 37, 41, 40, 39, 42, 38, 40, 41, 39, 42, 40, 38, 41, 40, 39, 41, 70]
    result = run_scan(observations(values), config, date(2026, 6, 1), methods=["spc"])
    # The category, its major group, the total and two robbery priorities are the same series
    # here: one finding, named by Lambeth's own priority (Robbery).
    found = boroughs(result)
    assert found.height == 1
    row = found.row(0, named=True)
    assert (row["borough"], row["name"], row["level"]) == ("Lambeth", "Robbery", "priority")
    assert (row["rule"], row["assessment"], row["direction"]) == ("outside_limits", "concern", "up")
    assert row["baseline"] == pytest.approx(sum(values) / 24)
    assert "above the upper process limit" in row["evidence"]
    assert "June 2026" in row["evidence"]
    assert "Robbery" not in row["related"].split("; ")  # a series is never listed as related to itself


def test_under_twelve_points_the_evidence_says_trial_limits(config):
    values = [40, 42, 38, 41, 39, 40, 43, 37, 70]
    result = run_scan(observations(values), config, date(2026, 6, 1), methods=["spc"])
    row = boroughs(result).row(0, named=True)
    assert "trial limits" in row["evidence"]


# 23 months around 40,000 (+/- 300, in no order), then a fall to 39,000 (-2.4%).
NOISE = [231, -117, 298, -260, 44, 171, -289, 12, -95, 267, -201, 150, -33, 86, -178, 240, -56, 122, -244, 9, 193, -131, 61]


def test_a_drop_in_a_provisional_month_within_the_usual_revision_is_not_a_finding(config):
    # Beyond the lower process limit and far beyond chance for a count this size, but with the
    # usual 3% revision put back (40,170) it is no drop at all: not a finding while provisional.
    values = [40_000 + n for n in NOISE] + [39_000]
    final = run_scan(observations(values, provisional_last=False), config, date(2026, 6, 1), methods=["spc"])
    assert boroughs(final).height == 1
    assert boroughs(final)["rule"][0] == "outside_limits"
    provisional = run_scan(observations(values, provisional_last=True), config, date(2026, 6, 1), methods=["spc"])
    assert boroughs(provisional).height == 0
    chart = provisional.points.filter((pl.col("area") == "Lambeth") & (pl.col("level") == "minor") & (pl.col("month") == date(2026, 6, 1)))
    assert chart["special_cause_type"][0] == "Below LCL"  # the chart itself is shown as it is


def test_small_counts_are_not_charted_for_exceptions(config):
    values = [1, 0, 2, 1, 0, 1, 1, 0, 2, 1, 0, 1, 1, 0, 2, 1, 0, 1, 1, 0, 2, 1, 0, 6]
    result = run_scan(observations(values), config, date(2026, 6, 1), methods=["spc"])
    assert result.findings.height == 0


def test_gaps_inside_the_window_are_zero_filled_for_counts_not_dropped(config):
    values = [40, 42, 38, 41, 39, 40, 43, 37, 41, 40, 39, 42, 38, 40, 41, 39, 42, 40, 38, 41, 40, 39, 41, 40]
    frame = observations(values).filter(pl.col("month") != date(2025, 12, 1))
    result = run_scan(frame, config, date(2026, 6, 1), methods=["spc"])
    chart_points = result.points.filter((pl.col("area") == "Lambeth") & (pl.col("level") == "minor"))
    assert chart_points.height == 24
    assert chart_points.filter(pl.col("month") == date(2025, 12, 1))["value"][0] == 0.0


def test_the_last_point_of_every_window_matches_the_full_chart_on_real_series(real, config):
    # The scan classifies each month as the last point of its own 24-month chart in one
    # rolling pass (spc.latest_points); the full chart (spc.spc_points, NHSRplotthedots) cut
    # at that month must say the same, for every series of two boroughs, every month, with a
    # rebase in the middle for some of them.
    from crimefighters.data import load_dataset
    from crimefighters.scan.grid import index_series, monthly_grid
    from crimefighters.scan.series import build_series
    from crimefighters.scan.spc import latest_points, spc_points

    path = real / "mps_borough_crime/historical/MPS_Borough_Level_Crime_Historical__201004-202201__jn607.csv"
    dataset = load_dataset([path], config)
    obs = dataset.observations.filter(pl.col("borough").is_in(["Lambeth", "Sutton"]))
    series = build_series(obs, config, date(2022, 1, 1), start=date(2018, 1, 1))
    keys, values = index_series(series.filter(pl.col("area_type") == "borough"))
    grid = monthly_grid(values, keys, date(2018, 1, 1), date(2022, 1, 1)).join(keys.select("sid", "direction"), on="sid")
    grid = grid.with_columns(rebase=(pl.col("month") == date(2020, 3, 1)) & (pl.col("sid") % 3 == 0))
    settings = config.scan.spc
    fast = latest_points(grid.select("sid", "mi", "month", "value", "direction", "rebase"), settings, rebase_col="rebase")
    checked = 0
    for end in [date(2020 + (m // 12), m % 12 + 1, 1) for m in range(0, 25, 3)]:
        end_index = end.year * 12 + end.month - 1
        window = grid.filter((pl.col("mi") <= end_index) & (pl.col("mi") > end_index - settings.window))
        window = window.with_columns(rebase=pl.col("rebase") & (pl.col("mi") != pl.col("mi").min().over("sid")))
        full = spc_points(window.select("sid", "month", "value", "direction", "rebase"), ["sid"], settings, rebase_col="rebase")
        last = full.filter(pl.col("month") == end).sort("sid")
        mine = fast.filter(pl.col("month") == end).sort("sid")
        assert last["sid"].to_list() == mine["sid"].to_list()
        assert last["special_cause_type"].to_list() == mine["special_cause_type"].to_list(), end
        for column in ("mean", "lpl", "upl", "nlpl", "nupl"):
            assert mine[column].to_list() == pytest.approx(last[column].to_list(), rel=1e-9, abs=1e-9), (end, column)
        assert mine["group_points"].to_list() == last["group_points"].to_list()
        checked += last.height
    assert checked > 1000
    assert len(set(fast["special_cause_type"])) >= 5  # the rules actually fire in this data


def test_a_month_left_out_of_the_limits_gives_the_limits_of_the_series_without_it():
    # 12 months with a carnival spike (40) in month 5, annotated and left out. Without it:
    # mean 127/11 = 11.545; moving ranges of the 11 others in order (13 -> 12 across the gap):
    # 2, 1, 2, 1, 1, 1, 2, 1, 2, 1 = 14 over 10 = 1.4 (none >= 3.267 x 1.4): limits
    # 11.545 +/- 2.66 x 1.4 = 7.821 .. 15.269. With it: mean 13.917 and limits to 17.76.
    values = [10, 12, 11, 13, 40, 12, 11, 10, 12, 13, 11, 12]
    excluded = [False] * 4 + [True] + [False] * 7
    frame = pl.DataFrame(
        {
            "series": ["s"] * 12,
            "month": [date(2025, m, 1) for m in range(1, 13)],
            "value": [float(v) for v in values],
            "direction": ["down"] * 12,
            "excluded": excluded,
        }
    )
    points = spc_points(frame, ["series"], SPCSettings(), exclude_col="excluded").sort("month")
    assert points.height == 12  # the left-out month is still on the chart
    assert points["mean"].to_list() == pytest.approx([127 / 11] * 12)
    assert points["upl"][0] == pytest.approx(127 / 11 + 2.66 * 1.4)
    assert points["lpl"][0] == pytest.approx(127 / 11 - 2.66 * 1.4)
    assert points["special_cause_type"][4] == "Excluded from limits"
    assert set(points["special_cause_type"].to_list()) - {"Excluded from limits"} == {"Common Cause"}
    with_it = spc_points(frame.drop("excluded"), ["series"], SPCSettings())
    assert with_it["mean"][0] == pytest.approx(167 / 12)


def test_an_analysts_baseline_fixes_the_limits_to_its_months():
    # Baseline: the first 6 months, 10 11 10 11 10 11: mean 10.5, moving ranges all 1, limits
    # 10.5 +/- 2.66. The later months at 14 sit above the upper limit 13.16: a special cause
    # that limits drawn from all 12 months (mean 12.25) would not show.
    values = [10, 11, 10, 11, 10, 11, 14, 14, 14, 14, 14, 14]
    frame = pl.DataFrame(
        {
            "series": ["s"] * 12,
            "month": [date(2025, m, 1) for m in range(1, 13)],
            "value": [float(v) for v in values],
            "direction": ["down"] * 12,
            "baseline": [True] * 6 + [False] * 6,
        }
    )
    points = spc_points(frame, ["series"], SPCSettings(), baseline_col="baseline").sort("month")
    assert points["mean"][0] == pytest.approx(10.5)
    assert points["upl"][0] == pytest.approx(10.5 + 2.66)
    assert points["special_cause_type"][-1] == "Above UCL"


def test_assurance_for_every_series_at_once_is_assurance_one_by_one():
    from crimefighters.scan.spc import assurance_expr

    nan = float("nan")
    cases = [
        ("up", 90.0, 80.0, 95.0), ("up", 99.0, 80.0, 95.0), ("up", 70.0, 80.0, 95.0), ("down", 99.0, 80.0, 95.0),
        ("down", 70.0, 80.0, 95.0), ("neutral", 99.0, 80.0, 95.0), ("up", None, 80.0, 95.0), ("up", 90.0, None, None),
        ("down", nan, 80.0, 95.0), ("up", 90.0, nan, 95.0),
    ]  # fmt: skip
    frame = pl.DataFrame(cases, schema=["direction", "target", "lpl", "upl"], orient="row")
    expected = [assurance(d, t, lo, hi) if lo is not None and hi is not None else None for d, t, lo, hi in cases]
    assert frame.select(assurance_expr())["assurance"].to_list() == expected
