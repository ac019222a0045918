"""Configuration: the shipped defaults validate; every problem in an edit is one clear line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from crimefighters.cli import main
from crimefighters.config import load_config
from crimefighters.errors import ConfigError
from tests.conftest import REPO


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
    assert config.local_priorities("Hackney") == [
        "asb",
        "robbery_and_theft_from_person",
        "burglary",
    ]
    assert config.outcomes.positive == [1, 2, 3, 4, 6, 7, 8]
    assert config.measure("response_i_compliance").target.value == 0.90
    assert config.measure("recorded_crime").direction == "down"
    assert config.scan.spc.window == 24 and config.scan.spc.limit_factor == 2.66
    assert (
        config.scan.yoy.alpha == 0.01
        and config.scan.yoy.min_pct == 10
        and config.scan.yoy.min_volume == 20
    )
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
    measures = (
        load_config()
        .files[2]
        .read_text()
        .replace(
            "    direction: down\n    source: mps_borough_crime",
            "    direction: lower\n    source: mps_borough_crime",
            1,
        )
    )
    path = write(tmp_path, "measures.yaml", measures)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    [problem] = error.value.problems
    line = measures.splitlines().index("    direction: lower") + 1
    assert (
        problem
        == f"{path}:{line} measures.recorded_crime.direction: expected one of up, down, neutral; got 'lower'"
    )


def test_unknown_keys_are_errors_not_ignored(tmp_path):
    write(tmp_path, "scan.yaml", "scan:\n  spc:\n    windw: 24\n  yoy:\n    alpha: 2\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    problems = error.value.problems
    assert len(problems) == 2
    assert problems[0].endswith(
        "scan.yaml:3 scan.spc.windw: unknown key (not allowed here; check the spelling)"
    )
    assert (
        "scan.yaml:5 scan.yoy.alpha:" in problems[1]
        and "less than 1" in problems[1]
        and "got 2" in problems[1]
    )


def test_a_partial_configuration_overrides_only_its_sections(tmp_path):
    write(tmp_path, "scan.yaml", "scan:\n  yoy:\n    alpha: 0.05\n")
    loaded = load_config(tmp_path)
    assert loaded.config.scan.yoy.alpha == 0.05
    assert loaded.config.scan.yoy.min_pct == 10  # default for keys it leaves out
    assert len(loaded.config.geography.boroughs) == 32  # other sections from the defaults
    assert loaded.where("scan", "yoy", "alpha") == f"{tmp_path / 'scan.yaml'}:3"
    bundled = (REPO / "config" / "boroughs.yaml").read_text().splitlines()
    assert (
        loaded.where("geography", "boroughs")
        == f"{REPO / 'config' / 'boroughs.yaml'}:{bundled.index('  boroughs:') + 1}"
    )


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
    write(
        tmp_path,
        "measures.yaml",
        "measures:\n  - {id: Bad Id, label: x, family: recorded_crime, kind: count, direction: down, source: x}\n",
    )
    assert main(["config", "check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("crimefighters: error:")
        and "measures.yaml:2" in err
        and "lower_snake_case" in err
    )
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
    with pytest.raises(ConfigError, match="outcome_rate: expected the id of a proportion measure; got 'knife_crime_offences' \\(a count\\)"):
        load_config(tmp_path)


# --- values that validate one by one but make no sense (issue 13, class 6) -------------------


@pytest.mark.parametrize(
    ("yaml_text", "key", "expected"),
    [
        ("scan:\n  peer:\n    z998: -3.09\n", "scan.peer.z998", "greater than 0; got -3.09"),
        ("scan:\n  peer:\n    z95: .nan\n", "scan.peer.z95", "expected a finite number; got nan"),
        (
            "scan:\n  findings:\n    false_findings_per_area: .nan\n",
            "scan.findings.false_findings_per_area",
            "expected a finite number; got nan",
        ),
        (
            "scan:\n  findings:\n    false_findings_per_area: -1\n",
            "scan.findings.false_findings_per_area",
            "greater than 0; got -1",
        ),
        (
            "scan:\n  spc:\n    limit_factor: .inf\n",
            "scan.spc.limit_factor",
            "finite number; got inf",
        ),
        ("scan:\n  yoy:\n    min_pct: -.inf\n", "scan.yoy.min_pct", "finite number; got -inf"),
        (
            "scan:\n  spc:\n    near_limit_factor: 2.66\n",
            "scan.spc.near_limit_factor",
            "expected near_limit_factor less than limit_factor (a near-limit band inside the limits); got 2.66 with limit_factor 2.66",
        ),
        (
            "scan:\n  spc:\n    limit_factor: 1.5\n",
            "scan.spc.limit_factor",
            "got 1.7733 with limit_factor 1.5",
        ),
        (
            "scan:\n  spc:\n    window: 10\n",
            "scan.spc.window",
            "expected min_points at most the SPC window; got 12 with window 10 months",
        ),
        ("scan:\n  yoy:\n    alpha: 0\n", "scan.yoy.alpha", "greater than 0; got 0"),
        ("scan:\n  rate:\n    alpha: 1\n", "scan.rate.alpha", "less than 1; got 1"),
        (
            "scan:\n  rate:\n    pp_threshold: 150\n",
            "scan.rate.pp_threshold",
            "less than or equal to 100; got 150",
        ),
        (
            "scan:\n  peer:\n    z95: 3.5\n",
            "scan.peer.z95",
            "expected z95 less than z998 (the 95% funnel inside the 99.8% one); got 3.5 with z998 3.09023",
        ),
        (
            "sources:\n  timeouts:\n    total: .inf\n",
            "sources.timeouts.total",
            "finite number; got inf",
        ),
    ],
)
def test_settings_that_would_give_nonsense_are_refused_with_file_line_key(
    tmp_path, yaml_text, key, expected
):
    path = write(tmp_path, "settings.yaml", yaml_text)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    [problem] = error.value.problems
    line = len(yaml_text.splitlines())
    assert problem.startswith(f"{path}:{line} {key}: ")
    assert expected in problem


def test_an_override_is_checked_as_the_scan_will_use_it_over_the_global_settings(tmp_path):
    text = "scan:\n  overrides:\n    recorded_crime:\n      spc: {near_limit_factor: 3}\n"
    path = write(tmp_path, "scan.yaml", text)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert error.value.problems == [
        f"{path}:4 scan.overrides.recorded_crime.spc.near_limit_factor: expected near_limit_factor "
        "less than limit_factor (a near-limit band inside the limits); got 3 with limit_factor 2.66"
    ]
    # a wider override band that is still inside the override's own limits is fine
    write(
        tmp_path,
        "scan.yaml",
        "scan:\n  overrides:\n    recorded_crime:\n      spc: {limit_factor: 3, near_limit_factor: 2.9}\n",
    )
    assert load_config(tmp_path).config.settings_for("recorded_crime").spc.near_limit_factor == 2.9


def test_a_proportion_target_given_as_a_percentage_is_refused(tmp_path):
    text = BUNDLED_TEXT("measures.yaml").replace("target: {value: 0.90", "target: {value: 90", 1)
    path = write(tmp_path, "measures.yaml", text)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    [problem] = error.value.problems
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "value: 90," in row)
    assert problem == (
        f"{path}:{line} measures.response_i_compliance.target.value: expected a proportion "
        "between 0 and 1 (0.9 for 90%); got 90"
    )


def BUNDLED_TEXT(name: str) -> str:
    return (REPO / "config" / name).read_text(encoding="utf-8")


# --- keys given twice, ids given twice, sections given twice -------------------------------


@pytest.mark.parametrize(
    ("yaml_text", "line", "key"),
    [
        ("scan:\n  yoy:\n    alpha: 0.01\n    alpha: 0.5\n", 4, "alpha"),
        ("scan:\n  yoy: {alpha: 0.01}\n  yoy: {alpha: 0.5}\n", 3, "yoy"),
        ("scan:\n  yoy: {alpha: 0.01}\nscan:\n  yoy: {alpha: 0.5}\n", 3, "scan"),
        ("scan:\n  recording_breaks:\n    - {month: 2024-03, label: a, label: b}\n", 3, "label"),
    ],
)
def test_a_key_given_twice_in_one_mapping_is_refused_at_the_second(tmp_path, yaml_text, line, key):
    path = write(tmp_path, "scan.yaml", yaml_text)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    [problem] = error.value.problems
    assert problem.startswith(f"{path}:{line}: not valid YAML: key {key!r} is given twice")


def test_a_priority_id_given_twice_is_refused(tmp_path):
    text = BUNDLED_TEXT("priorities.yaml").replace("    - id: rape\n", "    - id: robbery\n")
    path = write(tmp_path, "priorities.yaml", text)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    second = (
        text.splitlines().index(
            "    - id: robbery", text.splitlines().index("    - id: robbery") + 1
        )
        + 1
    )
    assert (
        f"{path}:{second} priorities.definitions.robbery.id: priority id 'robbery' is defined twice"
        in str(error.value)
    )


def test_two_files_of_one_folder_defining_one_section_are_refused_naming_both(tmp_path):
    first = write(tmp_path, "a-scan.yaml", "scan:\n  yoy: {alpha: 0.05}\n")
    second = write(tmp_path, "b-scan.yaml", "scan:\n  yoy: {alpha: 0.001}\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert error.value.problems == [
        f"{second}:1 scan: section also defined in {first}:1; keep each section in one file"
    ]


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    levels += [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(8)
    ]
    path = write(tmp_path, "bomb.yaml", "\n".join(levels) + "\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert error.value.problems == [
        f"{path}:1: not valid YAML: anchors and aliases (&a) are not allowed in the configuration; "
        "write the values out"
    ]
    path.write_text("scan:\n  yoy: {alpha: 0.05}\n  rate: *nowhere\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"bomb.yaml:3: not valid YAML: anchors and aliases \(\*nowhere\)"
    ):
        load_config(tmp_path)


def test_the_shipped_configuration_uses_no_anchors_or_aliases():
    import yaml

    for file in sorted((REPO / "config").glob("*.yaml")):
        events = yaml.parse(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        assert not [e for e in events if getattr(e, "anchor", None)], file.name


# --- priority categories must be published names --------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "key", "hint"),
    [
        (
            "Domestic Burglary,",
            "Domestic Burglery,",
            "burglary.filters.mps_new.minor.0",
            "did you mean 'Domestic Burglary'?",
        ),
        (
            "mps_new: {minor: [Shoplifting]}",
            "mps_new: {minor: [Shop lifting]}",
            "shoplifting.filters.mps_new.minor.0",
            "did you mean 'Shoplifting'?",
        ),
        (
            "police_uk: {minor: [Shoplifting]}",
            "police_uk: {minor: [Shoplfting]}",
            "shoplifting.filters.police_uk.minor.0",
            "did you mean 'Shoplifting'?",
        ),
        (
            "mps_old: {minor: [Rape]}",
            "mps_old: {minor: [Sexual Offences]}",
            "rape.filters.mps_old.minor.0",
            "it is a major category in mps_old: list it under major",
        ),
        (
            "generic: {minor: [Knife crime]}",
            "generic: {minor: [Knife crimes]}",
            "knife_crime.filters.generic.minor.0",
            "did you mean 'Knife crime'?",
        ),
    ],
)
def test_a_typo_in_a_priority_category_is_refused_with_a_suggestion(tmp_path, old, new, key, hint):
    text = BUNDLED_TEXT("priorities.yaml")
    assert old in text
    text = text.replace(old, new, 1)
    path = write(tmp_path, "priorities.yaml", text)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    [problem] = error.value.problems
    line = next(i for i, row in enumerate(text.splitlines(), 1) if new in row)
    assert problem.startswith(f"{path}:{line} priorities.definitions.{key}: unknown ")
    assert hint in problem


def test_category_names_match_ignoring_case_and_through_aliases(tmp_path):
    text = BUNDLED_TEXT("priorities.yaml").replace(
        "mps_new: {minor: [Shoplifting]}", "mps_new: {minor: [SHOPLIFTING]}"
    )
    text = text.replace(
        "mps_old: {minor: [Other Theft Person, Theft Person]}",
        "mps_old: {minor: [other theft person, Theft Person]}",
    )
    write(tmp_path, "priorities.yaml", text)
    assert load_config(tmp_path).config.priority("shoplifting").filters["mps_new"].minor == [
        "SHOPLIFTING"
    ]


def test_an_analyst_can_add_a_new_published_name_to_the_vocabulary(tmp_path):
    priorities = BUNDLED_TEXT("priorities.yaml").replace(
        "mps_new: {minor: [Shoplifting]}", "mps_new: {minor: [Shoplifting, Retail Theft]}"
    )
    write(tmp_path, "priorities.yaml", priorities)
    with pytest.raises(ConfigError, match="unknown mps_new minor category 'Retail Theft'"):
        load_config(tmp_path)
    categories = BUNDLED_TEXT("categories.yaml").replace(
        "        - Shoplifting\n", "        - Shoplifting\n        - Retail Theft\n", 1
    )
    write(tmp_path, "categories.yaml", categories)
    assert (
        "Retail Theft"
        in load_config(tmp_path).config.priority("shoplifting").filters["mps_new"].minor
    )


def test_a_typo_in_a_recording_break_category_is_refused(tmp_path):
    text = "scan:\n  recording_breaks:\n    - month: 2024-03\n      label: CONNECT\n      categories: [domestic_abuse, Domestic abuze]\n"
    path = write(tmp_path, "scan.yaml", text)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert error.value.problems == [
        f"{path}:5 scan.recording_breaks.2024-03.categories.1: expected a priority id or a category "
        "listed under categories.known; got 'Domestic abuze' (did you mean 'Domestic abuse'?)"
    ]


def test_every_category_in_the_sample_data_is_in_the_vocabulary(config):
    import polars as pl

    from crimefighters.data import load_dataset
    from crimefighters.paths import default_sample_dir

    obs = load_dataset([default_sample_dir()], config).observations
    crime = obs.filter(pl.col("measure") == "recorded_crime")
    for family in crime["family"].unique().to_list():
        rows = crime.filter(pl.col("family") == family)
        for field, column in (("minor", "category"), ("major", "category_group")):
            for name in rows[column].unique().to_list():
                assert config.categories.is_known(family, field, name), (family, field, name)


# --- a partial user file merges key by key (issue 9, item 7) ---------------------------------


def test_a_scan_yaml_with_one_key_keeps_every_other_bundled_value_and_the_connect_break(
    tmp_path, config
):
    user = write(tmp_path, "scan.yaml", "scan: {yoy: {alpha: 0.001}}\n")
    loaded = load_config(tmp_path)
    scan = loaded.config.scan
    assert scan.yoy.alpha == 0.001
    assert scan.model_copy(update={"yoy": config.scan.yoy}) == config.scan  # nothing else moved
    connect = [b for b in scan.recording_breaks if b.month == "2024-03"]
    assert connect and connect[0].rebase and "domestic_abuse" in connect[0].categories
    assert loaded.where("scan", "yoy", "alpha") == f"{user}:1"
    bundled = REPO / "config" / "scan.yaml"
    lines = bundled.read_text().splitlines()
    assert (
        loaded.where("scan", "yoy", "min_pct")
        == f"{bundled}:{next(i for i, r in enumerate(lines, 1) if 'min_pct:' in r)}"
    )
    assert (
        loaded.where("scan", "recording_breaks", 3, "month")
        == f"{bundled}:{lines.index('    - month: 2024-03') + 1}"
    )


def test_a_user_file_that_sets_recording_breaks_replaces_them_and_their_locations(tmp_path):
    user = write(
        tmp_path,
        "scan.yaml",
        "scan:\n  recording_breaks:\n    - {month: 2019-04, label: a local change}\n",
    )
    loaded = load_config(tmp_path)
    assert [b.month for b in loaded.config.scan.recording_breaks] == ["2019-04"]
    assert loaded.where("scan", "recording_breaks", 0) == f"{user}:3"
    assert loaded.where("scan", "recording_breaks", 3) == f"{user}:2"  # no stale bundled line
    write(tmp_path, "scan.yaml", "scan:\n  recording_breaks: []\n")
    assert load_config(tmp_path).config.scan.recording_breaks == []


def test_mappings_merge_at_every_depth_and_lists_replace(tmp_path):
    write(
        tmp_path,
        "scan.yaml",
        "scan:\n  overrides:\n    recorded_crime:\n      yoy: {min_volume: 50}\n  levels: [total]\n",
    )
    write(tmp_path, "outcomes.yaml", "outcomes:\n  police_uk:\n    A new court result: 1\n")
    config = load_config(tmp_path).config
    assert set(config.scan.overrides) == {"pas_confidence", "recorded_crime"}  # bundled kept
    assert config.settings_for("recorded_crime").yoy.min_volume == 50
    assert config.scan.levels == ["total"]
    assert config.outcomes.police_uk["A new court result"] == 1
    assert config.outcomes.police_uk["Suspect charged"] == 1


# --- which configuration is used (issue 13, class 8) -------------------------------------------


@pytest.fixture
def user_folder(tmp_path, monkeypatch):
    """A private user config folder for this test (platformdirs reads XDG_CONFIG_HOME)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("CRIMEFIGHTERS_CONFIG", raising=False)
    from crimefighters.config.loader import user_config_dir

    folder = user_config_dir()
    assert folder == tmp_path / "xdg" / "crimefighters"
    return folder


