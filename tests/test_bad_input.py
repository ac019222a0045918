"""Malformed files are refused with one readable line naming the file, line and column.

Each case is a small file written to tmp_path. Through the library: a DataError that names
the file and, where it applies, the line and column. Through the command line: exit code 2,
one line on stderr starting "crimefighters: error:", and no traceback.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from crimefighters.cli import main
from crimefighters.data import load_dataset
from crimefighters.errors import DataError

MPS = "MajorText,MinorText,LookUp_BoroughName,202401,202402\n"
GENERIC = "month,borough,measure,category,value\n"
STREET = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context\n"
)
MET = "Metropolitan Police Service,Metropolitan Police Service,-0.1,51.5,On or near X"
PAS = "Date;Survey;Borough;Measure;Proportion;MPS\n"


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    content: bytes
    message: str  # expected text after "path[:line][ column 'x']: "
    line: int | None = None
    column: str | None = None


def text(
    id: str,
    content: str,
    message: str,
    line: int | None = None,
    column: str | None = None,
    name: str = "data.csv",
) -> Case:
    return Case(id, name, content.encode("utf-8"), message, line, column)


CASES = [
    # --- MPS wide (one column per month) ---
    text(
        "mps: an id column is missing",
        "MajorText,MinorText,202401,202402\nBurglary,Burglary,1,2\n",
        "month columns follow MajorText, MinorText, which is not an MPS crime layout",
        line=1,
    ),
    text(
        "mps: a month column is missing",
        "MajorText,MinorText,LookUp_BoroughName,202401,202403\nBurglary,Burglary,Barnet,1,2\n",
        "month columns are not consecutive: 202401 is followed by 202403",
        line=1,
    ),
    text(
        "mps: a count is not a number",
        MPS + "Burglary,Burglary,Barnet,1,x2\n",
        "not a whole number: 'x2'",
        2,
        "202402",
    ),
    text(
        "mps: a count is negative",
        MPS + "Burglary,Burglary,Barnet,1,-2\n",
        "negative count '-2'",
        2,
        "202402",
    ),
    text(
        "mps: a count is blank", MPS + "Burglary,Burglary,Barnet,1,\n", "empty count", 2, "202402"
    ),
    text(
        "mps: semicolons instead of commas",
        MPS.replace(",", ";") + "Burglary;Burglary;Barnet;1;2\n",
        "columns are separated by ';'; MPS crime files are comma-separated",
        line=1,
    ),
    text(
        "mps: one row with the wrong delimiter",
        MPS + "Burglary,Burglary,Barnet,1,2\nBurglary;Robbery;Barnet;1;2\n",
        "1 field where the header has 5 (wrong delimiter? this row uses ';', the header ',')",
        line=3,
    ),
    text(
        # the delimiters add up over the file: only a count line by line sees both rows
        "mps: a row with a field too many and another with one too few",
        MPS + "Burglary,Burglary,Barnet,1,2,7\nBurglary,Robbery,Barnet,1\n",
        "6 fields where the header has 5 (wrong delimiter or an unquoted comma?)",
        line=2,
    ),
    text(
        # the csv module, unless strict, glues the text on to the field ("Robbery"x)
        "mps: text after a closing quote",
        MPS + 'Burglary,"Burglary, business"x,Barnet,1,2\n',
        "malformed CSV: a quoted field is followed by text before the next ','",
        line=2,
    ),
    text(
        "mps: a truncated last row",
        MPS + "Burglary,Burglary,Barnet,1,2\nBurglary,Robbery,Barn",
        "truncated row: 3 fields where the header has 5",
        line=3,
    ),
    text("mps: an empty file", "", "the file is empty"),
    text("mps: a header and no rows", MPS, "the file has a header but no data rows"),
    text(
        "mps: an unknown borough",
        MPS + "Burglary,Burglary,Barnet,1,2\nBurglary,Burglary,Gotham,1,2\n",
        "unknown borough 'Gotham' (add the spelling to boroughs.yaml aliases or pseudo_boroughs)",
        line=3,
    ),
    text(
        "mps: the same key twice with different counts",
        MPS + "Burglary,Burglary,Barnet,1,2\nBurglary,Burglary,Barnet,1,3\n",
        "duplicate row for Barnet, Burglary / Burglary, 2024-02 with different values (also on line 2)",
        line=3,
    ),
    text(
        "mps: a blank borough",
        MPS + "Burglary,Burglary,,1,2\n",
        "empty value",
        2,
        "LookUp_BoroughName",
    ),
    # --- generic measure file ---
    text(
        "generic: a column is missing",
        "month,borough,measure,value\n2024-01,Barnet,asb_incidents,3\n",
        "missing column(s) category; a generic measure file has month, borough, measure, category, value",
        line=1,
    ),
    text(
        "generic: a value is not a number",
        GENERIC + "2024-01,Barnet,asb_incidents,All,three\n",
        "not a number; found 'three'",
        2,
        "value",
    ),
    text(
        "generic: a value is negative",
        GENERIC + "2024-01,Barnet,asb_incidents,All,-3\n",
        "negative value; found '-3'",
        2,
        "value",
    ),
    text(
        "generic: a month is not YYYY-MM",
        GENERIC + "Jan 2024,Barnet,asb_incidents,All,3\n",
        "expected YYYY-MM; found 'Jan 2024'",
        2,
        "month",
    ),
    text(
        "generic: one row with the wrong delimiter",
        GENERIC + "2024-01;Barnet;asb_incidents;All;3\n",
        "1 field where the header has 5 (wrong delimiter? this row uses ';', the header ',')",
        line=2,
    ),
    text(
        "generic: a truncated last row",
        GENERIC + "2024-01,Barnet,asb_incidents,All,3\n2024-02,Barnet,asb_inc",
        "truncated row: 3 fields where the header has 5",
        line=3,
    ),
    text(
        "generic: a quote never closed",
        GENERIC
        + '2024-01,Barnet,asb_incidents,All,3\n2024-02,"Barnet,asb_incidents,All,3\n2024-03,Barnet,asb_incidents,All,3\n',
        'a quote (") is opened and never closed',
        line=3,
    ),
    text("generic: an empty file", "\n\n", "the file is empty"),
    text(
        "generic: an unknown borough",
        GENERIC + "2024-01,Gotham,asb_incidents,All,3\n",
        "unknown borough 'Gotham' (add the spelling to boroughs.yaml aliases or pseudo_boroughs)",
        line=2,
    ),
    text(
        "generic: an unknown measure",
        GENERIC + "2024-01,Barnet,asb_incidnets,All,3\n",
        "unknown measure 'asb_incidnets' (measures are defined in measures.yaml)",
        2,
        "measure",
    ),
    text(
        "generic: the same key twice with different values",
        GENERIC + "2024-01,Barnet,asb_incidents,All,3\n2024-01,Barnet,asb_incidents,All,4\n",
        "duplicate row for Barnet, asb_incidents, All, 2024-01 with different values (also on line 2)",
        line=3,
    ),
    # --- data.police.uk, PAS ---
    text(
        "police.uk: the LSOA name column is missing",
        STREET.replace("LSOA name,", "") + f"abc,2024-05,{MET},E01000001,Robbery,,\n",
        "missing column(s) ['LSOA name'] in a data.police.uk file",
        line=1,
    ),
    text(
        "police.uk: a truncated row",
        STREET + f"abc,2024-05,{MET},E01000001,Lambeth 001A,Rob",
        "truncated row: 10 fields where the header has 12",
        line=2,
    ),
    text(
        # the delimiters add up over the file, and only some columns are read: a count line by
        # line is what sees both rows (the cells of both would otherwise shift silently)
        "police.uk: a row with a field too many and another with one too few",
        STREET
        + f"abc,2024-05,{MET},E01000001,Lambeth 001A,Robbery,,,extra\n"
        + f"abd,2024-05,{MET},E01000001,Lambeth 001A,Robbery,\n",
        "13 fields where the header has 12 (wrong delimiter or an unquoted comma?)",
        line=2,
    ),
    text(
        "pas: a proportion is not a number",
        PAS + "31/12/2014;PAS;Barnet;Trust MPS;n/a;0,67\n",
        "not a number; found 'n/a'",
        2,
        "Proportion",
    ),
    text(
        "pas: an unknown borough",
        PAS
        + "31/12/2014;PAS;Barnet;Trust MPS;0,5;0,67\n31/12/2014;PAS;Gotham;Trust MPS;0,5;0,67\n",
        "unknown borough 'Gotham' (add the spelling to boroughs.yaml aliases or pseudo_boroughs)",
        line=3,
    ),
    # --- not text at all ---
    Case(
        "binary junk",
        "data.csv",
        bytes(range(256)) * 20,
        "not a text file (it contains binary data)",
    ),
    Case(
        "binary junk without NUL bytes",
        "data.csv",
        bytes(range(1, 256)) * 20,
        "not a UTF-8 text file (it looks like binary data)",
    ),
    Case(
        "UTF-16 text",
        "data.csv",
        (GENERIC + "2024-01,Barnet,asb_incidents,All,3\n").encode("utf-16"),
        "UTF-16 text; save the file as UTF-8",
    ),
    Case(
        "gzip junk", "data.csv.gz", b"\x1f\x8b\x08\x00" + bytes(range(1, 200)), "damaged gzip file"
    ),
    Case(
        "a gzip file cut short",
        "data.csv.gz",
        gzip.compress((GENERIC + "2024-01,Barnet,asb_incidents,All,3\n" * 50).encode())[:-12],
        "damaged gzip file",
    ),
    Case(
        "gzip of binary junk",
        "data.csv.gz",
        gzip.compress(bytes(range(256)) * 20),
        "not a text file",
    ),
    Case(
        "a JSON file that is broken",
        "crimes.json",
        b'[{"category": "burglary",',
        "not valid JSON",
        line=1,
    ),
]


def write(tmp_path, case: Case):
    path = tmp_path / case.name
    path.write_bytes(case.content)
    return path


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_malformed_file_is_refused_naming_the_file_line_and_column(tmp_path, config, case):
    path = write(tmp_path, case)
    with pytest.raises(DataError) as caught:
        load_dataset([path], config)
    error = caught.value
    assert error.path == str(path)
    assert error.line == case.line
    assert error.column == case.column
    where = (
        str(path)
        + (f":{case.line}" if case.line else "")
        + (f" column {case.column!r}" if case.column else "")
    )
    assert str(error).startswith(f"{where}: {case.message}")
    assert "\n" not in str(error)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_command_line_reports_a_malformed_file_in_one_line_with_exit_code_2(
    tmp_path, capsys, case
):
    path = write(tmp_path, case)
    assert main(["data", "info", "--data", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"crimefighters: error: {path}")
    assert captured.err.count("\n") == 1
    assert case.message in captured.err
    assert "Traceback" not in captured.err


def test_a_good_file_next_to_a_bad_one_is_not_half_loaded(tmp_path, config):
    good = tmp_path / "good.csv"
    good.write_text(GENERIC + "2024-01,Barnet,asb_incidents,All,3\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(GENERIC + "2024-01,Barnet,asb_incidents,All,-3\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.csv:2"):
        load_dataset([tmp_path], config)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.id in ("gzip junk", "mps: a truncated last row")],
    ids=lambda c: c.id,
)
def test_the_installed_command_shows_no_traceback(tmp_path, case):
    path = write(tmp_path, case)
    result = subprocess.run(
        [sys.executable, "-m", "crimefighters", "data", "info", "--data", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("crimefighters: error:")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_a_windows_1252_export_with_a_few_accents_loads_and_binary_junk_does_not(tmp_path, config):
    # Excel's "CSV" (not "CSV UTF-8") writes Windows-1252: a few accented letters are text
    export = tmp_path / "export.csv"
    rows = "".join(f"2024-{m:02d},Barnet,asb_incidents,Café {m},{m}\n" for m in range(1, 13))
    export.write_bytes((GENERIC + rows).encode("cp1252"))
    obs = load_dataset([export], config, use_cache=False).observations
    assert sorted(obs["category"].to_list())[:2] == ["Café 1", "Café 10"]
    assert obs["value"].sum() == sum(range(1, 13))
    junk = tmp_path / "junk.csv"
    junk.write_bytes(GENERIC.encode() + bytes(range(0x80, 0x100)) * 4)
    with pytest.raises(DataError, match="not a UTF-8 text file"):
        load_dataset([junk], config, use_cache=False)


def test_a_row_too_long_and_one_too_short_are_refused_even_when_some_columns_are_read():
    """Their delimiters add up over the file, and Polars, reading only the columns asked for,
    shifts both rows' cells without a word: each line's count is what sees them."""
    from crimefighters.data.text import read_table

    rows = [f"id{i},2024-05,{MET},E01000001,Lambeth 001A,Robbery,," for i in range(4)]
    long = rows[1].split(",")
    long.insert(4, "")  # a field too many on line 3
    short = rows[2].split(",")
    del short[7]  # a field too few on line 4
    text = STREET + "\n".join([rows[0], ",".join(long), ",".join(short), rows[3]]) + "\n"
    with pytest.raises(DataError) as refused:
        read_table(Path("street.csv"), text.encode(), ",", columns=["Month", "LSOA name", "Crime type"])
    assert refused.value.line == 3 and "13 fields where the header has 12" in refused.value.message
