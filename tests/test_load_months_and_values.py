"""Months and values that would give a wrong number later are refused at load, in one line.

- Month columns of a wide file must run in order, one month apart, each label in its place;
  no file may hold a month after the current one (one row dated 2062 would become the newest
  month and the default scan month).
- Counts are finite whole numbers >= 0; NaN, infinity and 1e400 are refused where they are
  read (they used to pass `data info` and crash `scan` with a Polars traceback); a numerator
  never exceeds its denominator.
"""

from __future__ import annotations

from datetime import date

import pytest

from crimefighters.cli import main
from crimefighters.data import load_dataset
from crimefighters.errors import DataError

GENERIC = "month,borough,measure,category,value\n"
RATES = "month,borough,measure,category,value,denominator\n"
PAS = "Date;Survey;Borough;Measure;Proportion;MPS\n"
KAGGLE = "lsoa_code,borough,major_category,minor_category,value,year,month\n"
STREET = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context\n"
)
MET = "Metropolitan Police Service,Metropolitan Police Service,-0.1,51.5,On or near X"


def months_from_now(months: int) -> date:
    today = date.today()
    index = today.year * 12 + today.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def wide(*columns: str, rows: tuple[str, ...] = ("Robbery,Robbery,Barnet",)) -> str:
    header = "MajorText,MinorText,LookUp_BoroughName," + ",".join(columns) + "\n"
    cells = ",".join(str(i + 1) for i in range(len(columns)))
    return header + "".join(f"{row},{cells}\n" for row in rows)


def refused(tmp_path, config, content: str, name: str = "data.csv") -> DataError:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset([path], config)
    assert "\n" not in str(caught.value)
    return caught.value


def loads(tmp_path, config, content: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return load_dataset([path], config)


# --- month columns of wide files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "message", "column"),
    [
        (
            ("202402", "202401", "202403"),
            "month columns are out of order: 202402 is followed by 202401",
            "202401",
        ),
        (
            ("202401", "202403", "202402", "202404"),
            "month columns are not consecutive: 202401 is followed by 202403",
            None,
        ),
        (
            ("202401", "202402", "202404", "202403"),
            "month columns are not consecutive: 202402 is followed by 202404",
            None,
        ),
        (
            ("202312", "202401", "202401"),
            "repeated column names in the header: ['202401']",
            None,
        ),
        (
            ("202301", "202302", "202401"),
            "month columns are not consecutive: 202302 is followed by 202401",
            None,
        ),
        (
            ("202412", "202401"),
            "month columns are out of order: 202412 is followed by 202401",
            "202401",
        ),
    ],
    ids=[
        "out of order",
        "two labels swapped",
        "last two swapped",
        "a month twice",
        "a gap",
        "a year back",
    ],
)
def test_month_columns_must_run_in_order_one_month_apart(
    tmp_path, config, columns, message, column
):
    error = refused(tmp_path, config, wide(*columns))
    assert error.line == 1 and error.column == column
    assert error.message.startswith(message)


def test_a_month_column_after_the_current_month_is_refused(tmp_path, config):
    future = months_from_now(1)
    columns = [f"{months_from_now(k):%Y%m}" for k in (-1, 0, 1)]
    error = refused(tmp_path, config, wide(*columns))
    assert (error.line, error.column) == (1, f"{future:%Y%m}")
    assert "is after the current month" in error.message


def test_the_current_month_itself_is_accepted(tmp_path, config):
    columns = [f"{months_from_now(k):%Y%m}" for k in (-2, -1, 0)]
    dataset = loads(tmp_path, config, wide(*columns))
    assert dataset.latest_month() == months_from_now(0)


# --- one row dated in the future ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        (
            GENERIC + "2024-01,Barnet,asb_incidents,All,3\n2062-09,Barnet,asb_incidents,All,3\n",
            3,
            "month",
        ),
        (GENERIC + "2062-09-30,Barnet,asb_incidents,All,3\n", 2, "month"),
        (
            STREET
            + f"a,2024-05,{MET},E01,Lambeth 001A,Robbery,,\nb,2062-09,{MET},E01,Lambeth 001A,Robbery,,\n",
            3,
            "Month",
        ),
        (
            PAS
            + "31/12/2014;PAS;Barnet;Trust MPS;0,5;0,6\n30/09/2062;PAS;Barnet;Trust MPS;0,5;0,6\n",
            3,
            "Date",
        ),
        (KAGGLE + "E01000001,Camden,Theft and Handling,Other Theft,2,2062,9\n", 2, "year"),
    ],
    ids=["generic", "generic, a date", "police.uk", "PAS", "Kaggle"],
)
def test_one_row_dated_2062_is_refused_in_every_format(tmp_path, config, content, line, column):
    error = refused(tmp_path, config, content)
    assert (error.line, error.column) == (line, column)
    assert "after the current month" in error.message


