"""Which file supplies a figure when several files cover the same borough and month.

The rule (docs/data-formats.md, "Which file wins"): a borough file beats ward sums; releases
are ordered by their own periods, never by file name or load order; a release supplies whole
borough-months; files of one release are unioned; generic rows compete per category; every
disagreement is reported naming both files.

Expected figures come from the raw files, read here with the csv module.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from crimefighters.data import load_dataset

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
RECENT = REAL / "mps_borough_crime" / "recent_24m"
BOROUGH_2025 = RECENT / "MPS_Borough_Level_Crime_24m__202401-202512__JDevs.csv"
BOROUGH_2025_11 = RECENT / "MPS_Borough_Level_Crime_24m__202312-202511__1XHE.csv"
WARD_2026_01 = REAL / "mps_ward_crime" / "MPS_Ward_Level_Crime_24m__202402-202601__lblewisham.csv"
WARD_2026_03_STUB = (
    REAL
    / "mps_ward_crime"
    / "MPS_Ward_Level_Crime_24m__202403-202603__hou1020__25cols_stub_first_month.csv"
)
OLD_2018 = (
    REAL
    / "mps_borough_crime"
    / "old_format"
    / "MPS_Borough_Level_Crime_24m__201701-201812__RuSaBin.csv"
)
NEW_2020 = RECENT / "MPS_Borough_Level_Crime_24m__201806-202005__RJK99.csv"
STREET = REAL / "police_uk_met_burglary_street_outcomes"
PSEUDO = {"London Heathrow and London City Airports", "Unknown", "Aviation Security (SO18)"}
NOT_NOTIFIABLE = {"NFIB FRAUD", "NFIB", "OTHER ACCEPTED CRIME"}
KEYS = ["measure", "borough", "category_group", "category", "month"]


def raw_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def raw_total(path: Path, months: set[str], borough: str | None = None, tno: bool = False) -> int:
    """Offences in a wide borough file for the months, 32 boroughs, from the raw cells."""
    header, rows = raw_rows(path)
    total = 0
    for row in rows:
        major, minor, place = row[0].strip(), row[1].strip(), row[2].strip()
        if place in PSEUDO or (borough and place != borough):
            continue
        if tno and (major.upper() in NOT_NOTIFIABLE or minor.upper() in NOT_NOTIFIABLE):
            continue
        total += sum(int(row[i]) for i, name in enumerate(header) if name in months)
    return total


def months_of(year: int) -> set[str]:
    return {f"{year}{m:02d}" for m in range(1, 13)}


def tno(obs: pl.DataFrame, first: date, last: date) -> float:
    """London TNO over the months: boroughs only (as loaded), notifiable categories."""
    return obs.filter(
        (pl.col("measure") == "recorded_crime")
        & pl.col("month").is_between(first, last)
        & ~pl.col("category_group").str.to_uppercase().is_in(sorted(NOT_NOTIFIABLE))
        & ~pl.col("category").str.to_uppercase().is_in(sorted(NOT_NOTIFIABLE))
    )["value"].sum()


def same_figures(left: pl.DataFrame, right: pl.DataFrame) -> None:
    columns = [*KEYS, "value", "denominator", "family", "provisional"]
    assert left.select(columns).sort(KEYS).equals(right.select(columns).sort(KEYS))


# --- a borough file always beats ward sums ------------------------------------------------


@pytest.fixture(scope="module")
def borough_and_ward(real, config):
    return load_dataset([BOROUGH_2025, WARD_2026_01], config)


def test_the_borough_release_keeps_its_figures_beside_a_newer_ward_release(borough_and_ward):
    """The issue's example: London's 12-month TNO to December 2025 stays 908,783 (the
    borough file's own figure, counted from its raw cells), not the ward sums' 885,982."""
    expected = raw_total(BOROUGH_2025, months_of(2025), tno=True)
    assert expected == 908_783
    assert tno(borough_and_ward.observations, date(2025, 1, 1), date(2025, 12, 1)) == expected


def test_ward_sums_fill_only_the_month_no_borough_file_has(borough_and_ward):
    obs = borough_and_ward.observations
    sources = obs.group_by("month").agg(pl.col("source").unique()).sort("month")
    for row in sources.iter_rows(named=True):
        expected = WARD_2026_01.name if row["month"] == date(2026, 1, 1) else BOROUGH_2025.name
        assert row["source"] == [expected], row["month"]
    # every borough has every month of the borough file from that file
    per_month = (
        obs.filter(pl.col("source") == BOROUGH_2025.name)
        .group_by("month")
        .agg(pl.col("borough").n_unique())
    )
    assert per_month.height == 24 and (per_month["borough"] == 32).all()


def test_the_report_names_both_files_and_why(borough_and_ward):
    (line,) = [s for s in borough_and_ward.report.superseded if WARD_2026_01.name in s]
    assert line.startswith(
        f"{WARD_2026_01.name}: 2024-02..2025-12 superseded by {BOROUGH_2025.name}"
    )
    assert "a borough file beats sums of wards" in line


def test_load_order_does_not_change_which_file_wins(real, config, borough_and_ward):
    reversed_order = load_dataset([WARD_2026_01, BOROUGH_2025], config)
    same_figures(reversed_order.observations, borough_and_ward.observations)
    assert reversed_order.report.superseded == borough_and_ward.report.superseded


def test_a_newer_ward_release_with_a_stub_month_still_loses_to_the_borough_file(real, config):
    """The 25-column ward release runs to March 2026; for April 2024 to December 2025 the
    borough file's figures are kept, whole, for every borough."""
    dataset = load_dataset([WARD_2026_03_STUB, BOROUGH_2025], config)
    obs = dataset.observations
    for month in (date(2024, 4, 1), date(2025, 6, 1), date(2025, 12, 1)):
        assert set(obs.filter(pl.col("month") == month)["source"]) == {BOROUGH_2025.name}
    assert set(obs.filter(pl.col("month") > date(2025, 12, 1))["source"]) == {
        WARD_2026_03_STUB.name
    }
    june = tno(obs, date(2025, 6, 1), date(2025, 6, 1))
    assert june == raw_total(BOROUGH_2025, {"202506"}, tno=True)


# --- releases ordered by their own periods ----------------------------------------------------


def test_the_release_covering_the_later_month_wins_whatever_the_files_are_called(
    real, config, tmp_path
):
    """Named so that the older release sorts last and is loaded last: the release to
    December 2025 still supplies 2024-06, the month both cover."""
    older = tmp_path / "zz_latest_download.csv"
    newer = tmp_path / "aa_old_copy.csv"
    shutil.copyfile(BOROUGH_2025_11, older)
    shutil.copyfile(BOROUGH_2025, newer)
    for order in ([older, newer], [newer, older]):
        obs = load_dataset(order, config).observations
        june = obs.filter(pl.col("month") == date(2024, 6, 1))
        assert set(june["source"]) == {newer.name}
        assert june["value"].sum() == raw_total(BOROUGH_2025, {"202406"})
        december_2023 = obs.filter(pl.col("month") == date(2023, 12, 1))
        assert set(december_2023["source"]) == {older.name}


def test_old_and_new_categories_never_mix_in_one_month(real, config):
    """The old-format release to 2018-12 and the new-format release from 2018-06 overlap for
    seven months, with different category sets: each month comes whole from the newer one."""
    obs = load_dataset([OLD_2018, NEW_2020], config).observations
    overlap = obs.filter(pl.col("month").is_between(date(2018, 6, 1), date(2018, 12, 1)))
    assert set(overlap["family"]) == {"mps_new"}
    assert overlap["value"].sum() == raw_total(NEW_2020, {f"2018{m:02d}" for m in range(6, 13)})
    before = obs.filter(pl.col("month") < date(2018, 6, 1))
    assert set(before["family"]) == {"mps_old"}


# --- one generic row does not wipe a borough's month -----------------------------------------

GENERIC = "month,borough,measure,category,value\n"


def barnet_december(obs: pl.DataFrame) -> pl.DataFrame:
    return obs.filter(
        (pl.col("borough") == "Barnet")
        & (pl.col("month") == date(2025, 12, 1))
        & (pl.col("measure") == "recorded_crime")
    )


def test_one_generic_row_for_a_category_the_release_has_does_not_wipe_the_month(
    real, config, tmp_path
):
    """The issue's example. The generic file's row (same last month, so the published release
    wins the tie) disagrees with the release: the release's figure stays, the report says so,
    and every other category of Barnet's December stays."""
    row = tmp_path / "barnet_robbery.csv"
    row.write_text(GENERIC + "2025-12,Barnet,recorded_crime,Robbery of Personal Property,5\n")
    dataset = load_dataset([BOROUGH_2025, row], config)
    december = barnet_december(dataset.observations)
    assert december["value"].sum() == raw_total(BOROUGH_2025, {"202512"}, borough="Barnet")
    assert december.height == 32  # Barnet's 32 category rows in that release
    (note,) = [s for s in dataset.report.superseded if row.name in s]
    assert BOROUGH_2025.name in note and "disagree" in note


def test_a_newer_generic_file_replaces_only_its_own_category(real, config, tmp_path):
    newer = tmp_path / "robbery_to_2026_01.csv"
    newer.write_text(
        GENERIC
        + "2025-12,Barnet,recorded_crime,ROBBERY OF PERSONAL PROPERTY,5\n"
        + "2026-01,Barnet,recorded_crime,ROBBERY OF PERSONAL PROPERTY,6\n"
    )
    header, rows = raw_rows(BOROUGH_2025)
    column = header.index("202512")
    (published,) = [
        int(r[column]) for r in rows if r[2] == "Barnet" and r[1] == "ROBBERY OF PERSONAL PROPERTY"
    ]
    dataset = load_dataset([newer, BOROUGH_2025], config)
    december = barnet_december(dataset.observations)
    robbery = december.filter(
        pl.col("category").str.to_uppercase() == "ROBBERY OF PERSONAL PROPERTY"
    )
    assert robbery["value"].to_list() == [5.0]
    assert robbery["category_group"].to_list() == ["Robbery"]  # keeps its major category
    assert december.height == 32
    assert (
        december["value"].sum()
        == raw_total(BOROUGH_2025, {"202512"}, borough="Barnet") - published + 5
    )


def test_a_generic_row_for_a_category_the_release_lacks_is_added_with_a_warning(
    real, config, tmp_path
):
    extra = tmp_path / "extra.csv"
    extra.write_text(GENERIC + "2025-12,Barnet,recorded_crime,Moped-enabled theft,7\n")
    dataset = load_dataset([BOROUGH_2025, extra], config)
    december = barnet_december(dataset.observations)
    assert december.height == 33
    assert december["value"].sum() == raw_total(BOROUGH_2025, {"202512"}, borough="Barnet") + 7
    assert any(extra.name in s and "added" in s for s in dataset.report.superseded)


# --- a release split in two loads as the whole file -------------------------------------------


def split_rows(path: Path, folder: Path, cuts: list[int]) -> list[Path]:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    bounds = [0, *cuts, len(body)]
    parts = []
    for index, (start, end) in enumerate(itertools.pairwise(bounds)):
        part = folder / f"part{index}.csv"
        part.write_text(header + "".join(body[start:end]), encoding="utf-8")
        parts.append(part)
    return parts


@pytest.mark.parametrize(
    "cuts",
    [[528], [17, 600], [1, 2, 3, 1000]],
    ids=["halves", "three parts, one cut inside a borough", "tiny parts"],
)
def test_a_release_split_into_files_loads_as_the_whole_file(real, config, tmp_path, cuts):
    whole = load_dataset([BOROUGH_2025], config)
    parts = load_dataset(split_rows(BOROUGH_2025, tmp_path, cuts), config)
    same_figures(parts.observations, whole.observations)
    assert not parts.report.superseded


def test_overlapping_parts_of_one_release_count_shared_rows_once(real, config, tmp_path):
    lines = BOROUGH_2025.read_text(encoding="utf-8").splitlines(keepends=True)
    first = tmp_path / "first.csv"
    second = tmp_path / "second.csv"
    first.write_text("".join(lines[:700]), encoding="utf-8")
    second.write_text(lines[0] + "".join(lines[400:]), encoding="utf-8")
    same_figures(
        load_dataset([first, second], config).observations,
        load_dataset([BOROUGH_2025], config).observations,
    )


def test_a_release_split_by_months_keeps_every_figure(real, config, tmp_path):
    header, rows = raw_rows(BOROUGH_2025)
    halves = []
    for index, months in enumerate((header[3:15], header[15:])):
        columns = [0, 1, 2, *[header.index(m) for m in months]]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows([[row[i] for i in columns] for row in [header, *rows]])
        path = tmp_path / f"half{index}.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        halves.append(path)
    columns = [*KEYS, "value"]
    split = load_dataset(halves, config).observations.select(columns).sort(KEYS)
    whole = load_dataset([BOROUGH_2025], config).observations.select(columns).sort(KEYS)
    assert split.equals(whole)


# --- two versions of one release ------------------------------------------------------------


def test_two_versions_of_one_release_that_disagree_are_reported_naming_both(real, config, tmp_path):
    """A copy of the release with one cell revised up: the borough-month that differs comes
    whole from the version with more offences, and the report names both files."""
    header, rows = raw_rows(BOROUGH_2025)
    column = header.index("202506")
    target = next(i for i, r in enumerate(rows) if r[2] == "Lambeth" and r[1] == "SHOPLIFTING")
    revised = [list(r) for r in rows]
    revised[target][column] = str(int(revised[target][column]) + 40)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *revised])
    copy = tmp_path / "revised_copy.csv"
    copy.write_text(buffer.getvalue(), encoding="utf-8")

    dataset = load_dataset([BOROUGH_2025, copy], config)
    obs = dataset.observations
    lambeth_june = obs.filter(
        (pl.col("borough") == "Lambeth") & (pl.col("month") == date(2025, 6, 1))
    )
    assert set(lambeth_june["source"]) == {copy.name}
    assert (
        lambeth_june["value"].sum() == raw_total(BOROUGH_2025, {"202506"}, borough="Lambeth") + 40
    )
    # nothing else is doubled
    assert obs["value"].sum() == raw_total(BOROUGH_2025, set(header[3:])) + 40
    (note,) = [s for s in dataset.report.superseded if "two versions" in s]
    assert BOROUGH_2025.name in note and copy.name in note


