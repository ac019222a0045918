"""MOPAC Public Attitude Survey by borough, in both known exports, against the raw files."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from crimefighters.cli import main
from crimefighters.data import load_dataset
from crimefighters.errors import DataError

SEMICOLON = "mopac_pas/PAS_buroughs__semicolon_decimal_comma__paulrodenburg.csv"
COMMA_QUOTED = "mopac_pas/PAS_Dashboard_Borough__comma_quoted_decimal_comma__Dementjev1.csv"
MPS_ONLY = "mopac_pas/PAS_Total__MPS_level__semicolon_decimal_comma__paulrodenburg.csv"
NEIGHBOURHOOD = [
    "mopac_pas/neighbourhood_indicators_2015-16_to_2020-21__ClaudiaOffner.csv",
    "mopac_pas/police_perceptions_2016_by_neighbourhood__ClaudiaOffner.csv",
]


def raw_rows(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8")
    delimiter = ";" if text.split("\n", 1)[0].count(";") else ","
    return list(csv.DictReader(text.splitlines(), delimiter=delimiter))


def quarter_month(text: str) -> date:
    _day, month, year = map(int, text.split("/"))
    return date(year, month, 1)


@pytest.mark.parametrize("name", [SEMICOLON, COMMA_QUOTED])
def test_each_pas_export_loads_every_borough_proportion(real, config, name):
    raw = raw_rows(real / name)
    obs = load_dataset([real / name], config).observations

    assert obs.height == len(raw) == 9_312
    assert obs["value"].sum() == pytest.approx(
        sum(float(r["Proportion"].replace(",", ".")) for r in raw)
    )
    assert obs["borough"].n_unique() == 32
    assert obs["month"].n_unique() == 37
    assert obs["month"].min() == date(2014, 12, 1) and obs["month"].max() == date(2023, 12, 1)
    assert set(obs["month"].dt.month()) == {3, 6, 9, 12}  # quarter ends
    assert obs["category"].n_unique() == 8
    assert set(obs["measure"]) == {"pas_confidence"}
    assert set(obs["family"]) == {"generic"}
    assert obs["denominator"].is_null().all()
    assert obs["value"].is_between(0.04, 0.94).all()
    assert not obs["provisional"].any()
    first = obs.filter(
        (pl.col("borough") == "Barking and Dagenham")
        & (pl.col("month") == date(2014, 12, 1))
        & (pl.col("category") == '"Good Job" local')
    )
    assert first["value"].to_list() == [0.56]  # the borough value, not the MPS column's 0,67


def test_both_exports_give_the_same_observations(real, config):
    keys = ["month", "borough", "category"]
    semicolon = (
        load_dataset([real / SEMICOLON], config).observations.select(*keys, "value").sort(keys)
    )
    comma = (
        load_dataset([real / COMMA_QUOTED], config).observations.select(*keys, "value").sort(keys)
    )
    assert semicolon.equals(comma)


def test_the_mps_london_column_is_not_loaded_as_a_borough(real, config):
    obs = load_dataset([real / SEMICOLON], config).observations
    assert not obs["borough"].is_in(["London", "MPS"]).any()


def test_richmond_is_one_borough_across_its_spelling_change(real, config):
    raw = raw_rows(real / SEMICOLON)
    spellings = {r["Borough"] for r in raw if r["Borough"].startswith("Richmond")}
    assert spellings == {"Richmond upon Thames", "Richmond Upon Thames"}
    richmond = load_dataset([real / SEMICOLON], config).observations.filter(
        pl.col("borough") == "Richmond upon Thames"
    )
    assert richmond.height == sum(1 for r in raw if r["Borough"] in spellings)
    assert richmond["month"].n_unique() == 37


def test_trust_in_the_mps_starts_in_march_2016(real, config):
    obs = load_dataset([real / SEMICOLON], config).observations
    trust = obs.filter(pl.col("category") == "Trust MPS")
    assert trust["month"].min() == date(2016, 3, 1)
    raw = raw_rows(real / SEMICOLON)
    assert trust.height == sum(1 for r in raw if r["Measure"] == "Trust MPS")
    assert {quarter_month(r["Date"]) for r in raw if r["Measure"] == "Trust MPS"} == set(
        trust["month"]
    )


def test_the_mps_wide_total_file_is_refused_as_having_no_borough_data(real, config):
    with pytest.raises(DataError) as caught:
        load_dataset([real / MPS_ONLY], config)
    assert str(caught.value).startswith(f"{real / MPS_ONLY}: holds only MPS-wide PAS values")


@pytest.mark.parametrize("name", NEIGHBOURHOOD)
def test_neighbourhood_level_perception_files_are_not_a_supported_format(
    real, config, capsys, name
):
    with pytest.raises(DataError, match=r":1: not a recognised data format"):
        load_dataset([real / name], config)
    assert main(["data", "info", "--data", str(real / name)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crimefighters: error:") and err.count("\n") == 1
    assert "Traceback" not in err


def test_a_proportion_above_one_is_refused_with_its_line_and_column(tmp_path, config):
    path = tmp_path / "pas.csv"
    path.write_text(
        'Date;Survey;Borough;Measure;Proportion;MPS\n31/12/2014;PAS;Barnet;"""Good Job"" local";0,67;0,67\n'
        "31/12/2014;PAS;Brent;Trust MPS;67;0,67\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as caught:
        load_dataset([path], config)
    assert str(caught.value) == (
        f"{path}:3 column 'Proportion': a proportion must be between 0 and 1; found '67'"
    )


def test_a_date_that_is_not_a_quarter_end_date_is_refused(tmp_path, config):
    path = tmp_path / "pas.csv"
    path.write_text(
        "Date;Survey;Borough;Measure;Proportion;MPS\n2014 Q4;PAS;Barnet;Trust MPS;0,67;0,67\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"pas\.csv:2 column 'Date': expected a quarter-end date"):
        load_dataset([path], config)
