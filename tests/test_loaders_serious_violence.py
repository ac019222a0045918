"""Homicides, stop and search, business crime and VAWG against independent counts of the raw files.

Expected numbers come from the raw files read with plain Polars in the test, never from the
loaders under test.
"""

from __future__ import annotations

import gzip
import re
from datetime import date

import polars as pl
import pytest

from crimefighters.cli import main
from crimefighters.data import load_dataset
from crimefighters.data.placement import placement_check, street_points
from crimefighters.errors import DataError

HOMICIDES = "mps_homicides/Homicides_2003_2023__paulrodenburg.csv"
SEARCHES = "police_uk_met_stop_and_search"
STREET = "police_uk_met_burglary_street_outcomes"
BUSINESS_OFFENCES = "mps_business_crime/MPS_BusinessCrime_Offences__fenneh_parquet.parquet"
BUSINESS_OUTCOMES = "mps_business_crime/MPS_BusinessCrime_Outcomes__fenneh_parquet.parquet"
VAWG = "mps_vawg/MPS_VAWG_Offences__fenneh_parquet.parquet"


def refused_in_one_line(capsys, *paths, message: str) -> None:
    args = ["data", "info"]
    for path in paths:
        args += ["--data", str(path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("crimefighters: error:") and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def series(obs: pl.DataFrame, measure: str, category: str) -> pl.DataFrame:
    return obs.filter((pl.col("measure") == measure) & (pl.col("category") == category))


# --- homicides -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_homicides(real) -> pl.DataFrame:
    raw = pl.read_csv(real / HOMICIDES, infer_schema=False)
    # the file's own spellings, joined by hand: trailing spaces, '&', capital 'Upon'
    borough = (
        pl.col("Borough").str.strip_chars().str.replace("&", "and").str.replace("Upon", "upon")
    )
    return raw.with_columns(borough=borough, month=pl.col("Recorded Date").str.to_date("%b-%y"))


@pytest.fixture(scope="module")
def homicides(real, config):
    return load_dataset([real / HOMICIDES], config, use_cache=False)


def test_every_homicide_victim_is_counted_none_de_duplicated(homicides, raw_homicides):
    assert raw_homicides.height == 2912 and raw_homicides.is_duplicated().sum() == 65  # 33 repeats
    london = raw_homicides.filter(pl.col("borough") != "Heathrow")
    loaded = series(homicides.observations, "homicide_victims", "All victims")
    assert loaded["value"].sum() == london.height
    per_borough = dict(loaded.group_by("borough").agg(pl.col("value").sum()).iter_rows())
    expected = dict(london.group_by("borough").len().iter_rows())
    assert per_borough == expected
    assert (
        per_borough["Ealing"]
        == raw_homicides.filter(pl.col("Borough").str.starts_with("Ealing")).height
    )
    assert any(
        "'London Heathrow and London City Airports'" in s for s in homicides.report.set_aside
    )


def test_methods_add_up_to_all_victims_and_domestic_abuse_is_flagged(homicides, raw_homicides):
    obs = homicides.observations
    methods = raw_homicides["Method of Killing"].unique().to_list()
    by_method = obs.filter(
        (pl.col("measure") == "homicide_victims") & pl.col("category").is_in(methods)
    )
    assert by_method["value"].sum() == series(obs, "homicide_victims", "All victims")["value"].sum()
    knife = raw_homicides.filter(
        (pl.col("borough") != "Heathrow")
        & (pl.col("Method of Killing") == "Knife or Sharp Implement")
    )
    assert (
        series(obs, "homicide_victims", "Knife or Sharp Implement")["value"].sum() == knife.height
    )
    domestic = raw_homicides.filter(
        (pl.col("borough") != "Heathrow") & (pl.col("Domestic Abuse") == "Domestic Abuse")
    )
    assert series(obs, "homicide_victims", "Domestic abuse")["value"].sum() == domestic.height


def test_a_month_without_a_homicide_reads_zero(homicides, raw_homicides):
    lambeth = series(homicides.observations, "homicide_victims", "All victims").filter(
        pl.col("borough") == "Lambeth"
    )
    assert lambeth.height == 21 * 12
    months_with = raw_homicides.filter(pl.col("borough") == "Lambeth")["month"].n_unique()
    assert (lambeth["value"] == 0).sum() == 21 * 12 - months_with


HOMICIDE_HEADER = "Count of Victims,Age Group,Sex,Method of Killing,Domestic Abuse,Recorded Date,Homicide Offence Type,Solved Status,Borough,Officer Observed Ethnicity\n"
HOMICIDE_ROW = "1,25 to 34,Male,Shooting,Not Domestic Abuse,Jun-03,Murder,Solved,Lambeth,Black\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            HOMICIDE_ROW.replace("Jun-03", "June 2003"),
            "Recorded Date': expected a month as Mon-YY (Jan-03); found 'June 2003'",
        ),
        (
            HOMICIDE_ROW.replace("Not Domestic Abuse", "Unknown"),
            "Domestic Abuse': expected 'Domestic Abuse' or 'Not Domestic Abuse'; found 'Unknown'",
        ),
        (
            HOMICIDE_ROW.replace("1,25", "one,25"),
            "Count of Victims': expected a whole number of 0 or more; found 'one'",
        ),
    ],
    ids=["month", "domestic flag", "count"],
)
def test_a_bad_homicide_file_is_refused_in_one_line(tmp_path, capsys, row, message):
    path = tmp_path / "homicides.csv"
    path.write_text(HOMICIDE_HEADER + HOMICIDE_ROW + row, encoding="utf-8")
    refused_in_one_line(capsys, path, message=f"{path}:3 column '{message}")


