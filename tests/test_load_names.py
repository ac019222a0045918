"""Names are made canonical before rows are compared, and names a terminal would act on are
refused at load.

- One borough (or category) spelled two ways in one file is one key: rows that disagree are
  refused in one line naming both lines; identical rows count once, never twice.
- A name holding a control character or terminal escape byte is refused at its line, and the
  message shows the character escaped, never raw.
"""

from __future__ import annotations

import pytest

from crimefighters.cli import main
from crimefighters.data import load_dataset
from crimefighters.errors import DataError

MPS = "MajorText,MinorText,LookUp_BoroughName,202401,202402\n"
GENERIC = "month,borough,measure,category,value\n"
PAS = "Date;Survey;Borough;Measure;Proportion;MPS\n"
KAGGLE = "lsoa_code,borough,major_category,minor_category,value,year,month\n"
STREET = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context\n"
)
WARD = "MajorText,MinorText,WardName,WardCode,LookUp_BoroughName,202401,202402\n"
MET = "Metropolitan Police Service,Metropolitan Police Service,-0.1,51.5,On or near X"


def refused(tmp_path, config, content: str, name: str = "data.csv") -> DataError:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset([path], config)
    assert "\n" not in str(caught.value)
    return caught.value


def loaded(tmp_path, config, content: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return load_dataset([path], config)


# --- spellings resolved before duplicate checks ----------------------------------------------


def test_a_borough_spelled_two_ways_with_different_counts_is_refused_naming_both_lines(
    tmp_path, config
):
    """The issue's example: 'Barking & Dagenham' and 'Barking and Dagenham' Robbery rows in
    one file (69 and 2,000) were both loaded and one set silently won."""
    error = refused(
        tmp_path,
        config,
        MPS
        + "Robbery,Robbery of Personal Property,Barking & Dagenham,69,70\n"
        + "Burglary,Burglary - Residential,Barnet,1,2\n"
        + "Robbery,Robbery of Personal Property,Barking and Dagenham,2000,70\n",
    )
    assert error.line == 4
    assert error.message == (
        "duplicate row for Barking and Dagenham, Robbery / Robbery of Personal Property, "
        "2024-01 with different values (also on line 2, as "
        "'Barking & Dagenham, Robbery / Robbery of Personal Property')"
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Richmond upon Thames", "Richmond Upon Thames"),
        ("Kingston upon Thames", "Kingston"),
        ("Westminster", "City of Westminster"),
        ("Hammersmith and Fulham", " hammersmith & fulham "),
    ],
)
def test_other_spellings_of_one_borough_are_one_key_in_a_generic_file(
    tmp_path, config, first, second
):
    error = refused(
        tmp_path,
        config,
        GENERIC
        + f"2024-01,{first},asb_incidents,All,3\n"
        + f"2024-01,{second},asb_incidents,All,4\n",
    )
    assert error.line == 3
    assert "with different values (also on line 2, as" in error.message


def test_a_category_and_its_alias_in_one_file_are_one_key(tmp_path, config):
    """categories.yaml: 'Theft from Person' is 'Theft from the Person'."""
    error = refused(
        tmp_path,
        config,
        MPS
        + "Theft,Theft from the Person,Lambeth,10,11\n"
        + "Theft,Theft from Person,Lambeth,10,12\n",
    )
    assert error.line == 3
    assert "2024-02 with different values (also on line 2, as" in error.message


def test_a_category_in_capitals_and_in_title_case_is_one_key(tmp_path, config):
    error = refused(
        tmp_path,
        config,
        MPS
        + "ROBBERY,ROBBERY OF PERSONAL PROPERTY,Lambeth,5,6\nRobbery,Robbery of Personal Property,Lambeth,5,7\n",
    )
    assert error.line == 3


def test_the_same_figures_under_two_spellings_count_once(tmp_path, config):
    obs = loaded(
        tmp_path,
        config,
        MPS
        + "Robbery,Robbery of Personal Property,Barking & Dagenham,69,70\n"
        + "Robbery,Robbery of Personal Property,Barking and Dagenham,69,70\n",
    ).observations
    assert obs["value"].to_list() == [69.0, 70.0]
    assert set(obs["borough"]) == {"Barking and Dagenham"}


