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


# --- the formats added beside them: the same refusals, at the file's own line --------------

# One good line, then the same line with {cell} changed: every format must refuse the second
# line in one message naming its column, whatever its loader does after (adding days up to
# months, placing searches, mapping dashboard series).
NEW_FORMATS = {
    "dashboard": (
        "Month_Year,Area Type,Borough_SNT,Area name,Area code,Crime Type,Crime Subtype,Measure,"
        "Financial Year,FY_FYIndex,Count,Refresh Date",
        "{month}-01,Borough,Lambeth,Lambeth,E09000022,Gun Crime,{name},Offences,fy24-25,24-25_01,"
        "{count},2025-08-02",
        {"name": "Gun Crime", "month": "2024-06", "count": "4"},
        {"name": "Crime Subtype", "month": "Month_Year", "count": "Count"},
    ),
    "homicides": (
        "Count of Victims,Age Group,Sex,Method of Killing,Domestic Abuse,Recorded Date,"
        "Homicide Offence Type,Solved Status,Borough,Officer Observed Ethnicity",
        "{count},25 to 34,Male,{name},Not Domestic Abuse,{month},Murder,Solved,Lambeth,Black",
        {"name": "Shooting", "month": "Jun-24", "count": "1"},
        {"name": "Method of Killing", "month": "Recorded Date", "count": "Count of Victims"},
    ),
    "vawg": (
        "BCU Location,Borough Name,Ward,Recorded Date (Months),Count",
        "Central South,{name},Brixton,{month}-01,{count}",
        {"name": "Lambeth", "month": "2024-06", "count": "4"},
        {"name": "Borough Name", "month": "Recorded Date (Months)", "count": "Count"},
    ),
    "business crime": (
        "date,measure,borough,crime_section,crime_group,business_crime_offence_count",
        "{month}-01,Business Crime Offences,Lambeth,THEFT,{name},{count}",
        {"name": "SHOPLIFTING", "month": "2024-06", "count": "3"},
        {"name": "crime_group", "month": "date", "count": "business_crime_offence_count"},
    ),
    "stop and search": (
        "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,"
        "Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,"
        "Object of search,Outcome,Outcome linked to object of search,"
        "Removal of more than just outer clothing",
        "Person search,{month}-01T10:00:00+00:00,False,,51.46,{count},Male,18-24,,,,{name},"
        "Arrest,,",
        {"name": "Offensive weapons", "month": "2024-06", "count": "-0.11"},
        {"name": "Object of search", "month": "Date", "count": "Longitude"},
    ),
}
BAD_CELLS = {
    "an escape byte in a name": ("name", "Knife\x1b]0;PWNED\x07", "a control character (\\x1b)"),
    "a bidirectional override": ("name", "Gun \u202eemirc", "a control character (\\u202e)"),
    "a month after the current one": ("month", "2062-09", "after the current month"),
    "not a number": ("count", "nan", "found 'nan'"),
    "too large to count": ("count", "1e400", "found '1e400'"),
}


@pytest.mark.parametrize("cell", BAD_CELLS, ids=list(BAD_CELLS))
@pytest.mark.parametrize("fmt", NEW_FORMATS, ids=list(NEW_FORMATS))
def test_the_newer_formats_refuse_what_the_others_refuse_at_its_line(tmp_path, config, fmt, cell):
    header, template, good, columns = NEW_FORMATS[fmt]
    field, text, message = BAD_CELLS[cell]
    if field == "month":
        text = {"homicides": "Sep-62"}.get(fmt, text)
    bad = {**good, field: text}
    path = tmp_path / "new_format.csv"
    body = "\n".join([header, template.format(**good), template.format(**bad)]) + "\n"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset([path], config, use_cache=False)
    error = caught.value
    assert (error.line, error.column) == (3, columns[field]), str(error)
    assert message in error.message, str(error)
    assert "\n" not in str(error) and "\x1b" not in str(error) and "\u202e" not in str(error)
