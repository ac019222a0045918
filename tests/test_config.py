"""Configuration: the shipped defaults validate; every problem in an edit is one clear line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from crimefighters.cli import main
from crimefighters.config import load_config
from crimefighters.errors import ConfigError


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_configuration_carries_the_domain_defaults(config):
    assert len(config.geography.boroughs) == 32
    assert len(config.geography.bcus) == 12
    assert config.bcu_of("Lambeth") == "Central South"
    assert config.boroughs_in_bcu("North West") == ["Barnet", "Brent", "Harrow"]
    # ASB always, then the 2017/18 volume priorities
    assert config.local_priorities("Camden") == ["asb", "common_assault", "theft_from_person"]
    assert config.local_priorities("Hackney") == ["asb", "robbery_and_theft_from_person", "burglary"]
    assert config.outcomes.positive == [1, 2, 3, 4, 6, 7, 8]
    assert config.measure("response_i_compliance").target.value == 0.90
    assert config.measure("recorded_crime").direction == "down"
    assert config.scan.spc.window == 24 and config.scan.spc.limit_factor == 2.66
    assert config.scan.yoy.alpha == 0.01 and config.scan.yoy.min_pct == 10 and config.scan.yoy.min_volume == 20
    assert config.themes_for(date(2026, 9, 1)) == ["robbery", "shoplifting"]


def test_every_spelling_in_the_domain_notes_resolves():
    from crimefighters.config.models import normalise_name
    from crimefighters.data.store import BoroughResolver

    resolver = BoroughResolver(load_config().config)
    spellings = {
        "Barking & Dagenham": "Barking and Dagenham",
        "Barking And Dagenham": "Barking and Dagenham",
        "Richmond Upon Thames": "Richmond upon Thames",
        "Richmond": "Richmond upon Thames",
        "City of Westminster": "Westminster",
        "Kingston": "Kingston upon Thames",
        "Ealing ": "Ealing",
        "Kensington & Chelsea": "Kensington and Chelsea",
    }
    config = load_config().config
    for spelling, canonical in spellings.items():
        assert resolver.canonical[normalise_name(spelling)] == canonical
        assert config.find_borough(spelling) == canonical
    assert config.find_borough("Gotham") is None
    assert normalise_name("Heathrow") in resolver.pseudo


def test_a_wrong_direction_is_reported_with_file_line_key_expected_and_found(tmp_path):
    measures = load_config().files[2].read_text().replace(
        "    direction: down\n    source: mps_borough_crime", "    direction: lower\n    source: mps_borough_crime", 1
    )
    path = write(tmp_path, "measures.yaml", measures)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    [problem] = error.value.problems
    line = measures.splitlines().index("    direction: lower") + 1
    assert problem == f"{path}:{line} measures.recorded_crime.direction: expected one of up, down, neutral; got 'lower'"


def test_unknown_keys_are_errors_not_ignored(tmp_path):
    write(tmp_path, "scan.yaml", "scan:\n  spc:\n    windw: 24\n  yoy:\n    alpha: 2\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    problems = error.value.problems
    assert len(problems) == 2
    assert problems[0].endswith("scan.yaml:3 scan.spc.windw: unknown key (not allowed here; check the spelling)")
    assert "scan.yaml:5 scan.yoy.alpha:" in problems[1] and "less than 1" in problems[1] and "got 2" in problems[1]


def test_a_partial_configuration_overrides_only_its_sections(tmp_path):
    write(tmp_path, "scan.yaml", "scan:\n  yoy:\n    alpha: 0.05\n")
    loaded = load_config(tmp_path)
    assert loaded.config.scan.yoy.alpha == 0.05
    assert loaded.config.scan.yoy.min_pct == 10  # default for keys it leaves out
    assert len(loaded.config.geography.boroughs) == 32  # other sections from the defaults
    assert loaded.where("scan", "yoy", "alpha") == f"{tmp_path / 'scan.yaml'}:3"
    assert loaded.where("geography", "boroughs").endswith("config/boroughs.yaml:21")


def test_cross_references_are_checked(tmp_path):
    text = "priorities:\n  high_harm: [knife_crime, no_such_priority]\n  definitions:\n    - {id: knife_crime, label: Knife crime, kind: high_harm}\n  boroughs:\n    - {borough: Gotham, local: [knife_crime]}\n"
    write(tmp_path, "priorities.yaml", text)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    message = str(error.value)
    assert "no_such_priority" in message and "Gotham" in message


def test_broken_yaml_and_missing_paths_are_one_line(tmp_path):
    write(tmp_path, "scan.yaml", "scan:\n  spc: [unclosed\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert "scan.yaml:3: not valid YAML" in str(error.value)
    with pytest.raises(ConfigError, match="no such configuration"):
        load_config(tmp_path / "missing")


def test_config_check_prints_ok_or_every_problem(tmp_path, capsys):
    assert main(["config", "check"]) == 0
    assert "configuration OK" in capsys.readouterr().out
    write(tmp_path, "measures.yaml", "measures:\n  - {id: Bad Id, label: x, family: recorded_crime, kind: count, direction: down, source: x}\n")
    assert main(["config", "check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crimefighters: error:") and "measures.yaml:2" in err and "lower_snake_case" in err
    assert "Traceback" not in err


def test_a_dashboard_subtype_under_two_categories_is_refused(tmp_path):
    text = (Path(__file__).parent.parent / "config" / "measures.yaml").read_text(encoding="utf-8")
    text = text.replace("        Racist hate crime: [Racist Crime]", "        Racist hate crime: [Racist Crime, Hate crime]", 1)
    (tmp_path / "measures.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="'Hate crime' is listed under both 'Hate crime \\(all strands\\)' and 'Racist hate crime'"):
        load_config(tmp_path)


def test_a_priority_outcome_rate_must_be_a_proportion(tmp_path):
    text = (Path(__file__).parent.parent / "config" / "priorities.yaml").read_text(encoding="utf-8")
    text = text.replace("outcome_rate: knife_crime_outcome_rate", "outcome_rate: knife_crime_offences", 1)
    (tmp_path / "priorities.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="priority 'knife_crime': outcome_rate 'knife_crime_offences' is a count"):
        load_config(tmp_path)