# --- record files (data.police.uk) -----------------------------------------------------------


def street_month(month: str) -> tuple[str, list[str]]:
    (path,) = STREET.glob(f"{month}-metropolitan-street__*.csv.gz")
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines(keepends=True)
    return lines[0], lines[1:]


def street_total(header: str, lines: list[str], config) -> int:
    """Crimes in London boroughs (a Crime ID once a month; rows without one each count)."""
    boroughs = {b.name for b in config.geography.boroughs}
    seen: set[tuple[str, str]] = set()
    total = 0
    for row in csv.DictReader(io.StringIO(header + "".join(lines))):
        place = row["LSOA name"].rsplit(" ", 1)[0] if row["LSOA name"] else ""
        if place not in boroughs:
            continue
        if row["Crime ID"]:
            if (row["Month"], row["Crime ID"]) in seen:
                continue
            seen.add((row["Month"], row["Crime ID"]))
        total += 1
    return total


def test_a_month_of_street_records_split_in_two_adds_up(real, config, tmp_path):
    header, lines = street_month("2024-05")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(header + "".join(lines[: len(lines) // 2]), encoding="utf-8")
    second.write_text(header + "".join(lines[len(lines) // 2 :]), encoding="utf-8")
    dataset = load_dataset([first, second], config)
    assert dataset.observations["value"].sum() == street_total(header, lines, config)
    assert not dataset.report.superseded


def test_two_versions_of_a_month_of_street_records_are_not_added(real, config, tmp_path):
    """A later download of the same month (here: 30 crimes fewer) shares its records with
    the first: the larger version is kept, never both."""
    header, lines = street_month("2024-05")
    full, later = tmp_path / "full.csv", tmp_path / "later.csv"
    full.write_text(header + "".join(lines), encoding="utf-8")
    later.write_text(header + "".join(lines[30:]), encoding="utf-8")
    dataset = load_dataset([later, full], config)
    assert dataset.observations["value"].sum() == street_total(header, lines, config)
    (note,) = dataset.report.superseded
    assert full.name in note and later.name in note and "same records" in note


def test_the_same_file_twice_under_two_names_counts_once(real, config, tmp_path):
    header, lines = street_month("2024-05")
    for name in ("one.csv", "two.csv"):
        (tmp_path / name).write_text(header + "".join(lines), encoding="utf-8")
    dataset = load_dataset([tmp_path], config)
    assert dataset.observations["value"].sum() == street_total(header, lines, config)
    assert any("the same content as one.csv" in w for w in dataset.report.warnings)


def test_street_months_from_two_forces_add_up(real, config, tmp_path):
    """Two forces' files of one month hold different crimes: both count."""
    header, lines = street_month("2024-05")
    met = tmp_path / "met.csv"
    met.write_text(header + "".join(lines), encoding="utf-8")
    other = tmp_path / "btp.csv"
    counted = Counter()
    rows = []
    for row in csv.reader(io.StringIO("".join(lines[:10]))):
        row[0] = (row[0] + "-btp") if row[0] else ""
        row[2] = row[3] = "British Transport Police"
        rows.append(row)
        counted[row[8]] += 1
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    other.write_text(header + buffer.getvalue(), encoding="utf-8")
    both = load_dataset([met, other], config).observations["value"].sum()
    btp_alone = load_dataset([other], config).observations["value"].sum()
    assert btp_alone > 0
    assert both == street_total(header, lines, config) + btp_alone