def test_lookup_order_is_option_then_environment_then_user_folder_then_bundled(
    tmp_path, user_folder, monkeypatch
):
    bundled = load_config()
    assert bundled.description == f"configuration: the bundled defaults ({REPO / 'config'})"
    user_folder.mkdir(parents=True)
    assert load_config().description.startswith(
        "configuration: the bundled defaults"
    )  # empty folder
    write(user_folder, "scan.yaml", "scan: {yoy: {alpha: 0.02}}\n")
    assert load_config().config.scan.yoy.alpha == 0.02
    assert (
        load_config().description
        == f"configuration: {user_folder} (user folder) over the bundled defaults"
    )
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    write(env_dir, "scan.yaml", "scan: {yoy: {alpha: 0.03}}\n")
    monkeypatch.setenv("CRIMEFIGHTERS_CONFIG", str(env_dir))
    assert load_config().config.scan.yoy.alpha == 0.03
    assert (
        load_config().description
        == f"configuration: {env_dir} (CRIMEFIGHTERS_CONFIG) over the bundled defaults"
    )
    option = write(tmp_path, "mine.yaml", "scan: {yoy: {alpha: 0.04}}\n")
    assert load_config(option).config.scan.yoy.alpha == 0.04
    assert (
        load_config(option).description
        == f"configuration: {option} (--config) over the bundled defaults"
    )


