"""The scan on real MPS borough files: every format scans, and two exceptions checked by hand.

The hand checks recompute the numbers straight from the raw CSV with the csv module, so they
share no code with the loaders or the scan.
"""

from __future__ import annotations

import csv
import json
import statistics
from datetime import date
from itertools import pairwise

import polars as pl
import pytest

from crimefighters.cli import main
from crimefighters.data import load_dataset
from crimefighters.scan import run_scan

FILES = {
    "old": "mps_borough_crime/old_format/MPS_Borough_Level_Crime_Historic__200801-201812__Tiana125.csv",
    "lookup": "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202202-202401__jn607.csv",
    "upper": "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202401-202512__JDevs.csv",
    "bocu": "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202407-202606__mithunksms__BOCU_format.csv",
}
ASSESSMENTS = {"concern", "improvement", "neutral"}
RULES = {
    "spc": {"outside_limits", "trend", "two_of_three", "shift"},
    "yoy": {"poisson_exact"},
    "seasonal": {"seasonal"},
    "peer": {"standing_changed"},
}


@pytest.fixture(scope="module")
def datasets(real, config):
    return {name: load_dataset([real / path], config) for name, path in FILES.items()}


@pytest.mark.parametrize("name", list(FILES))
def test_every_format_scans_its_latest_and_a_middle_month(datasets, config, name):
    dataset = datasets[name]
    months = dataset.months()
    for month in (months[-1], months[len(months) // 2]):
        result = run_scan(dataset.observations, config, month)
        exceptions = result.findings.filter(pl.col("area_type") == "borough")
        assert exceptions.height > 0
        assert set(exceptions["status"]) <= {"new", "continuing", "returned"}
        assert exceptions["finding_id"].n_unique() == exceptions.height
        assert set(exceptions["assessment"]) <= ASSESSMENTS
        assert exceptions["score"].to_list() == sorted(exceptions["score"].to_list(), reverse=True)
        assert set(exceptions["borough"]) <= set(config.borough_names())
        assert exceptions["period"].unique().to_list() == [f"{month:%Y-%m}"]
        for row in exceptions.iter_rows(named=True):
            assert row["rule"] in RULES[row["method"]], row
            assert f"{month:%B %Y}" in row["evidence"] or f"{month:%B}" in row["evidence"]
            assert row["p_value"] is None or 0 <= row["p_value"] <= 1
        # every borough (and every BCU, and London) has its priorities resolved, exception or not
        areas = result.priorities.group_by("area_type").agg(pl.col("borough").n_unique())
        assert dict(areas.iter_rows()) == {"borough": 32, "bcu": 12, "london": 1}


def _raw_series(path, borough, include) -> dict[str, int]:
    """Monthly totals for a borough from the raw wide file, rows chosen by ``include``."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    totals = {column: 0 for column in header[3:]}
    for row in rows[1:]:
        if row[2] == borough and include(row[0], row[1]):
            for column, value in zip(header[3:], row[3:], strict=True):
                totals[column] += int(value)
    return totals


def _xmr(values: list[float]) -> tuple[float, float, float]:
    """Mean and limits as worked by hand: screened mean moving range, 2.66."""
    mean = statistics.fmean(values)
    ranges = [abs(b - a) for a, b in pairwise(values)]
    amr = statistics.fmean(ranges)
    amr = statistics.fmean([r for r in ranges if r < 3.267 * amr])
    return mean, mean - 2.66 * amr, mean + 2.66 * amr


def test_lambeth_tno_in_june_2026_above_the_upper_limit_checked_by_hand(real, datasets, config):
    path = real / FILES["bocu"]
    totals = _raw_series(path, "Lambeth", lambda major, minor: major != "NFIB FRAUD")
    values = list(totals.values())  # 24 months, 2024-07..2026-06
    mean, _, upper = _xmr(values)
    assert values[-1] > upper  # 3,765 against an upper limit of about 3,571
    result = run_scan(datasets["bocu"].observations, config, date(2026, 6, 1))
    row = result.tests.filter(
        (pl.col("borough") == "Lambeth") & (pl.col("level") == "total") & (pl.col("method") == "spc")
    ).row(0, named=True)
    assert row["value"] == values[-1]
    assert row["baseline"] == pytest.approx(mean)
    assert row["upper_limit"] == pytest.approx(upper)
    assert row["rule"] == "outside_limits" and row["assessment"] == "concern"
    # the total is part of one of Lambeth's findings, not a finding repeated on its own
    assert row["finding_id"] in result.findings.filter(pl.col("borough") == "Lambeth")["finding_id"].to_list()


def test_a_year_on_year_change_in_the_uppercase_file_checked_by_hand(real, datasets, config):
    # Westminster shoplifting, 12 months to 2025-12 against the 12 before (2024-01..2024-12
    # is the first year of the file).
    from scipy.stats import binomtest

    # With dispersion off the test is the exact conditional test (scipy's binomtest); with it
    # on, the counts are divided by the series' own extra variation, computed here
    # independently: d = each month less the same month a year earlier over the months
    # before December 2025 (Jan-Nov 2025), pulled in to 3 robust SDs, var(d) / (2 x mean).
    path = real / FILES["upper"]
    totals = _raw_series(path, "Westminster", lambda major, minor: minor == "SHOPLIFTING")
    values = list(totals.values())
    previous, current = sum(values[:12]), sum(values[12:])
    poisson = config.model_copy(
        update={"scan": config.scan.model_copy(update={"findings": config.scan.findings.model_copy(update={"dispersion": "poisson"})})}
    )
    where = (pl.col("area") == "Westminster") & (pl.col("level") == "minor") & (pl.col("category") == "Shoplifting") & (pl.col("window") == "12")
    exact = run_scan(datasets["upper"].observations, poisson, date(2025, 12, 1)).comparisons.filter(where).row(0, named=True)
    assert (exact["current"], exact["previous"]) == (current, previous)
    assert exact["p_value"] == pytest.approx(binomtest(current, current + previous, 0.5).pvalue, rel=1e-6)
    assert exact["change_pct"] == pytest.approx((current - previous) / previous * 100)

    d = [values[i] - values[i - 12] for i in range(12, 23)]
    centre = statistics.median(d)
    spread = 3 * 1.4826 * statistics.median(abs(x - centre) for x in d)
    clipped = [min(max(x, centre - spread), centre + spread) for x in d]
    phi = max(1.0, statistics.variance(clipped) / (2 * statistics.mean(values[:23])))
    scaled = run_scan(datasets["upper"].observations, config, date(2025, 12, 1)).comparisons.filter(where).row(0, named=True)
    assert scaled["phi"] == pytest.approx(phi, rel=1e-9)
    assert scaled["p_value"] > exact["p_value"]


def test_scan_csv_and_json_carry_the_contract_fields(real, capsys):
    fields = [
        "borough", "bcu", "measure", "category", "period", "window", "value", "baseline", "change",
        "change_pct", "method", "rule", "direction", "assessment", "score", "p_value", "provisional", "evidence",
        "level", "priority_id", "measure_label", "lower_limit", "upper_limit", "target",
        "finding_id", "status", "months_running", "related", "tests",
    ]  # fmt: skip
    path = str(real / FILES["bocu"])
    assert main(["scan", "--data", path, "--borough", "Lambeth", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(csv.reader(lines[:1]))
    assert header[: len(fields)] == fields
    rows = list(csv.DictReader(lines))
    assert rows and all(r["borough"] == "Lambeth" and r["period"] == "2026-06" for r in rows)
    assert main(["scan", "--data", path, "--borough", "lambeth", "--format", "json", "--method", "spc"]) == 0
    objects = json.loads(capsys.readouterr().out)
    assert objects and all(o["finding_id"].startswith("Lambeth|") and "SPC" in o["tests"] for o in objects)


def test_compare_gives_the_published_table_with_a_tno_total(real, capsys):
    path = str(real / FILES["bocu"])
    assert main(["compare", "--data", path, "--month", "2026-06", "--window", "12", "--london", "--format", "csv"]) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert rows[-1]["category"] == "Total notifiable offences"
    assert {r["area"] for r in rows} == {"London"}
    assert rows[0]["current_period"] == "2025-07..2026-06" and rows[0]["previous_period"] == "2024-07..2025-06"
    majors = [r for r in rows if r["category"] not in ("Total notifiable offences", "NFIB Fraud")]
    assert sum(float(r["current"]) for r in majors) == pytest.approx(float(rows[-1]["current"]))


def test_bad_scan_input_is_one_line_and_exit_2(real, capsys):
    path = str(real / FILES["bocu"])
    assert main(["scan", "--data", path, "--month", "2030-01"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no data for 2030-01" in err[0]
    assert main(["scan", "--data", path, "--borough", "Gotham"]) == 2
    assert "unknown area 'Gotham'" in capsys.readouterr().err
    assert main(["compare", "--data", path, "--month", "2024-07", "--window", "12"]) == 2
    assert "needs" in capsys.readouterr().err
