"""MPS borough and ward crime files (wide: one column per month), checked against the raw files.

Expected figures are worked out here from the raw CSV with the csv module, never from the
loader, so a loader bug cannot agree with itself.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from crimefighters.data import Dataset, load_dataset

# The real files, beside the checkout (the `real` fixture skips when they are absent).
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"

PSEUDO_BOROUGHS = {
    "London Heathrow and London City Airports",
    "Aviation Security (SO18)",
    "Unknown",
}
BOROUGH_FILES = sorted(
    p.relative_to(REAL).as_posix() for p in (REAL / "mps_borough_crime").rglob("*.csv")
)
WARD_FILES = sorted(p.relative_to(REAL).as_posix() for p in (REAL / "mps_ward_crime").glob("*.csv"))
RECENT = "mps_borough_crime/recent_24m"
JDEVS_BOROUGH = f"{RECENT}/MPS_Borough_Level_Crime_24m__202401-202512__JDevs.csv"
JDEVS_WARD = "mps_ward_crime/MPS_Ward_Level_Crime_24m__202401-202512__JDevs.csv"
STUB_WARD = (
    "mps_ward_crime/MPS_Ward_Level_Crime_24m__202403-202603__hou1020__25cols_stub_first_month.csv"
)


class RawWide:
    """A wide MPS file read with the csv module: totals by month and by borough."""

    def __init__(self, path: Path):
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        header = rows[0]
        self.months = [c for c in header if re.fullmatch(r"\d{6}", c)]
        first = header.index(self.months[0])
        borough_column = next(
            i
            for i, c in enumerate(header)
            if c in ("Borough", "LookUp_BoroughName", "BoroughName", "BOCU")
        )
        self.by_borough_month: Counter[tuple[str, str]] = Counter()
        for row in rows[1:]:
            borough = row[borough_column].strip()
            for month, cell in zip(self.months, row[first:], strict=True):
                self.by_borough_month[borough, month] += int(cell)

    def total(self, months: set[str] | None = None, pseudo: bool = False) -> int:
        return sum(
            v
            for (b, m), v in self.by_borough_month.items()
            if (b in PSEUDO_BOROUGHS) == pseudo and (months is None or m in months)
        )

    def boroughs(self) -> set[str]:
        return {b for b, _ in self.by_borough_month if b not in PSEUDO_BOROUGHS}


@functools.cache
def raw_wide(path: Path) -> RawWide:
    return RawWide(path)


_LOADED: dict[tuple[int, tuple[str, ...]], Dataset] = {}


def loaded(config, *names: str) -> Dataset:
    """Load once per test session: several tests look at the same release."""
    key = (id(config), names)
    if key not in _LOADED:
        _LOADED[key] = load_dataset([REAL / n for n in names], config)
    return _LOADED[key]


def month(text: str) -> date:
    return date(int(text[:4]), int(text[4:]), 1)


@pytest.mark.parametrize("name", BOROUGH_FILES)
def test_every_borough_file_loads_with_the_raw_total_less_pseudo_boroughs(real, config, name):
    raw = raw_wide(real / name)
    dataset = loaded(config, name)
    obs = dataset.observations

    assert obs["value"].sum() == raw.total()
    assert obs["month"].min() == month(raw.months[0])
    assert obs["month"].max() == month(raw.months[-1])
    assert obs["month"].n_unique() == len(raw.months)
    assert obs["borough"].n_unique() == 32 == len(raw.boroughs())
    assert set(obs["measure"].unique()) == {"recorded_crime"}
    # one row per borough, category and month
    keys = ["month", "borough", "category_group", "category"]
    assert obs.select(keys).is_unique().all()
    # pseudo-boroughs are set aside, and the report says how much
    set_aside_total = sum(
        float(m.group(1).replace(",", ""))
        for line in dataset.report.set_aside
        if (m := re.search(r"total ([\d,]+)\)", line))
    )
    assert set_aside_total == raw.total(pseudo=True)


@pytest.mark.parametrize("name", WARD_FILES)
def test_every_ward_file_loads_with_the_raw_total_less_pseudo_boroughs(real, config, name):
    raw = raw_wide(real / name)
    dataset = loaded(config, name)
    stub = {"202403"} if name == STUB_WARD else set()
    expected = raw.total(months=set(raw.months) - stub)

    assert dataset.wards["value"].sum() == expected
    # ward files also give borough totals, the ward sums
    assert dataset.observations["value"].sum() == expected
    assert dataset.wards["borough"].n_unique() == 32
    assert dataset.wards["ward_code"].str.contains(r"^E05\d{6}$").all()
    assert dataset.wards["month"].n_unique() == len(raw.months) - len(stub)


@pytest.mark.parametrize(
    ("name", "expected_format"),
    [
        (
            "mps_borough_crime/old_format/MPS_Borough_Level_Crime_Historic__200801-201812__Tiana125.csv",
            "mps_borough_old",
        ),
        (
            "mps_borough_crime/historical/MPS_Borough_Level_Crime_Historical__201004-202109__QinqingLi.csv",
            "mps_borough_lookup",
        ),
        (
            "mps_borough_crime/historical/MPS_Borough_Level_Crime_Historical__201004-202302__andyxuegit.csv",
            "mps_borough_upper",
        ),
        (
            f"{RECENT}/MPS_Borough_Level_Crime_24m__202407-202606__mithunksms__BOCU_format.csv",
            "mps_borough_bocu",
        ),
        (JDEVS_WARD, "mps_ward"),
    ],
)
def test_each_header_variant_is_recognised_from_its_header(real, config, name, expected_format):
    dataset = loaded(config, name)
    assert dataset.report.files[0].format == expected_format


def test_old_format_files_carry_the_old_home_office_family(real, config):
    name = "mps_borough_crime/old_format/MPS_Borough_Level_Crime_24m__201701-201812__RuSaBin.csv"
    obs = loaded(config, name).observations
    assert set(obs["family"].unique()) == {"mps_old"}
    assert "Violence Against the Person" in set(obs["category_group"])


def test_ward_sums_reconcile_with_the_borough_file_of_the_same_release(real, config):
    """Same release (2024-01..2025-12). Ward sums run about 2% below the borough totals (offences
    not placed in a ward), Hillingdon about 22% below (Heathrow is Aviation Security (SO18) in the
    ward file but part of Hillingdon in the borough file); in the first month they are equal."""
    boroughs = loaded(config, JDEVS_BOROUGH).observations
    wards = loaded(config, JDEVS_WARD).wards
    by_borough = boroughs.group_by("borough", "month").agg(
        pl.col("value").sum().alias("borough_total")
    )
    by_ward = wards.group_by("borough", "month").agg(pl.col("value").sum().alias("ward_sum"))
    both = by_borough.join(
        by_ward, on=["borough", "month"], how="full", coalesce=True
    ).with_columns(shortfall=1 - pl.col("ward_sum") / pl.col("borough_total"))

    assert both.height == 32 * 24
    assert both.null_count().sum_horizontal().item() == 0
    first_month = both.filter(pl.col("month") == date(2024, 1, 1))
    assert (first_month["ward_sum"] == first_month["borough_total"]).all()
    # a ward sum is never more than 1% above its borough total
    assert both["shortfall"].min() > -0.01
    others = both.filter(pl.col("borough") != "Hillingdon")
    assert 0.0 < others["shortfall"].median() < 0.04
    assert (others["shortfall"].abs() < 0.05).mean() > 0.95
    hillingdon = both.filter(pl.col("borough") == "Hillingdon")
    assert 0.15 < hillingdon["shortfall"].median() < 0.30


def test_the_stub_first_month_of_a_ward_release_is_set_aside_with_a_warning(real, config):
    dataset = loaded(config, STUB_WARD)
    warnings = [w for w in dataset.report.warnings if "looks incomplete" in w]
    assert len(warnings) == 1
    assert "month 2024-03" in warnings[0]
    assert "(47 against" in warnings[0]
    assert dataset.wards["month"].min() == date(2024, 4, 1)
    assert dataset.observations["month"].min() == date(2024, 4, 1)


def test_the_newest_release_wins_where_releases_overlap(real, config):
    """2020-10 was 69,280 in the release ending 2020-10 and 71,354 in the release ending 2021-08
    (both including the airports); loaded together, the newer figure is kept."""
    dataset = loaded(config, RECENT)
    obs = dataset.observations
    october_2020 = obs.filter(pl.col("month") == date(2020, 10, 1))
    newest = raw_wide(real / RECENT / "MPS_Borough_Level_Crime_24m__201909-202108__DeanAZ.csv")
    first_estimate = raw_wide(
        real / RECENT / "MPS_Borough_Level_Crime_24m__201811-202010__Tiana125.csv"
    )

    assert set(october_2020["source"]) == {"MPS_Borough_Level_Crime_24m__201909-202108__DeanAZ.csv"}
    assert october_2020["value"].sum() == newest.total(months={"202010"})
    assert newest.total(months={"202010"}) + newest.total(months={"202010"}, pseudo=True) == 71_354
    assert (
        first_estimate.total(months={"202010"})
        + first_estimate.total(months={"202010"}, pseudo=True)
        == 69_280
    )
    assert any(
        line.startswith("MPS_Borough_Level_Crime_24m__201811-202010__Tiana125.csv")
        and "DeanAZ" in line
        for line in dataset.report.superseded
    )
    # 2024-10 comes from the newest (BOCU) release, which has no airports row
    october_2024 = obs.filter(pl.col("month") == date(2024, 10, 1))
    assert october_2024["value"].sum() == 82_693
    # only the newest month of the newest release is provisional
    provisional = obs.filter(pl.col("provisional"))["month"].unique().to_list()
    assert provisional == [date(2026, 6, 1)]


def test_the_whole_borough_series_runs_without_gaps_from_the_24_month_releases(real, config):
    obs = loaded(config, RECENT).observations
    months = obs["month"].unique().sort().to_list()
    assert months[0] == date(2018, 6, 1) and months[-1] == date(2026, 6, 1)
    assert len(months) == 8 * 12 + 1
    per_month = obs.group_by("month").agg(pl.col("borough").n_unique())
    assert (per_month["borough"] == 32).all()


def test_a_category_that_is_almost_always_zero_is_kept_with_a_warning(real, config):
    dataset = loaded(config, JDEVS_BOROUGH)
    assert any(
        "BURGLARY - RESIDENTIAL" in w and "retired or very rare" in w
        for w in dataset.report.warnings
    )
