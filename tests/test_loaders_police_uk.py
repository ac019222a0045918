"""data.police.uk monthly street and outcome downloads (Met, burglary only, 2023-03..2025-02).

Expected counts are worked out here from the raw gzipped CSV with the csv module.
"""

from __future__ import annotations

import csv
import functools
import gzip
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from crimefighters.data import load_dataset
from crimefighters.errors import DataError

# The real files, beside the checkout (the `real` fixture skips when they are absent).
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"

FOLDER = REAL / "police_uk_met_burglary_street_outcomes"
STREET_HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"
OUTCOME_HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type"


def rows_of(paths: list[Path]) -> list[dict[str, str]]:
    rows = []
    for path in paths:
        with gzip.open(path, "rt", newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def borough_of(lsoa_name: str, boroughs: set[str]) -> str | None:
    place = lsoa_name.rsplit(" ", 1)[0] if lsoa_name else ""
    return place if place in boroughs else None


@functools.cache
def street_files() -> list[Path]:
    return sorted(FOLDER.glob("*-street__*.csv.gz"))


@functools.cache
def outcome_files() -> list[Path]:
    return sorted(FOLDER.glob("*-outcomes__*.csv.gz"))


@pytest.fixture(scope="module")
def boroughs(config) -> set[str]:
    return {b.name for b in config.geography.boroughs}


@pytest.fixture(scope="module")
def street(real, config):
    return load_dataset(street_files(), config)


@pytest.fixture(scope="module")
def outcomes(real, config):
    return load_dataset(outcome_files(), config)


def test_the_street_files_hold_what_sources_md_says(real):
    rows = rows_of(street_files())
    assert len(street_files()) == 24
    assert len(rows) == 107_284
    repeated = Counter((r["Month"], r["Crime ID"]) for r in rows)
    assert sum(1 for n in repeated.values() if n > 1) == 780


def test_street_crimes_are_counted_once_per_crime_by_borough_month_and_type(street, boroughs):
    expected: Counter[tuple[date, str, str]] = Counter()
    seen: set[tuple[str, str]] = set()
    for row in rows_of(street_files()):
        borough = borough_of(row["LSOA name"], boroughs)
        if borough is None:
            continue
        if row["Crime ID"]:
            if (row["Month"], row["Crime ID"]) in seen:
                continue
            seen.add((row["Month"], row["Crime ID"]))
        year, month = map(int, row["Month"].split("-"))
        expected[date(year, month, 1), borough, row["Crime type"]] += 1

    obs = street.observations
    loaded = {
        (r["month"], r["borough"], r["category"]): r["value"] for r in obs.iter_rows(named=True)
    }
    assert loaded == expected
    assert set(obs["measure"]) == {"street_crime"}
    assert set(obs["family"]) == {"police_uk"}
    assert obs["month"].n_unique() == 24
    assert obs["borough"].n_unique() == 32


def test_duplicated_crime_ids_in_a_month_are_counted_once(street, boroughs):
    london_rows = [r for r in rows_of(street_files()) if borough_of(r["LSOA name"], boroughs)]
    unique_crimes = {(r["Month"], r["Crime ID"]) for r in london_rows}
    repeats_reported = sum(
        int(m.group(1).replace(",", ""))
        for w in street.report.warnings
        if (m := re.search(r"([\d,]+) repeated rows for a Crime ID", w))
    )
    assert street.observations["value"].sum() == len(unique_crimes)
    assert repeats_reported == len(london_rows) - len(unique_crimes) > 800


def test_rows_with_no_location_or_outside_the_boroughs_are_set_aside_with_counts(street):
    def reported(pattern: str) -> int:
        return sum(
            int(m.group(1).replace(",", ""))
            for w in street.report.warnings
            if (m := re.search(pattern, w))
        )

    assert reported(r"([\d,]+) rows? with no location") == 1_010
    assert reported(r"([\d,]+) rows? in LSOAs outside the boroughs") == 83 + 76
    city = sum(
        int(m.group(1))
        for w in street.report.warnings
        if (m := re.search(r"City of London (\d+)", w))
    )
    assert city == 83
    # not unknown boroughs and not pseudo-boroughs: they never reach borough resolution
    assert street.report.set_aside == []


def test_a_monthly_download_is_not_provisional(street, outcomes):
    assert not street.observations["provisional"].any()
    assert not outcomes.observations["provisional"].any()


def test_positive_outcomes_count_crimes_given_a_positive_outcome_in_the_month(
    outcomes, config, boroughs
):
    codes = {text.lower(): code for text, code in config.outcomes.police_uk.items()}
    positive = set(config.outcomes.positive)
    crimes: dict[tuple[str, str], tuple[str, bool]] = {}
    for row in rows_of(outcome_files()):
        borough = borough_of(row["LSOA name"], boroughs)
        if borough is None:
            continue
        key = (row["Month"], row["Crime ID"])
        first_borough, was_positive = crimes.get(key, (borough, False))
        crimes[key] = (
            first_borough,
            was_positive or codes[row["Outcome type"].lower()] in positive,
        )
    expected: Counter[tuple[date, str]] = Counter()
    for (month_text, _), (borough, is_positive) in crimes.items():
        year, month = map(int, month_text.split("-"))
        expected[date(year, month, 1), borough] += int(is_positive)

    obs = outcomes.observations
    loaded = {(r["month"], r["borough"]): r["value"] for r in obs.iter_rows(named=True)}
    assert loaded == expected  # zeros included: every borough-month with outcomes is there
    assert set(obs["measure"]) == {"positive_outcomes"}
    assert set(obs["category"]) == {"All"}
    # Charges, cautions, local resolutions and a penalty notice: about 1,300 crimes in 24 months
    assert 1_200 < obs["value"].sum() < 1_400


def test_street_and_outcome_files_load_together(real, config):
    dataset = load_dataset([FOLDER], config)
    # the rate is derived from the two: positive outcomes / crimes recorded, per borough-month
    assert dataset.measures() == ["positive_outcome_rate", "positive_outcomes", "street_crime"]
    assert [f.format for f in dataset.report.files].count("police_uk_street") == 24
    assert [f.format for f in dataset.report.files].count("police_uk_outcomes") == 24


def write(path: Path, header: str, lines: list[str]) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


MET = "Metropolitan Police Service,Metropolitan Police Service,-0.1,51.5,On or near X"


def test_anti_social_behaviour_rows_without_crime_ids_are_each_an_incident(tmp_path, config):
    path = write(
        tmp_path / "street.csv",
        STREET_HEADER,
        [
            f",2024-05,{MET},E01000001,Lambeth 001A,Anti-social behaviour,,",
            f",2024-05,{MET},E01000001,Lambeth 001A,Anti-social behaviour,,",
            f"abc,2024-05,{MET},E01000001,Lambeth 001A,Robbery,Under investigation,",
            f"abc,2024-05,{MET},E01000001,Lambeth 001A,Robbery,Suspect charged,",
        ],
    )
    obs = load_dataset([path], config).observations
    values = {(r["measure"], r["category"]): r["value"] for r in obs.iter_rows(named=True)}
    assert values == {("asb_incidents", "All"): 2.0, ("street_crime", "Robbery"): 1.0}


def test_an_outcome_missing_from_outcomes_yaml_stops_the_load_naming_it_and_its_line(
    tmp_path, config
):
    path = write(
        tmp_path / "outcomes.csv",
        OUTCOME_HEADER,
        [
            f"abc,2024-05,{MET},E01000001,Lambeth 001A,Suspect charged",
            f"def,2024-05,{MET},E01000001,Lambeth 001A,Offender sent to the moon",
        ],
    )
    with pytest.raises(DataError) as caught:
        load_dataset([path], config)
    message = str(caught.value)
    assert message.startswith(f"{path}:3 column 'Outcome type'")
    assert "'Offender sent to the moon'" in message
    assert "outcomes.yaml" in message


def test_a_month_that_is_not_yyyy_mm_is_refused_with_its_line(tmp_path, config):
    path = write(
        tmp_path / "street.csv",
        STREET_HEADER,
        [f"abc,May 2024,{MET},E01000001,Lambeth 001A,Robbery,,"],
    )
    with pytest.raises(
        DataError, match=r"street\.csv:2 column 'Month': expected a month as YYYY-MM"
    ):
        load_dataset([path], config)


def test_a_file_with_only_rows_outside_london_loads_nothing_but_says_so(tmp_path, config):
    path = write(
        tmp_path / "street.csv",
        STREET_HEADER,
        [
            f"abc,2024-05,{MET},E01000001,City of London 001A,Burglary,,",
            f"def,2024-05,{MET},,,Burglary,,",
        ],
    )
    dataset = load_dataset([path], config)
    assert dataset.observations.height == 0
    assert any(
        "1 row with no location" in w and "City of London 1" in w for w in dataset.report.warnings
    )
