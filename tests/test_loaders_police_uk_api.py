"""data.police.uk API responses saved as JSON, with the borough from a .meta.json sidecar.

The real responses are copied to tmp_path so a sidecar can be written beside them; expected
counts are worked out from the raw JSON with the json module.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from crimefighters.cli import main
from crimefighters.data import load_dataset
from crimefighters.errors import DataError

# The real files, beside the checkout (the `real` fixture skips when they are absent).
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"

API = REAL / "police_uk_api_json"
MOZFEST = "crimes-street_all-crime_lat51.5017_lng0.0055_2014-08__mozfest.json"
MOZFEST_COPY = "crimes-street_all-crime_2014-08__mozfest_all-crime_1.json"
OUTCOMES = "outcomes-at-location_metropolitan_2019-01__extracted_from_js__csfullstack.json"
LEICESTERSHIRE = sorted(
    p.name for p in (API / "fixtures_leicestershire_police-data-kit").glob("*.json")
)
CRIME_TYPES = {
    "anti-social-behaviour": "Anti-social behaviour",
    "bicycle-theft": "Bicycle theft",
    "burglary": "Burglary",
    "criminal-damage-arson": "Criminal damage and arson",
    "drugs": "Drugs",
    "other-crime": "Other crime",
    "other-theft": "Other theft",
    "possession-of-weapons": "Possession of weapons",
    "public-order": "Public order",
    "robbery": "Robbery",
    "shoplifting": "Shoplifting",
    "theft-from-the-person": "Theft from the Person",  # the category alias table's spelling
    "vehicle-crime": "Vehicle crime",
    "violent-crime": "Violence and sexual offences",
}


def with_sidecar(real: Path, tmp_path: Path, name: str, borough: str | None = "Greenwich") -> Path:
    copy = tmp_path / name
    shutil.copyfile(real / "police_uk_api_json" / name, copy)
    if borough is not None:
        sidecar = copy.with_name(copy.name.removesuffix(".json") + ".meta.json")
        sidecar.write_text(json.dumps({"borough": borough, "source": "test"}), encoding="utf-8")
    return copy


def expected_street_counts(path: Path) -> Counter[tuple[str, str]]:
    """Met crimes only (BTP set aside), a persistent ID once, ASB as incidents."""
    counts: Counter[tuple[str, str]] = Counter()
    seen = set()
    for crime in json.loads(path.read_text(encoding="utf-8")):
        if crime["location_type"] == "BTP":
            continue
        if crime["persistent_id"]:
            if crime["persistent_id"] in seen:
                continue
            seen.add(crime["persistent_id"])
        if crime["category"] == "anti-social-behaviour":
            counts["asb_incidents", "All"] += 1
        else:
            counts["street_crime", CRIME_TYPES[crime["category"]]] += 1
    return counts


@pytest.mark.parametrize("name", [MOZFEST, MOZFEST_COPY])
def test_a_crimes_street_response_counts_met_crimes_by_type_in_the_sidecar_borough(
    real, tmp_path, config, name
):
    path = with_sidecar(real, tmp_path, name, borough="Royal Borough of Greenwich")
    dataset = load_dataset([path], config)
    obs = dataset.observations

    loaded = {(r["measure"], r["category"]): r["value"] for r in obs.iter_rows(named=True)}
    assert loaded == expected_street_counts(path)
    assert set(obs["borough"]) == {"Greenwich"}
    assert set(obs["month"]) == {date(2014, 8, 1)}
    assert set(obs["family"]) == {"police_uk"}
    assert loaded["asb_incidents", "All"] == 89  # 94 ASB records, 5 of them BTP
    assert any(
        "set aside 19 British Transport Police records" in w for w in dataset.report.warnings
    )


def test_the_two_saved_copies_of_one_query_differ_by_two_crimes_and_are_not_added_together(
    real, tmp_path, config
):
    first = (
        load_dataset([with_sidecar(real, tmp_path, MOZFEST)], config).observations["value"].sum()
    )
    second = (
        load_dataset([with_sidecar(real, tmp_path, MOZFEST_COPY)], config)
        .observations["value"]
        .sum()
    )
    both = load_dataset([tmp_path / MOZFEST, tmp_path / MOZFEST_COPY], config)
    assert second - first == 2
    assert both.observations["value"].sum() in (first, second)
    assert both.report.superseded


def test_an_outcomes_at_location_response_counts_crimes_given_a_positive_outcome(
    real, tmp_path, config
):
    path = with_sidecar(real, tmp_path, OUTCOMES, borough="Bexley")
    codes = config.outcomes.police_uk_api
    positive_crimes = {
        record["crime"]["persistent_id"]
        for record in json.loads(path.read_text(encoding="utf-8"))
        if codes[record["category"]["code"]] in config.outcomes.positive
    }
    obs = load_dataset([path], config).observations
    assert obs.select("month", "borough", "measure", "category", "value").rows() == [
        (date(2019, 1, 1), "Bexley", "positive_outcomes", "All", float(len(positive_crimes)))
    ]
    assert len(positive_crimes) == 19


def test_a_response_without_a_sidecar_is_refused_saying_how_to_supply_the_borough(
    real, tmp_path, config
):
    path = with_sidecar(real, tmp_path, MOZFEST, borough=None)
    with pytest.raises(DataError) as caught:
        load_dataset([path], config)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert "borough is unknown" in message
    assert "crimes-street_all-crime_lat51.5017_lng0.0055_2014-08__mozfest.meta.json" in message
    assert '"borough"' in message


def test_a_sidecar_naming_no_known_borough_is_refused_naming_the_sidecar(real, tmp_path, config):
    path = with_sidecar(real, tmp_path, MOZFEST, borough="Gotham")
    with pytest.raises(
        DataError, match=r"mozfest\.meta\.json: 'Gotham' is not one of the configured boroughs"
    ):
        load_dataset([path], config)


def test_changing_the_sidecar_changes_the_borough_even_after_a_cached_parse(real, tmp_path, config):
    path = with_sidecar(real, tmp_path, MOZFEST, borough="Greenwich")
    assert set(load_dataset([path], config).observations["borough"]) == {"Greenwich"}
    with_sidecar(real, tmp_path, MOZFEST, borough="Lewisham")
    assert set(load_dataset([path], config).observations["borough"]) == {"Lewisham"}


@pytest.mark.parametrize("name", LEICESTERSHIRE)
def test_single_record_and_other_endpoint_fixtures_are_refused_clearly(real, config, capsys, name):
    """The Leicestershire fixtures are single objects (a crime, an outcome, a force...), not the
    lists a crimes-street or outcomes-at-location response is: refused, never half-loaded."""
    path = real / "police_uk_api_json" / "fixtures_leicestershire_police-data-kit" / name
    with pytest.raises(DataError) as caught:
        load_dataset([path], config)
    assert str(caught.value).startswith(f"{path}: holds one JSON object")
    assert "crimes-street and outcomes-at-location" in str(caught.value)

    assert main(["data", "info", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crimefighters: error:") and err.count("\n") == 1


def test_broken_json_is_refused_with_its_line(tmp_path, config):
    path = tmp_path / "crimes.json"
    path.write_text('[\n  {"category": "burglary",\n  "month": 2014-08}\n]\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"crimes\.json:3: not valid JSON"):
        load_dataset([path], config)


def test_an_unknown_crime_category_slug_is_refused_naming_the_record(tmp_path, config):
    path = tmp_path / "crimes.json"
    crime = {
        "category": "alien-abduction",
        "month": "2014-08",
        "persistent_id": "x",
        "location": {},
    }
    path.write_text(json.dumps([crime]), encoding="utf-8")
    path.with_name("crimes.meta.json").write_text('{"borough": "Camden"}', encoding="utf-8")
    with pytest.raises(DataError, match=r"record 1: unknown crime category 'alien-abduction'"):
        load_dataset([path], config)


def test_an_empty_response_loads_nothing_with_a_warning(tmp_path, config):
    path = tmp_path / "crimes.json"
    path.write_text("[]\n", encoding="utf-8")
    dataset = load_dataset([path], config)
    assert dataset.observations.height == 0
    assert any("empty API response" in w for w in dataset.report.warnings)