def test_a_row_dated_2062_does_not_move_the_scan_month_it_is_refused(tmp_path, capsys):
    path = tmp_path / "asb.csv"
    path.write_text(
        GENERIC + "2024-01,Barnet,asb_incidents,All,3\n2062-09,Barnet,asb_incidents,All,3\n",
        encoding="utf-8",
    )
    assert main(["scan", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2062-09 is after the current month" in err


# --- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "1e400", "Infinity"])
def test_a_generic_value_that_is_not_finite_is_refused(tmp_path, config, text):
    error = refused(
        tmp_path, config, GENERIC + f"2024-01,Barnet,response_i_median_minutes,All,{text}\n"
    )
    assert (error.line, error.column) == (2, "value")
    assert error.message == (
        f"not a finite number (NaN and infinity cannot be counted or compared); found {text!r}"
    )


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            "2024-01,Barnet,asb_incidents,All,2.5",
            "value",
            "a count must be a whole number; found '2.5'",
        ),
        ("2024-01,Barnet,wanted_offenders,All,-1", "value", "negative value; found '-1'"),
        ("2024-01,Barnet,asb_incidents,All,1e3x", "value", "not a number; found '1e3x'"),
    ],
)
def test_a_count_must_be_a_whole_number_at_least_0(tmp_path, config, row, column, message):
    error = refused(tmp_path, config, GENERIC + row + "\n")
    assert (error.line, error.column, error.message) == (2, column, message)


def test_a_duration_may_have_a_fraction(tmp_path, config):
    obs = loads(
        tmp_path, config, GENERIC + "2024-01,Barnet,response_i_median_minutes,All,11.25\n"
    ).observations
    assert obs["value"].to_list() == [11.25]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            "2024-01,Barnet,charge_rate,All,60,50",
            "value",
            "numerator larger than its denominator; found '60'",
        ),
        (
            "2024-01,Barnet,charge_rate,All,6,inf",
            "denominator",
            "not a finite number (NaN and infinity cannot be counted or compared); found 'inf'",
        ),
        (
            "2024-01,Barnet,charge_rate,All,6,nan",
            "denominator",
            "not a finite number (NaN and infinity cannot be counted or compared); found 'nan'",
        ),
        ("2024-01,Barnet,charge_rate,All,6,0", "denominator", "must be above 0; found '0'"),
        (
            "2024-01,Barnet,charge_rate,All,6,50.5",
            "denominator",
            "a denominator counts cases, so it must be a whole number; found '50.5'",
        ),
        (
            "2024-01,Barnet,charge_rate,All,6.5,50",
            "value",
            "the numerator of a proportion counts cases, so it must be a whole number; found '6.5'",
        ),
        (
            "2024-01,Barnet,charge_rate,All,1.5,",
            "value",
            "a proportion without a denominator must be between 0 and 1; found '1.5'",
        ),
    ],
    ids=[
        "numerator above denominator",
        "infinite denominator",
        "NaN denominator",
        "zero denominator",
        "fractional denominator",
        "fractional numerator",
        "proportion above 1",
    ],
)
def test_proportions_are_refused_when_they_cannot_be_a_proportion(
    tmp_path, config, row, column, message
):
    error = refused(tmp_path, config, RATES + row + "\n")
    assert (error.line, error.column, error.message) == (2, column, message)


@pytest.mark.parametrize("text", ["nan", "1e400", "2.5", "inf", "1.0"])
def test_a_wide_count_that_is_not_a_whole_number_is_refused(tmp_path, config, text):
    error = refused(
        tmp_path,
        config,
        "MajorText,MinorText,LookUp_BoroughName,202401,202402\nRobbery,Robbery,Barnet,1,2\n"
        f"Robbery,Business,Barnet,{text},2\n",
    )
    assert (error.line, error.column) == (3, "202401")
    assert error.message == f"not a whole number: {text!r}"


@pytest.mark.parametrize("text", ["NaN", "nan", "inf", "1,5", "-0,1"])
def test_a_pas_proportion_that_is_not_between_0_and_1_is_refused(tmp_path, config, text):
    error = refused(tmp_path, config, PAS + f"31/12/2014;PAS;Barnet;Trust MPS;{text};0,6\n")
    assert (error.line, error.column) == (2, "Proportion")


@pytest.mark.parametrize("text", ["nan", "1e400", "2.5", "-1"])
def test_a_kaggle_count_that_is_not_a_whole_number_at_least_0_is_refused(tmp_path, config, text):
    error = refused(
        tmp_path,
        config,
        KAGGLE + f"E01000001,Camden,Theft and Handling,Other Theft,{text},2016,1\n",
    )
    assert (error.line, error.column) == (2, "value")


@pytest.mark.parametrize("text", ["nan", "inf", "1e400"])
def test_scan_and_brief_never_see_a_value_that_is_not_finite(tmp_path, capsys, text):
    path = tmp_path / "times.csv"
    path.write_text(
        GENERIC
        + "".join(f"2024-{m:02d},Barnet,response_i_median_minutes,All,11\n" for m in range(1, 12))
        + f"2024-12,Barnet,response_i_median_minutes,All,{text}\n",
        encoding="utf-8",
    )
    for command in (["scan"], ["brief", "--borough", "Barnet", "--output-dir", str(tmp_path)]):
        assert main([*command, "--data", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(
            f"crimefighters: error: {path}:13 column 'value': not a finite number"
        )
        assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "column"),
    [
        (GENERIC + "0024-01,Barnet,asb_incidents,All,3\n", "month"),
        (KAGGLE + "E01000001,Camden,Theft and Handling,Other Theft,2,0,11\n", "year"),
        (STREET + f"a,1899-12,{MET},E01,Lambeth 001A,Robbery,,\n", "Month"),
    ],
    ids=["generic year 24", "Kaggle year 0", "police.uk 1899"],
)
def test_a_month_before_1900_is_a_typo_and_refused(tmp_path, config, content, column):
    error = refused(tmp_path, config, content)
    assert (error.line, error.column) == (2, column)
    assert "is before 1900" in error.message
