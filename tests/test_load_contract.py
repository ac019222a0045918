"""A loader that hands back raw names (``ParsedFile.canonical`` False: the contract new loaders
may use) gets the same checks as the built-in ones: names resolved before duplicates are
compared, pseudo-boroughs set aside, control characters, impossible months and values
refused, record files summed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from crimefighters.data import fingerprints, load_dataset
from crimefighters.data.formats import FileFormat, registry
from crimefighters.data.schema import RAW_COLUMNS, ParsedFile, conform
from crimefighters.errors import DataError

HEADER = "raw_loader_area,raw_loader_category,raw_loader_month,raw_loader_value"


def parse(path: Path, data: bytes, config) -> ParsedFile:
    lines = data.decode().splitlines()[1:]
    rows = []
    for number, line in enumerate(lines, start=2):
        area, category, month, value = line.split(",")
        year, month_number = month.split("-")
        rows.append(
            {
                "month": date(int(year), int(month_number), 1),
                "borough_raw": area,
                "measure": "recorded_crime",
                "category": category,
                "category_group": "Theft",
                "value": float(value),
                "family": "mps_new",
                "line": number,
            }
        )
    frame = conform(pl.DataFrame(rows, schema_overrides={"month": pl.Date}), RAW_COLUMNS)
    return ParsedFile(path=path, format="raw_loader", rows=frame, additive="records" in path.name)


RAW = FileFormat(
    name="raw_loader",
    description="a loader returning raw names",
    detect=lambda header, path: header.startswith("raw_loader_area"),
    parse=parse,
)


@pytest.fixture(autouse=True)
def with_raw_loader(monkeypatch):
    monkeypatch.setattr(fingerprints, "registry", lambda: [*registry(), RAW])


def load(tmp_path, config, body: str, name: str = "raw.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "\n" + body, encoding="utf-8")
    return load_dataset([path], config, use_cache=False)


def test_spellings_and_aliases_are_one_key_before_duplicates_are_compared(tmp_path, config):
    with pytest.raises(DataError) as caught:
        load(
            tmp_path,
            config,
            "Barking & Dagenham,Theft from Person,2024-01,5\nBarking and Dagenham,THEFT FROM THE PERSON,2024-01,6\n",
        )
    assert caught.value.line == 3
    assert caught.value.message.startswith(
        "duplicate row for Barking and Dagenham, recorded_crime, Theft, Theft from the Person, 2024-01"
    )


def test_identical_rows_under_two_spellings_count_once_and_pseudo_boroughs_are_set_aside(
    tmp_path, config
):
    dataset = load(
        tmp_path,
        config,
        "Barking & Dagenham,Shoplifting,2024-01,5\nBarking and Dagenham,SHOPLIFTING,2024-01,5\n"
        "Heathrow,Shoplifting,2024-01,9\n",
    )
    obs = dataset.observations
    assert obs.select("borough", "category", "value").rows() == [
        ("Barking and Dagenham", "Shoplifting", 5.0)
    ]
    assert any("Heathrow" in s and "total 9" in s for s in dataset.report.set_aside)


def test_record_rows_of_one_key_add_up(tmp_path, config):
    obs = load(
        tmp_path,
        config,
        "Barnet,Shoplifting,2024-01,1\nBarnet,SHOPLIFTING,2024-01,1\n",
        name="records.csv",
    ).observations
    assert obs["value"].to_list() == [2.0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Gotham,Shoplifting,2024-01,1\n", "unknown borough 'Gotham'"),
        ("Barnet,Shop\x1blifting,2024-01,1\n", "a control character (\\x1b) in a name"),
        ("Barnet,Shoplifting,2062-09,1\n", "a month after the current month"),
        ("Barnet,Shoplifting,1899-09,1\n", "a month before 1900"),
        ("Barnet,Shoplifting,2024-01,nan\n", "not a finite number"),
        ("Barnet,Shoplifting,2024-01,-4\n", "negative value"),
    ],
)
def test_what_the_built_in_loaders_refuse_is_refused(tmp_path, config, body, message):
    with pytest.raises(DataError) as caught:
        load(tmp_path, config, body)
    assert caught.value.line == 2
    assert message in str(caught.value)


ONE_FILE_OF_EACH_FORMAT = [
    "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202407-202606__mithunksms__BOCU_format.csv",
    "mps_borough_crime/old_format/MPS_Borough_Level_Crime_24m__201701-201812__RuSaBin.csv",
    "mps_ward_crime/MPS_Ward_Level_Crime_24m__202401-202512__JDevs.csv",
    "mopac_pas/PAS_buroughs__semicolon_decimal_comma__paulrodenburg.csv",
    "kaggle_london_crime_by_lsoa_sample/london_crime_by_lsoa__1000row_sample__auliaputrih.csv",
    "police_uk_met_burglary_street_outcomes/2024-05-metropolitan-street__burglary_only.csv.gz",
]


@pytest.mark.parametrize("name", ONE_FILE_OF_EACH_FORMAT)
def test_one_file_loads_already_in_the_canonical_order(real, config, name):
    """A load of one file is not sorted again, so each parser must hand its rows back sorted."""
    dataset = load_dataset([real / name], config)
    obs = dataset.observations
    assert obs.equals(obs.sort("measure", "borough", "category_group", "category", "month"))
    wards = dataset.wards
    assert wards.equals(wards.sort("borough", "ward", "category_group", "category", "month"))


def test_the_sample_data_loads_in_the_canonical_order(config, tmp_path):
    from crimefighters.paths import default_sample_dir

    for path in sorted(default_sample_dir().glob("*.csv")):
        obs = load_dataset([path], config).observations
        assert obs.equals(obs.sort("measure", "borough", "category_group", "category", "month")), (
            path.name
        )


def test_a_generic_file_written_in_any_order_loads_in_the_canonical_order(config, tmp_path):
    path = tmp_path / "shuffled.csv"
    path.write_text(
        "month,borough,measure,category,value\n"
        "2024-02,Lambeth,asb_incidents,All,4\n"
        "2024-01,Lambeth,asb_incidents,All,3\n"
        "2024-01,Barnet,wanted_offenders,All,7\n"
        "2024-01,Barnet,asb_incidents,All,5\n"
    )
    obs = load_dataset([path], config).observations
    assert obs.select("measure", "borough", "month").rows() == [
        ("asb_incidents", "Barnet", date(2024, 1, 1)),
        ("asb_incidents", "Lambeth", date(2024, 1, 1)),
        ("asb_incidents", "Lambeth", date(2024, 2, 1)),
        ("wanted_offenders", "Barnet", date(2024, 1, 1)),
    ]
