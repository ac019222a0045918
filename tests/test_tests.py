"""Year on year, seasonal, rates, targets and peers on hand-worked numbers."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from crimefighters.scan import run_scan
from crimefighters.scan.stats import binom_half_cdf, norm_sf, poisson_exact_two_sided
from crimefighters.scan.yoy import window_bounds, window_length
from tests.scan_fixtures import combine, observations

JUNE = date(2026, 6, 1)


# --- the distribution functions ---------------------------------------------------------------


def test_exact_poisson_test_matches_hand_worked_values():
    # 30 against 10: n = 40, P(X >= 30 | n = 40, 1/2) = 0.0011107, two-sided 0.0022214.
    # 4 against 1 (n = 5): P(X >= 4) = (5 + 1)/32, two-sided 0.375.
    # 5 against 0: 2 x (1/2)^5 = 0.0625. Nothing against nothing: 1.
    p = poisson_exact_two_sided(np.array([30, 4, 5, 0, 10]), np.array([10, 1, 0, 0, 10]))
    assert p == pytest.approx([0.0022214337732293643, 0.375, 0.0625, 1.0, 1.0], rel=1e-9)


def test_binomial_tail_agrees_with_scipy_for_large_counts():
    stats = pytest.importorskip("scipy.stats")
    n = np.array([20, 1000, 40_000, 200_000, 7])
    k = np.array([3, 470, 20_350, 99_000, 7])
    assert binom_half_cdf(k, n) == pytest.approx(stats.binom.cdf(k, n, 0.5), rel=1e-8, abs=1e-300)


def test_normal_tail():
    assert norm_sf([0.0, 1.959964, 3.090232]) == pytest.approx([0.5, 0.025, 0.001], rel=1e-5)


# --- windows -----------------------------------------------------------------------------------


def test_financial_year_to_date_runs_from_april():
    assert window_length("fytd", date(2026, 4, 1)) == 1
    assert window_length("fytd", date(2026, 6, 1)) == 3
    assert window_length("fytd", date(2027, 3, 1)) == 12
    assert window_bounds("fytd", date(2026, 6, 1)) == (date(2026, 4, 1), date(2026, 6, 1), date(2025, 4, 1), date(2025, 6, 1))
    assert window_bounds("12", date(2026, 6, 1))[0] == date(2025, 7, 1)


# --- year on year --------------------------------------------------------------------------------


def _yoy(config, values, **kwargs):
    result = run_scan(observations(values, **kwargs), config, JUNE, methods=["yoy"])
    return result


def test_a_rise_from_10_to_30_in_the_month_is_flagged_with_the_exact_test(config):
    # June 2025: 10, June 2026: 30; the other months flat at 10 so only the month window and
    # the windows containing June move.
    values = [10] * 12 + [10] * 11 + [30]
    values[11] = 10
    result = _yoy(config, values)
    month = result.comparisons.filter((pl.col("area") == "Lambeth") & (pl.col("level") == "minor") & (pl.col("window") == "1")).row(0, named=True)
    assert (month["current"], month["previous"], month["change"]) == (30, 10, 20)
    assert month["change_pct"] == pytest.approx(200.0)
    assert month["p_value"] == pytest.approx(0.0022214337732293643)
    assert month["wheeler_z"] == pytest.approx(2 * (30**0.5 - 10**0.5))
    assert month["flagged"]
    row = result.exceptions.row(0, named=True)
    assert row["method"] == "yoy" and row["rule"] == "poisson_exact" and row["assessment"] == "concern"


def test_a_small_count_rise_from_1_to_4_is_never_a_headline(config):
    values = [1] * 24
    values[-1] = 4
    result = _yoy(config, values)
    assert result.exceptions.height == 0
    month = result.comparisons.filter((pl.col("level") == "minor") & (pl.col("window") == "1") & (pl.col("area") == "Lambeth")).row(0, named=True)
    assert month["p_value"] == pytest.approx(0.375)
    assert not month["flagged"]


def test_a_zero_baseline_gives_na_not_infinity(config):
    values = [0] * 12 + [0] * 11 + [25]
    result = _yoy(config, values)
    month = result.comparisons.filter((pl.col("level") == "minor") & (pl.col("window") == "1") & (pl.col("area") == "Lambeth")).row(0, named=True)
    assert month["change_pct"] is None
    row = result.exceptions.row(0, named=True)
    assert row["change_pct"] is None
    assert "(n/a)" in row["evidence"]


def test_below_the_minimum_change_nothing_is_flagged(config):
    # 12 months of 1,000 against 12 of 1,050: p < 0.01 but only a 4.8% fall (< 10%).
    values = [1000] * 12 + [1050] * 12
    values = [1050] * 12 + [1000] * 12
    result = _yoy(config, values)
    twelve = result.comparisons.filter((pl.col("level") == "minor") & (pl.col("window") == "12") & (pl.col("area") == "Lambeth")).row(0, named=True)
    assert twelve["p_value"] < 0.01
    assert not twelve["flagged"]


def test_one_exception_per_series_names_the_other_windows(config):
    values = [100] * 12 + [100] * 9 + [160, 170, 180]
    result = _yoy(config, values)
    lambeth = result.exceptions.filter(pl.col("borough") == "Lambeth")
    assert lambeth.height == 1
    assert "also flagged over" in lambeth["evidence"][0]


def test_comparisons_across_a_recording_break_are_shown_but_not_flagged(config):
    # Domestic abuse rises after the CONNECT change of March 2024: not comparable, not flagged.
    values = [100] * 12 + [200] * 12
    frame = observations(values, end=date(2024, 8, 1), measure="flagged_offences", category="Domestic abuse", category_group="", family="generic")
    result = run_scan(frame, config, date(2024, 8, 1), methods=["yoy"])
    twelve = result.comparisons.filter((pl.col("area") == "Lambeth") & (pl.col("window") == "12") & (pl.col("level") == "minor"))
    assert twelve["p_value"][0] < 1e-6
    assert not twelve["flagged"][0]
    assert "CONNECT" in twelve["break_note"][0]
    assert result.exceptions.height == 0


# --- seasonal ------------------------------------------------------------------------------------


def test_seasonal_baseline_uses_the_same_month_in_previous_years(config):
    # Junes of 2023-2025 were 20 each; June 2026 is 40: z = (40 - 20)/sqrt(20) = 4.47.
    values = [20] * 48
    values[-1] = 40
    result = run_scan(observations(values), config, JUNE, methods=["seasonal"])
    row = result.exceptions.row(0, named=True)
    assert row["method"] == "seasonal" and row["baseline"] == pytest.approx(20)
    assert row["p_value"] == pytest.approx(2 * norm_sf(20 / 20**0.5)[0])
    assert "z = +4.5" in row["evidence"]


def test_seasonal_z_below_the_threshold_is_not_flagged(config):
    values = [20] * 48
    values[-1] = 30  # z = 10 / sqrt(20) = 2.24 < 3
    result = run_scan(observations(values), config, JUNE, methods=["seasonal"])
    assert result.exceptions.height == 0


# --- rates, proportions and targets -------------------------------------------------------------------


def _compliance(numerators, denominators, measure="response_i_compliance", category="I grade"):
    return observations(numerators, measure=measure, category=category, category_group="", family="generic", denominators=denominators)


def test_a_fall_in_compliance_is_tested_with_two_proportions(config):
    # June 2025: 900/1000, June 2026: 800/1000; pooled 0.85, se = sqrt(.85 x .15 x 2/1000)
    # = 0.01597, z = -6.26.
    nums = [900] * 23 + [800]
    dens = [1000] * 24
    result = run_scan(_compliance(nums, dens), config, JUNE, methods=["rate"])
    month = result.comparisons.filter((pl.col("area") == "Lambeth") & (pl.col("window") == "1")).row(0, named=True)
    assert month["z"] == pytest.approx(-0.1 / (0.85 * 0.15 * 2 / 1000) ** 0.5)
    row = result.exceptions.filter(pl.col("method") == "rate").row(0, named=True)
    assert row["rule"] == "two_proportion" and row["assessment"] == "concern"
    assert "-10.0 points" in row["evidence"]


def test_small_denominators_do_not_flag(config):
    # 80/100 against 90/100: z = -1.98, p = 0.048 > 0.01.
    result = run_scan(_compliance([90] * 23 + [80], [100] * 24), config, JUNE, methods=["rate"])
    assert result.exceptions.filter(pl.col("window") == "1").height == 0


def test_a_missed_target_is_a_concern_and_a_newly_met_target_an_improvement(config):
    missed = _compliance([880] * 23 + [850], [1000] * 24)
    met = _compliance([880] * 23 + [910], [1000] * 24)
    met = met.with_columns(borough=pl.lit("Newham"))
    result = run_scan(combine(missed, met), config, JUNE, methods=["target"])
    rows = {r["borough"]: r for r in result.exceptions.iter_rows(named=True)}
    assert rows["Lambeth"]["rule"] == "target_missed" and rows["Lambeth"]["assessment"] == "concern"
    assert "below the target of 90.0%" in rows["Lambeth"]["evidence"]
    assert rows["Newham"]["rule"] == "target_met" and rows["Newham"]["assessment"] == "improvement"


def test_published_percentages_use_a_percentage_point_threshold(config):
    # PAS: 0.76 a year ago, 0.70 now: a 6-point fall beyond the 5-point threshold.
    pas = observations([0.76] * 12 + [0.72] * 11 + [0.70], measure="pas_confidence", category='"Good Job" local', category_group="", family="generic")
    result = run_scan(pas, config, JUNE, methods=["rate"])
    row = result.exceptions.filter(pl.col("window") == "1").row(0, named=True)
    assert row["rule"] == "pp_threshold" and row["assessment"] == "concern"
    small = observations([0.74] * 23 + [0.70], measure="pas_confidence", category='"Good Job" local', category_group="", family="generic")
    assert run_scan(small, config, JUNE, methods=["rate"]).exceptions.filter(pl.col("window") == "1").height == 0


# --- peers ---------------------------------------------------------------------------------------


def test_a_borough_far_above_the_london_rate_is_outside_the_funnel(config):
    # Five boroughs at 1 offence per 1,000 residents a month and Lambeth at 3: London's rate
    # is pulled up a little, Lambeth is far beyond the 99.8% limit.
    config = config.model_copy(update={"scan": config.scan.model_copy(update={"peer": config.scan.peer.model_copy(update={"overdispersion": False})})})
    population = {b.name: b.population for b in config.geography.boroughs}
    frames = []
    for name in ["Southwark", "Camden", "Islington", "Hackney", "Croydon", "Lambeth"]:
        per_month = population[name] / 1000 * (3 if name == "Lambeth" else 1)
        frames.append(observations([round(per_month)] * 24, borough=name))
    result = run_scan(combine(*frames), config, JUNE, methods=["peer"])
    peers = result.exceptions.filter(pl.col("method") == "peer")
    assert set(peers["borough"]) >= {"Lambeth"}
    row = peers.filter(pl.col("borough") == "Lambeth").row(0, named=True)
    assert row["rule"] == "funnel_998" and row["direction"] == "up"
    assert row["value"] == pytest.approx(round(population["Lambeth"] / 1000 * 3) * 12 / population["Lambeth"] * 1000)


def test_a_rate_on_a_handful_of_cases_a_month_is_not_charted_for_exceptions(config):
    # 1-3 positive outcomes a month out of ~70 burglaries: a jump to 5 is above the limits but
    # rests on too few cases (mean numerator under spc.min_mean).
    nums = [1, 2, 1, 3, 2, 1, 2, 1, 2, 3, 1, 2, 1, 2, 1, 3, 2, 1, 2, 1, 2, 3, 1, 6]
    result = run_scan(_compliance(nums, [70] * 24, measure="positive_outcome_rate", category="All"), config, JUNE, methods=["spc"])
    assert result.exceptions.height == 0
    assert result.points.filter(pl.col("area") == "Lambeth").height == 24  # still charted for drill-down


def test_police_uk_outcomes_and_crimes_give_a_positive_outcome_rate(real, config):
    from crimefighters.data import load_dataset

    folder = real / "police_uk_met_burglary_street_outcomes"
    files = sorted(folder.glob("2023-0[34]-*"))
    dataset = load_dataset(files, config)
    obs = dataset.observations
    rate = obs.filter(pl.col("measure") == "positive_outcome_rate")
    assert rate["borough"].n_unique() >= 30
    row = rate.filter((pl.col("borough") == "Lambeth") & (pl.col("month") == date(2023, 3, 1))).row(0, named=True)
    positive = obs.filter((pl.col("measure") == "positive_outcomes") & (pl.col("borough") == "Lambeth") & (pl.col("month") == date(2023, 3, 1)))["value"].sum()
    crimes = obs.filter((pl.col("measure") == "street_crime") & (pl.col("borough") == "Lambeth") & (pl.col("month") == date(2023, 3, 1)))["value"].sum()
    assert (row["value"], row["denominator"]) == (positive, crimes)
    assert row["source"].startswith("derived")