# --- stop and search -------------------------------------------------------------------------


def read_gz(path) -> pl.DataFrame:
    return pl.read_csv(gzip.decompress(path.read_bytes()), infer_schema=False)


@pytest.fixture(scope="module")
def three_months(real, config):
    """Three months of searches placed by all 24 months of street files."""
    files = [real / SEARCHES / f"2024-0{m}-metropolitan-stop-and-search.csv.gz" for m in (6, 7, 8)]
    return files, load_dataset([*files, real / STREET], config, use_cache=False)


def test_every_search_is_placed_or_counted_as_not_placed(three_months):
    files, dataset = three_months
    raw = pl.concat([read_gz(f) for f in files])
    placed = dataset.observations.filter(
        (pl.col("measure") == "stop_and_search") & (pl.col("category") == "All")
    )
    notes = [w for w in dataset.report.warnings if "stop-and-search" in w and "placed" in w]
    assert len(notes) == 3
    numbers = [re.search(r"placed ([\d,]+) of ([\d,]+) searches", n).groups() for n in notes]
    assert sum(int(of.replace(",", "")) for _, of in numbers) == raw.height
    assert placed["value"].sum() == sum(int(p.replace(",", "")) for p, _ in numbers)
    without = sum(
        int(re.search(r"([\d,]+) without coordinates", n).group(1).replace(",", "")) for n in notes
    )
    assert without == raw.filter(pl.col("Latitude").is_null()).height
    # nearly every search with coordinates is placed
    assert placed["value"].sum() > 0.99 * raw.filter(pl.col("Latitude").is_not_null()).height


def test_object_categories_add_up_to_all_and_arrests_never_exceed_searches(three_months):
    _, dataset = three_months
    volume = dataset.observations.filter(pl.col("measure") == "stop_and_search")
    objects = volume.filter(pl.col("category") != "All")["value"].sum()
    assert objects == volume.filter(pl.col("category") == "All")["value"].sum()
    rate = dataset.observations.filter(pl.col("measure") == "stop_and_search_arrest_rate")
    assert (rate["value"] <= rate["denominator"]).all()
    london = (
        rate.filter(pl.col("category") == "All")
        .select(pl.col("value").sum() / pl.col("denominator").sum())
        .item()
    )
    assert 0.12 < london < 0.20  # the Met's published arrest rate is about 15-17%