def test_a_configuration_named_but_missing_is_an_error_never_the_defaults(
    tmp_path, user_folder, monkeypatch
):
    with pytest.raises(ConfigError, match=r"nowhere.yaml \(--config\): no such configuration file"):
        load_config(tmp_path / "nowhere.yaml")
    monkeypatch.setenv("CRIMEFIGHTERS_CONFIG", str(tmp_path / "gone"))
    with pytest.raises(ConfigError, match=r"gone \(CRIMEFIGHTERS_CONFIG\): no such configuration"):
        load_config()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"empty \(--config\): no .yaml files"):
        load_config(tmp_path / "empty")


def test_a_broken_user_folder_is_reported_not_skipped(user_folder):
    user_folder.mkdir(parents=True)
    path = write(user_folder, "scan.yaml", "scan:\n  yoy: {alpha: 7}\n")
    with pytest.raises(ConfigError) as error:
        load_config()
    assert error.value.problems[0].startswith(
        f"{path}:2 scan.yoy.alpha: input should be less than 1"
    )


# --- one borough lookup, with suggestions (issue 13, "Also") -------------------------------------


@pytest.mark.parametrize(
    ("typed", "borough"),
    [
        ("Kensington", "Kensington and Chelsea"),
        ("hammersmith", "Hammersmith and Fulham"),
        ("Richmond", "Richmond upon Thames"),
        ("Kingston", "Kingston upon Thames"),
        ("Barking", "Barking and Dagenham"),
        ("barking & dagenham", "Barking and Dagenham"),
        (" WESTMINSTER ", "Westminster"),
    ],
)
def test_short_forms_and_spellings_resolve_to_the_borough(config, typed, borough):
    assert config.resolve_borough(typed) == borough


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Westminister", "unknown borough 'Westminister'; did you mean Westminster?"),
        ("Lambith", "unknown borough 'Lambith'; did you mean Lambeth?"),
        ("Tower", "unknown borough 'Tower'; did you mean Tower Hamlets?"),
        ("Hackny", "unknown borough 'Hackny'; did you mean Hackney?"),
        (
            "Heathrow",
            "'Heathrow' is London Heathrow and London City Airports, not a borough (see pseudo_boroughs in config/boroughs.yaml)",
        ),
    ],
)
def test_an_unknown_borough_gets_one_line_with_a_suggestion(config, typed, message):
    with pytest.raises(ConfigError) as error:
        config.resolve_borough(typed)
    assert str(error.value) == message


def test_a_borough_with_no_close_name_lists_examples(config):
    with pytest.raises(ConfigError) as error:
        config.resolve_borough("Atlantis")
    assert str(error.value) == (
        "unknown borough 'Atlantis'; expected one of the 32 borough names, e.g. Barking and "
        "Dagenham, Barnet, Bexley, or a short form such as Kensington or Hammersmith (see "
        "config/boroughs.yaml)"
    )


def test_an_enduring_run_longer_than_the_scan_looks_back_is_refused(tmp_path):
    # months_running is counted over the scan month and scan.findings.lookback_months before it:
    # with a lookback of 2, a run of 4 months could never be seen, so nothing would ever endure
    write(tmp_path, "scan.yaml", "scan:\n  findings:\n    lookback_months: 2\n")
    write(tmp_path, "meeting.yaml", "meeting:\n  enduring_months: 4\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    [problem] = error.value.problems
    assert "meeting.yaml:2 meeting.enduring_months: expected at most 3" in problem and "got 4" in problem
