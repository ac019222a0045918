"""Seasonal, year on year, rates, targets and peers on hand-worked numbers.

Every expected p-value here is worked out independently of the code under test: from
binomial sums with ``math.comb``, or the normal tail of a z computed by hand.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import polars as pl
import pytest

from crimefighters.scan import run_scan
from crimefighters.scan.grid import window_bounds, window_length
from crimefighters.scan.stats import (
    binom_half_cdf,
    conditional_poisson_p,
    norm_sf,
    poisson_exact_two_sided,
    poisson_tail_p,
)
from tests.scan_fixtures import combine, observations

JUNE = date(2026, 6, 1)


def binomial_two_sided(k: int, n: int, share: float) -> float:
    """min(1, 2 min(P(X <= k), P(X >= k))) for X ~ Binomial(n, share), summed term by term."""
    pmf = [math.comb(n, i) * share**i * (1 - share) ** (n - i) for i in range(n + 1)]
    return min(1.0, 2 * min(sum(pmf[: k + 1]), sum(pmf[k:])))


def normal_two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


# --- the distribution functions ---------------------------------------------------------------


def test_exact_poisson_test_matches_hand_worked_values():
    # 30 against 10: n = 40, P(X >= 30 | n = 40, 1/2) = 0.0011107, two-sided 0.0022214.
    # 4 against 1 (n = 5): P(X >= 4) = (5 + 1)/32, two-sided 0.375.
    # 5 against 0: 2 x (1/2)^5 = 0.0625. Nothing against nothing: 1.
    p = poisson_exact_two_sided(np.array([30, 4, 5, 0, 10]), np.array([10, 1, 0, 0, 10]))
    assert p == pytest.approx([0.0022214337732293643, 0.375, 0.0625, 1.0, 1.0], rel=1e-9)


def test_the_conditional_test_with_unequal_exposure_and_extra_variation():
    # A month of 40 against 60 in three earlier years: share 1/4, n = 100.
    assert conditional_poisson_p(np.array([40]), np.array([60]), 0.25)[0] == pytest.approx(
        binomial_two_sided(40, 100, 0.25), rel=1e-9
    )
    # With twice Poisson's variance the counts are halved: 15 against 5 with share 1/2.
    assert conditional_poisson_p(np.array([30]), np.array([10]), 0.5, 2.0)[0] == pytest.approx(
        binomial_two_sided(15, 20, 0.5), rel=1e-9
    )


def test_a_count_far_above_its_mean_scores_by_the_poisson_tail_not_the_normal():
    # The audit's example: 40 on a mean of 19.2. P(X >= 40 | Poisson(19.2)), two-sided.
    upper = 1 - sum(math.exp(-19.2) * 19.2**i / math.factorial(i) for i in range(40))
    assert poisson_tail_p(np.array([40]), np.array([19.2]))[0] == pytest.approx(2 * upper, rel=1e-8)
    assert 2 * upper > 1e-5  # a normal tail on the XmR sigma scored it about 1e-14


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
    assert window_bounds("fytd", date(2026, 6, 1)) == (
        date(2026, 4, 1),
        date(2026, 6, 1),
        date(2025, 4, 1),
        date(2025, 6, 1),
    )
    assert window_bounds("12", date(2026, 6, 1))[0] == date(2025, 7, 1)


# --- year on year --------------------------------------------------------------------------------


def lambeth(result, **where) -> pl.DataFrame:
    frame = result.findings.filter(pl.col("borough") == "Lambeth")
    for column, value in where.items():
        frame = frame.filter(pl.col(column) == value)
    return frame


def test_a_rise_over_12_months_is_one_finding_tested_exactly(config):
    # 12 flat months of 100, then 12 of 130: 1,560 against 1,200 over the rolling 12 months.
    # The series varies no more than Poisson (flat history), so the test is the exact one.
    values = [100] * 12 + [130] * 12
    result = run_scan(observations(values), config, JUNE, methods=["yoy"])
    twelve = result.comparisons.filter(
        (pl.col("area") == "Lambeth") & (pl.col("level") == "minor") & (pl.col("window") == "12")
    ).row(0, named=True)
    assert (twelve["current"], twelve["previous"], twelve["change"]) == (1560, 1200, 360)
    assert twelve["p_value"] == pytest.approx(
        poisson_exact_two_sided(np.array([1560]), np.array([1200]))[0]
    )
    row = lambeth(result).row(0, named=True)
    assert (row["method"], row["rule"], row["assessment"], row["direction"]) == (
        "yoy",
        "poisson_exact",
        "concern",
        "up",
    )
    assert (
        lambeth(result).height == 1
    )  # the category, its major group and the priorities: one finding


def test_a_small_count_rise_from_1_to_4_is_never_a_headline(config):
    values = [1] * 23 + [4]
    result = run_scan(observations(values), config, JUNE, methods=["seasonal", "yoy"])
    assert result.findings.height == 0


def test_a_zero_baseline_gives_na_not_infinity(config):
    values = [0] * 12 + [0] * 11 + [25]
    result = run_scan(observations(values), config, JUNE, methods=["yoy"])
    row = lambeth(result).row(0, named=True)
    assert row["change_pct"] is None
    assert "(n/a)" in row["evidence"]


def test_below_the_minimum_change_nothing_is_a_finding(config):
    # 12 months of 1,050 against 12 of 1,000: p < 0.01 but only a 4.8% fall (< 10%).
    values = [1050] * 12 + [1000] * 12
    result = run_scan(observations(values), config, JUNE, methods=["yoy"])
    twelve = result.comparisons.filter(
        (pl.col("level") == "minor") & (pl.col("window") == "12") & (pl.col("area") == "Lambeth")
    ).row(0, named=True)
    assert twelve["p_value"] < 0.01
    assert result.findings.height == 0


def test_comparisons_across_a_recording_break_are_shown_but_never_a_finding(config):
    # Domestic abuse rises after the CONNECT change of March 2024: not comparable.
    values = [100] * 12 + [200] * 12
    frame = observations(
        values,
        end=date(2024, 8, 1),
        measure="flagged_offences",
        category="Domestic abuse",
        category_group="",
        family="generic",
    )
    result = run_scan(frame, config, date(2024, 8, 1), methods=["yoy"])
    twelve = result.comparisons.filter(
        (pl.col("area") == "Lambeth") & (pl.col("window") == "12") & (pl.col("level") == "minor")
    )
    assert twelve["p_value"][0] < 1e-6
    assert "CONNECT" in twelve["break_note"][0]
    assert result.findings.height == 0


# --- seasonal ------------------------------------------------------------------------------------


def test_a_month_against_the_same_month_of_three_earlier_years(config):
    # Junes of 2023-2025 were 20 each (60 in all); June 2026 is 40: X ~ Binomial(100, 1/4).
    values = [20] * 48
    values[-1] = 40
    result = run_scan(observations(values), config, JUNE, methods=["seasonal"])
    row = lambeth(result).row(0, named=True)
    assert (row["method"], row["window"]) == ("seasonal", "1")
    assert row["baseline"] == pytest.approx(20)
    assert row["p_value"] == pytest.approx(binomial_two_sided(40, 100, 0.25), rel=1e-9)
    assert "the same month of the previous 3 years" in row["evidence"]


def test_with_only_a_year_of_history_the_month_is_compared_with_last_year(config):
    values = [20] * 24
    values[-1] = 50
    result = run_scan(observations(values), config, JUNE, methods=["seasonal"])
    row = lambeth(result).row(0, named=True)
    assert row["p_value"] == pytest.approx(binomial_two_sided(50, 70, 0.5), rel=1e-9)
    assert "against 20 in the same month a year earlier" in row["evidence"]


def test_a_month_within_chance_of_its_baseline_is_not_a_finding(config):
    values = [20] * 48
    values[-1] = 30  # p = 0.15 against three years of 20
    result = run_scan(observations(values), config, JUNE, methods=["seasonal"])
    assert result.findings.height == 0


def test_a_series_that_varies_more_than_poisson_needs_more_evidence(config):
    # The same rise to 40 on a baseline of 20, first on a steady series, then on one whose
    # months swing by about +/-8 around 20 year on year: phi > 1, the p-value grows.
    steady = [20] * 47 + [40]
    swinging = [20 + (8 if i % 2 else -8) for i in range(47)] + [40]
    p = {}
    for name, values in (("steady", steady), ("swinging", swinging)):
        result = run_scan(observations(values), config, JUNE, methods=["seasonal"])
        tests = result.tests.filter(
            (pl.col("area") == "Lambeth") & (pl.col("level") == "minor") & (pl.col("window") == "1")
        )
        p[name] = tests["p_value"][0] if tests.height else 1.0
    assert p["swinging"] > 5 * p["steady"]


# --- rates, proportions and targets -------------------------------------------------------------------


def _compliance(numerators, denominators, measure="response_i_compliance", category="I grade"):
    return observations(
        numerators,
        measure=measure,
        category=category,
        category_group="",
        family="generic",
        denominators=denominators,
    )


def test_a_fall_in_compliance_is_tested_with_two_proportions(config):
    # June 2025: 900/1000, June 2026: 800/1000; pooled 0.85, se = sqrt(.85 x .15 x 2/1000)
    # = 0.01597, z = -6.26.
    nums = [900] * 23 + [800]
    dens = [1000] * 24
    result = run_scan(_compliance(nums, dens), config, JUNE, methods=["rate"])
    test = result.tests.filter(
        (pl.col("area") == "Lambeth") & (pl.col("method") == "rate") & (pl.col("window") == "1")
    ).row(0, named=True)
    z = -0.1 / (0.85 * 0.15 * 2 / 1000) ** 0.5
    assert test["p_value"] == pytest.approx(normal_two_sided(z), rel=1e-6)
    row = lambeth(result).row(0, named=True)
    assert row["method"] == "rate" and row["assessment"] == "concern"
    assert "-10.0 points" in row["evidence"]


def test_small_denominators_do_not_make_a_finding(config):
    # 80/100 against 90/100: z = -1.98, p = 0.048 > 0.01.
    result = run_scan(_compliance([90] * 23 + [80], [100] * 24), config, JUNE, methods=["rate"])
    assert result.findings.height == 0


def test_a_low_rate_halving_is_a_finding_though_it_moves_under_two_points(config):
    # Positive outcomes: 1.5% of 1,000 offences a month, falling to 0.1%: 1.4 points, but
    # 15 times fewer. On 15 + 1 outcomes the exact test on the rare side: Binomial(16, 1/2).
    nums = [15] * 20 + [1] * 4
    dens = [1_000] * 24
    frame = _compliance(nums, dens, measure="positive_outcome_rate", category="All")
    frame = frame.with_columns(provisional=pl.lit(False))
    config = config.model_copy(
        update={"outcomes": config.outcomes.model_copy(update={"provisional_months": 0})}
    )
    result = run_scan(frame, config, JUNE, methods=["rate"])
    rows = result.tests.filter((pl.col("area") == "Lambeth") & (pl.col("window") == "1"))
    assert rows["rule"][0] == "exact_rate"
    assert rows["p_value"][0] == pytest.approx(binomial_two_sided(1, 16, 0.5), rel=1e-9)
    assert lambeth(result).row(0, named=True)["assessment"] == "concern"


def test_recent_positive_outcome_months_are_provisional_and_their_falls_are_not_tested(config):
    nums = [150] * 20 + [10] * 4
    frame = _compliance(nums, [10_000] * 24, measure="positive_outcome_rate", category="All")
    result = run_scan(frame, config, JUNE, methods=["rate"])
    assert result.findings.height == 0
    month = result.tests.filter((pl.col("area") == "Lambeth") & (pl.col("window") == "1"))
    assert month.height == 0 or month["p_value"][0] is None


def test_a_missed_target_is_a_concern_and_a_newly_met_target_an_improvement(config):
    missed = _compliance([880] * 23 + [850], [1000] * 24)
    met = _compliance([880] * 23 + [910], [1000] * 24).with_columns(borough=pl.lit("Newham"))
    result = run_scan(combine(missed, met), config, JUNE, methods=["target"])
    rows = {
        r["borough"]: r
        for r in result.findings.filter(pl.col("area_type") == "borough").iter_rows(named=True)
    }
    assert rows["Lambeth"]["rule"] == "target_missed" and rows["Lambeth"]["assessment"] == "concern"
    assert "below the target of 90.0%" in rows["Lambeth"]["evidence"]
    assert rows["Newham"]["rule"] == "target_met" and rows["Newham"]["assessment"] == "improvement"


def _pas(values):
    return observations(
        values,
        measure="pas_confidence",
        category='"Good Job" local',
        category_group="",
        family="generic",
    )


def test_the_pas_is_tested_on_its_survey_samples(config):
    # 400 respondents a year: 0.76 -> 0.70 is z = -0.06 / sqrt(.76 x .24/400 + .7 x .3/400)
    # = -1.91 (p = 0.056): chance. 0.76 -> 0.66 is z = -3.14 (p = 0.0017): a finding.
    assert (
        run_scan(
            _pas([0.76] * 12 + [0.72] * 11 + [0.70]), config, JUNE, methods=["rate"]
        ).findings.height
        == 0
    )
    result = run_scan(_pas([0.76] * 12 + [0.70] * 11 + [0.66]), config, JUNE, methods=["rate"])
    row = lambeth(result).row(0, named=True)
    z = -0.10 / math.sqrt(0.76 * 0.24 / 400 + 0.66 * 0.34 / 400)
    assert row["rule"] == "survey" and row["assessment"] == "concern"
    assert row["p_value"] == pytest.approx(normal_two_sided(z), rel=1e-6)


# --- peers ---------------------------------------------------------------------------------------


def _six_boroughs(config, lambeth_factor: float, months: int = 24):
    population = {b.name: b.population for b in config.geography.boroughs}
    frames = []
    for name in ["Southwark", "Camden", "Islington", "Hackney", "Croydon", "Lambeth"]:
        per_month = population[name] / 1000 * (lambeth_factor if name == "Lambeth" else 1)
        frames.append(observations([round(per_month)] * months, borough=name))
    return combine(*frames)


def test_a_borough_far_above_the_london_rate_is_standing_context_not_a_finding(config):
    # Five boroughs at 1 offence per 1,000 residents a month and Lambeth at 3 for two years:
    # London's rate is that of the six boroughs loaded; Lambeth is far beyond the 99.8% limit,
    # and has been all along: context beside the findings, not one of them.
    config = config.model_copy(
        update={
            "scan": config.scan.model_copy(
                update={"peer": config.scan.peer.model_copy(update={"overdispersion": False})}
            )
        }
    )
    population = {b.name: b.population for b in config.geography.boroughs}
    result = run_scan(_six_boroughs(config, 3), config, JUNE, methods=["peer"])
    row = result.peers.filter(pl.col("borough") == "Lambeth").row(0, named=True)
    assert row["z"] > 3.09
    assert row["rate"] == pytest.approx(
        round(population["Lambeth"] / 1000 * 3) * 12 / population["Lambeth"] * 1000
    )
    six = ["Southwark", "Camden", "Islington", "Hackney", "Croydon", "Lambeth"]
    london = (
        sum(round(population[b] / 1000 * (3 if b == "Lambeth" else 1)) * 12 for b in six)
        / sum(population[b] for b in six)
        * 1000
    )
    assert row["london_rate"] == pytest.approx(london)
    assert lambeth(result).height == 0