def test_searches_at_a_lambeth_map_point_are_placed_in_lambeth(tmp_path, real, config):
    street = read_gz(real / STREET / "2024-06-metropolitan-street__burglary_only.csv.gz")
    searches = read_gz(real / SEARCHES / "2024-06-metropolitan-stop-and-search.csv.gz")
    # map points where every street crime is in a Lambeth LSOA, found in the raw files
    points = street.group_by("Longitude", "Latitude").agg(
        pl.col("LSOA name").str.starts_with("Lambeth ").all().alias("lambeth")
    )
    lambeth_points = points.filter(pl.col("lambeth")).select("Longitude", "Latitude")
    at_lambeth = searches.join(lambeth_points, on=["Longitude", "Latitude"])
    assert at_lambeth.height > 50
    path = tmp_path / "2024-06-metropolitan-stop-and-search.csv"
    at_lambeth.write_csv(path)
    street_path = tmp_path / "2024-06-metropolitan-street.csv"
    street.write_csv(street_path)
    obs = load_dataset([path, street_path], config, use_cache=False).observations
    placed = obs.filter(
        (pl.col("measure") == "stop_and_search")
        & (pl.col("category") == "All")
        & (pl.col("value") > 0)
    )
    assert placed.select("borough", "value").rows() == [("Lambeth", at_lambeth.height)]
    arrests = obs.filter(
        (pl.col("measure") == "stop_and_search_arrest_rate")
        & (pl.col("category") == "All")
        & (pl.col("borough") == "Lambeth")
    )
    assert arrests["value"].to_list() == [at_lambeth.filter(pl.col("Outcome") == "Arrest").height]


def test_a_search_by_utc_date_falls_in_its_london_month(tmp_path, real, config):
    street = read_gz(real / STREET / "2024-06-metropolitan-street__burglary_only.csv.gz").head(200)
    point = street.filter(pl.col("Latitude").is_not_null()).row(0, named=True)
    header = "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,Outcome linked to object of search,Removal of more than just outer clothing\n"
    row = f"Person search,2024-05-31T23:30:00+00:00,False,,{point['Latitude']},{point['Longitude']},Male,18-24,,,,Offensive weapons,Arrest,,\n"
    path = tmp_path / "searches.csv"
    path.write_text(header + row, encoding="utf-8")
    street_path = tmp_path / "street.csv"
    street.write_csv(street_path)
    obs = load_dataset([path, street_path], config, use_cache=False).observations
    june = obs.filter((pl.col("measure") == "stop_and_search") & (pl.col("value") > 0))
    assert set(june["month"].to_list()) == {date(2024, 6, 1)}
    assert set(june["category"].to_list()) == {"All", "Offensive weapons"}


def test_the_held_out_check_places_street_crimes_in_their_own_borough(real, config):
    files = tuple(sorted((real / STREET).glob("*street*.csv.gz")))
    index = street_points(files, config)
    check = placement_check(index, config.geography.placement.max_distance_m)
    assert check.placed > 0.99 * check.points
    assert check.agree / check.placed > 0.95


SEARCH_HEADER = "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,Outcome linked to object of search,Removal of more than just outer clothing\n"
SEARCH_ROW = "Person search,2024-06-01T10:00:00+00:00,False,,51.46,-0.11,Male,18-24,,,,Offensive weapons,Arrest,,\n"


def test_searches_without_street_files_are_refused_in_one_line(tmp_path, capsys):
    path = tmp_path / "searches.csv"
    path.write_text(SEARCH_HEADER + SEARCH_ROW, encoding="utf-8")
    refused_in_one_line(
        capsys,
        path,
        message="stop and search records carry no borough: load the data.police.uk street files",
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            SEARCH_ROW.replace("2024-06-01T10:00:00+00:00", "01/06/2024"),
            "3 column 'Date': expected a date and time as 2024-05-31T23:00:00+00:00; found '01/06/2024'",
        ),
        (
            SEARCH_ROW.replace("51.46", "north"),
            "3 column 'Latitude': expected a latitude in the UK (49.0 to 61.0) or nothing; found 'north'",
        ),
        (
            SEARCH_ROW.replace("51.46", ""),
            "3 column 'Latitude': a latitude without a longitude (or the other way round)",
        ),
    ],
    ids=["date", "latitude", "half a location"],
)
def test_a_bad_stop_and_search_file_is_refused_in_one_line(tmp_path, capsys, row, message):
    path = tmp_path / "searches.csv"
    path.write_text(SEARCH_HEADER + SEARCH_ROW + row, encoding="utf-8")
    refused_in_one_line(capsys, path, message=f"{path}:{message}")


# --- business crime and VAWG -----------------------------------------------------------------


@pytest.fixture(scope="module")
def business(real, config):
    return load_dataset(
        [real / BUSINESS_OFFENCES, real / BUSINESS_OUTCOMES], config, use_cache=False
    )


