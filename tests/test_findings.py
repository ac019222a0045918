"""Findings: one line per event, named as a chair knows it, with a status across months.

Series are built by hand; synthetic London-wide data (tests/synthetic.py) checks the false
alarm rate and that a planted change is found once.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from crimefighters.scan import run_scan
from crimefighters.scan.adjustments import SPCInputs
from tests.scan_fixtures import combine, observations

JUNE = date(2026, 6, 1)
# 36 steady months around 100 with no calendar pattern, so any jump below stands out.
NOISE = [
    2,
    -1,
    3,
    -3,
    0,
    2,
    -3,
    0,
    -1,
    3,
    -2,
    2,
    0,
    1,
    -2,
    2,
    -1,
    1,
    -2,
    0,
    2,
    -1,
    1,
    -3,
    1,
    0,
    2,
    -2,
    3,
    -1,
    0,
    -3,
    2,
    1,
    -2,
    0,
]
STEADY = [100 + n for n in NOISE]


def borough(result, name="Lambeth") -> pl.DataFrame:
    return result.findings.filter(pl.col("borough") == name)


def with_spikes(months_back: list[int], size: float = 1.6, values=STEADY) -> list[float]:
    values = list(values)
    for back in months_back:
        values[-1 - back] = round(values[-1 - back] * size)
    return values


def test_a_steady_series_has_no_finding(config):
    assert borough(run_scan(observations(STEADY), config, JUNE)).height == 0


def test_a_new_spike_is_new_and_one_running_two_months_is_continuing(config):
    new = borough(run_scan(observations(with_spikes([0])), config, JUNE))
    assert new.height == 1 and new["status"][0] == "new" and new["months_running"][0] == 1
    running = borough(run_scan(observations(with_spikes([0, 1])), config, JUNE))
    assert running.height == 1
    assert (running["status"][0], running["months_running"][0]) == ("continuing", 2)
    assert running["finding_id"][0] == new["finding_id"][0]  # the same event, the same id


def test_a_finding_that_comes_back_after_quiet_months_has_returned(config):
    # a one-month spike stays in the rolling 3 months for three months: quiet at M-2 and M-1
    found = borough(run_scan(observations(with_spikes([0, 5])), config, JUNE))
    assert found.height == 1 and found["status"][0] == "returned"


def test_last_months_finding_that_is_gone_is_listed_as_resolved(config):
    # the spike of March is in the 3 months to May, not in the 3 months to June
    result = run_scan(observations(with_spikes([3])), config, JUNE)
    assert borough(result).height == 0
    resolved = result.resolved.filter(pl.col("borough") == "Lambeth")
    assert resolved.height == 1 and resolved["last_month"][0] == "2026-05"


def test_enduring_after_the_configured_number_of_months(config):
    found = borough(run_scan(observations(with_spikes([0, 1, 2])), config, JUNE))
    assert found["months_running"][0] == 3 and found["enduring"][0]
    found = borough(run_scan(observations(with_spikes([0, 1])), config, JUNE))
    assert not found["enduring"][0]


def test_two_unrelated_events_in_one_borough_are_two_findings(config):
    robbery = observations(with_spikes([0]))
    burglary = observations(
        with_spikes([0]), category="Domestic Burglary", category_group="Burglary"
    )
    found = borough(run_scan(combine(robbery, burglary), config, JUNE))
    names = set(found["name"])
    # Lambeth's own priorities name them: Robbery and Burglary (residential)
    assert names == {"Robbery", "Burglary (residential)"}


def test_a_category_its_major_group_and_its_priorities_moving_together_are_one_finding(config):
    personal = observations(with_spikes([0]))
    business = observations(STEADY, category="Robbery of Business Property")
    found = borough(run_scan(combine(personal, business), config, JUNE))
    assert found.height == 1
    row = found.row(0, named=True)
    assert row["name"] == "Robbery"  # Lambeth's own priority (the major group here)
    assert "Robbery (personal property)" in row["related"]
    assert row["finding_id"] == "Lambeth|recorded_crime|robbery|up"


def _siblings_rising_apart(months_back: list[int]) -> pl.DataFrame:
    """Bicycle theft and shoplifting each up 60% while other theft dips as much: the theft
    group as a whole does not move."""
    other = [v * 30 for v in STEADY]
    for back in months_back:
        other[-1 - back] -= 120
    theft = {"category_group": "Theft"}
    return combine(
        observations(with_spikes(months_back), category="Bicycle Theft", **theft),
        observations(with_spikes(months_back), category="Shoplifting", **theft),
        observations(other, category="Other Theft", **theft),
    )


def test_two_categories_of_one_group_rising_apart_are_two_findings_with_their_own_ids(config):
    found = borough(run_scan(_siblings_rising_apart([0]), config, JUNE))
    assert found.height == 2
    assert found["finding_id"].n_unique() == 2
    assert set(found["category"]) == {"Bicycle Theft", "Shoplifting"}
    assert all("Shoplifting" not in r or "Bicycle" not in r for r in found["related"].fill_null(""))
    # a month later both are still running, each under the id it had
    later = borough(run_scan(_siblings_rising_apart([0, 1]), config, JUNE))
    assert set(later["finding_id"]) == set(found["finding_id"])
    assert later["months_running"].to_list() == [2, 2]


def test_a_series_is_never_a_headline_concern_and_improvement_at_once(config):
    # Falling for a year, then a spike this month: the spike is the news; the fall is context.
    falling = [130] * 24 + [100] * 11 + [160]
    found = borough(run_scan(observations(falling), config, JUNE))
    assert found.height == 1
    row = found.row(0, named=True)
    assert row["direction"] == "up" and row["assessment"] == "concern"
    assert "a year earlier" in row["context"]


def test_a_month_left_out_of_the_limits_by_the_meeting_is_not_an_spc_finding(config):
    values = with_spikes([0])
    plain = borough(run_scan(observations(values), config, JUNE, methods=["spc"]))
    assert plain.height == 1
    # the meeting annotated June on every series the spike is in (the category, its major
    # group, the total and three robbery priorities)
    series = [("minor", "Robbery of Personal Property"), ("major", "Robbery"), ("total", "Total notifiable offences"),
              ("priority", "Robbery"), ("priority", "Robbery (personal property)"), ("priority", "Robbery and theft from person")]  # fmt: skip
    excluded = pl.DataFrame(
        {
            "area": "Lambeth",
            "measure": "recorded_crime",
            "level": [s[0] for s in series],
            "category": [s[1] for s in series],
            "month": JUNE,
        }
    )
    inputs = SPCInputs(excluded=excluded, key="carnival")
    result = run_scan(observations(values), config, JUNE, methods=["spc"], spc_inputs=inputs)
    assert borough(result).height == 0
    chart = result.points.filter(
        (pl.col("area") == "Lambeth") & (pl.col("level") == "minor") & (pl.col("month") == JUNE)
    )
    assert chart["special_cause_type"][0] == "Excluded from limits"


def test_a_baseline_chosen_by_the_meeting_fixes_the_limits_a_step_change_is_then_judged_against(
    config,
):
    # two steady years around 100, then a year around 130; the meeting fixed the limits to the
    # first year of the SPC window (July 2024 to June 2025), before the step
    values = STEADY[:24] + [130 + n for n in NOISE[24:]]
    baselines = pl.DataFrame(
        [("Lambeth", "recorded_crime", None, None, date(2024, 7, 1), date(2025, 6, 1), 1)],
        schema={"area": pl.String, "measure": pl.String, "level": pl.String, "category": pl.String,
                "start": pl.Date, "end": pl.Date, "specificity": pl.Int32},
        orient="row",
    )  # fmt: skip
    inputs = SPCInputs(baselines=baselines, key="before the step")
    result = run_scan(observations(values), config, JUNE, methods=["spc"], spc_inputs=inputs)
    chart = result.points.filter((pl.col("area") == "Lambeth") & (pl.col("level") == "minor")).sort(
        "month"
    )
    assert chart["mean"][-1] == pytest.approx(sum(values[12:24]) / 12)
    assert chart["upl"][-1] < 110 and chart["special_cause_type"][-1] == "Above UCL"
    state = result.status.filter((pl.col("area") == "Lambeth") & (pl.col("level") == "minor"))
    assert (
        state["mean"][0] == pytest.approx(sum(values[12:24]) / 12)
        and state["state"][0] == "concern"
    )


# --- on synthetic London-wide data -------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic():
    from tests.synthetic import END, generate, random_plants

    plants = random_plants(7, 24)
    return END, plants, generate(11, plants=plants), generate(12)


def test_with_no_change_anywhere_a_borough_gets_under_one_false_finding_a_month(config, synthetic):
    # 32 boroughs x 31 categories, real means, seasonality and 8% extra variation: the
    # default scan's false findings per borough, over two months (docs/benchmarks.md has the
    # full benchmark: 0.55 on average over more data sets).
    from tests.synthetic import month_add

    end, _, _, null = synthetic
    counts = [
        run_scan(null, config, month).findings.filter(pl.col("area_type") == "borough").height / 32
        for month in (end, month_add(end, -1))
    ]
    assert sum(counts) / len(counts) <= 1.0


def test_planted_changes_are_found_each_as_exactly_one_finding(config, synthetic):
    end, plants, planted, _ = synthetic
    result = run_scan(planted, config, end)
    found = 0
    for plant in plants:
        ids = result.tests.filter(
            (pl.col("borough") == plant.borough) & (pl.col("category") == plant.category) & (pl.col("level") == "minor")
            & (pl.col("direction") == plant.direction) & pl.col("finding_id").is_not_null()
        )["finding_id"].unique()  # fmt: skip
        assert ids.len() <= 1, (plant, ids.to_list())
        found += ids.len()
    assert found / len(plants) >= 0.75