def test_a_pas_borough_whose_spelling_changed_mid_file_is_one_key(tmp_path, config):
    error = refused(
        tmp_path,
        config,
        PAS
        + "30/06/2023;PAS;Richmond upon Thames;Trust MPS;0,71;0,7\n"
        + "30/06/2023;PAS;Richmond Upon Thames;Trust MPS;0,65;0,7\n",
    )
    assert error.line == 3
    assert "as 'Richmond upon Thames, Trust MPS'" in error.message


def test_ward_rows_of_one_ward_under_two_borough_spellings_are_one_key(tmp_path, config):
    error = refused(
        tmp_path,
        config,
        WARD
        + "Robbery,Robbery of Personal Property,Abbey,E05000026,Barking & Dagenham,4,5\n"
        + "Robbery,Robbery of Personal Property,Abbey,E05000026,Barking and Dagenham,9,5\n",
    )
    assert error.line == 3


def test_lsoa_rows_with_a_category_and_its_alias_are_one_key(tmp_path, config):
    error = refused(
        tmp_path,
        config,
        KAGGLE
        + "E01000001,Camden,Theft and Handling,Theft from the Person,2,2016,1\n"
        + "E01000001,Camden,Theft and Handling,Theft from Person,3,2016,1\n",
    )
    assert error.line == 3


# --- names a terminal would act on -------------------------------------------------------------

ESCAPES = {
    "an ANSI colour escape": "\x1b[31m",
    "a bell": "\x07",
    "a C1 control sequence introducer": "\x9b",
    "a right-to-left override": "\u202e",
    "a tab": "\t",
}


@pytest.mark.parametrize("character", ESCAPES.values(), ids=ESCAPES.keys())
def test_a_category_name_with_a_control_character_is_refused_at_its_line(
    tmp_path, config, character
):
    error = refused(
        tmp_path,
        config,
        MPS + "Robbery,Robbery,Barnet,1,2\n" + f"Robbery,Knife{character}crime,Barnet,1,2\n",
    )
    assert (error.line, error.column) == (3, "MinorText")
    assert "a control character" in error.message
    assert character not in str(error)


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        (MPS + "Robbery,Robbery,Bar\x1b]0;owned\x07net,1,2\n", 2, "LookUp_BoroughName"),
        (
            GENERIC
            + "2024-01,Barnet,asb_incidents,All,3\n2024-01,Barnet,asb_incidents,\x1b[2J,3\n",
            3,
            "category",
        ),
        (PAS + "31/12/2014;PAS;Barnet;Trust\u202eMPS;0,5;0,6\n", 2, "Measure"),
        (WARD + "Robbery,Robbery,Ab\x9bbey,E05000026,Barnet,1,2\n", 2, "WardName"),
        (STREET + f"abc,2024-05,{MET},E01000001,Lambeth 001A,Rob\x1bbery,,\n", 2, "Crime type"),
        (STREET + f"abc,2024-05,{MET},E01000001,Lam\x1bbeth 001A,Robbery,,\n", 2, "LSOA name"),
        (KAGGLE + "E01000001,Camden,Theft\x1b,Other,2,2016,1\n", 2, "major_category"),
    ],
    ids=[
        "borough",
        "generic category",
        "PAS measure",
        "ward name",
        "police.uk crime type",
        "police.uk LSOA name",
        "Kaggle major category",
    ],
)
def test_every_format_refuses_names_with_escape_bytes(tmp_path, config, content, line, column):
    error = refused(tmp_path, config, content)
    assert (error.line, error.column) == (line, column)
    assert "\x1b" not in str(error) and "\x9b" not in str(error) and "\u202e" not in str(error)


def test_the_command_line_prints_the_refusal_without_the_escape(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text(MPS + "Robbery,\x1b[31mRed,Barnet,1,2\n", encoding="utf-8")
    assert main(["data", "info", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err
    assert "\\x1b[31mRed" in err