def test_business_crime_days_add_up_to_borough_months(real, config, business):
    boroughs = [b.name for b in config.geography.boroughs]
    raw = pl.read_parquet(real / BUSINESS_OFFENCES).filter(pl.col("borough").is_in(boroughs))
    expected = raw.group_by(month=pl.col("date").str.slice(0, 7)).agg(
        pl.col("business_crime_offence_count").sum()
    )
    loaded = (
        business.observations.filter(pl.col("measure") == "business_crime_offences")
        .group_by(month=pl.col("month").dt.strftime("%Y-%m"))
        .agg(pl.col("value").sum().cast(pl.Int64))
    )
    assert dict(loaded.iter_rows()) == dict(expected.iter_rows())
    shoplifting = raw.filter(
        (pl.col("crime_group") == "SHOPLIFTING") & (pl.col("borough") == "Westminster")
    )["business_crime_offence_count"].sum()
    loaded_shoplifting = business.observations.filter(
        (pl.col("measure") == "business_crime_offences")
        & (pl.col("category") == "Shoplifting")
        & (pl.col("borough") == "Westminster")
    )["value"].sum()
    assert loaded_shoplifting == shoplifting


def test_business_crime_positive_outcomes_are_the_rows_marked_y(real, config, business):
    boroughs = [b.name for b in config.geography.boroughs]
    raw = pl.read_parquet(real / BUSINESS_OUTCOMES).filter(pl.col("borough").is_in(boroughs))
    positive = raw.filter(pl.col("positive_outcome") == "Y")["outcome_count"].sum()
    assert (
        business.observations.filter(pl.col("measure") == "business_crime_positive_outcomes")[
            "value"
        ].sum()
        == positive
    )
    assert any("'Other / NK'" in s for s in business.report.set_aside)


def test_a_part_month_of_business_crime_is_set_aside(tmp_path, real, config):
    raw = pl.read_parquet(real / BUSINESS_OFFENCES).filter(pl.col("date") <= "2023-10-15")
    path = tmp_path / "business.parquet"
    raw.write_parquet(path)
    dataset = load_dataset([path], config, use_cache=False)
    assert dataset.observations["month"].max() == date(2023, 9, 1)
    assert any(
        "2023-10 ends on 15 October: a part month, set aside" in w for w in dataset.report.warnings
    )


def test_vawg_location_rows_add_up_per_borough_and_month(real, config):
    raw = pl.read_parquet(real / VAWG).filter(pl.col("sheet") == "Offence count location")
    dataset = load_dataset([real / VAWG], config, use_cache=False)
    obs = dataset.observations
    june = obs.filter((pl.col("borough") == "Westminster") & (pl.col("month") == date(2024, 6, 1)))
    assert june["value"].to_list() == [391]  # SOURCES.md
    boroughs = [b.name for b in config.geography.boroughs]
    expected = raw.filter(pl.col("borough_name").is_in(boroughs))["count"].sum()
    assert obs["value"].sum() == expected
    assert any(
        "offence count classification" in w and "not loaded" in w for w in dataset.report.warnings
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "date,measure,borough,crime_section,crime_group,business_crime_offence_count\n2024-06-01,Business Crime Offences,Lambeth,THEFT,SHOPLIFTING,many\n",
            ":2 column 'business_crime_offence_count': expected a whole number of 0 or more; found 'many'",
        ),
        (
            "Date,Measure,Borough,Crime Section,Crime Group,Outcome,Positive Outcome,Outcome Count\n2024-06-01,Business Crime Outcomes,Lambeth,THEFT,SHOPLIFTING,Caution Adult,Maybe,1\n",
            ":2 column 'Positive Outcome': expected Y or N; found 'Maybe'",
        ),
        (
            "BCU Location,Borough Name,Ward,Recorded Date (Months),Count\nCentral South,Lambeth,Brixton,June 2024,4\n",
            ":2 column 'Recorded Date (Months)': expected a month as YYYY-MM-DD; found 'June 2024'",
        ),
    ],
    ids=["business offences count", "business positive flag", "vawg month"],
)
def test_a_bad_business_or_vawg_file_is_refused_in_one_line(
    tmp_path, capsys, config, content, message
):
    path = tmp_path / "data.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError):
        load_dataset([path], config, use_cache=False)
    refused_in_one_line(capsys, path, message=f"{path}{message}")
