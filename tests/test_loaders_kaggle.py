"""The Kaggle "London Crime" LSOA sample: long format, old Home Office categories."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date

import pytest

from crimefighters.data import load_dataset
from crimefighters.errors import DataError

SAMPLE = "kaggle_london_crime_by_lsoa_sample/london_crime_by_lsoa__1000row_sample__auliaputrih.csv"
HEADER = "lsoa_code,borough,major_category,minor_category,value,year,month"


def test_lsoa_rows_are_summed_to_borough_month_and_category(real, config):
    # categories compared ignoring case: 'Other violence' is spelt 'Other Violence' after loading
    with (real / SAMPLE).open(newline="", encoding="utf-8") as handle:
        raw = list(csv.DictReader(handle))
    expected: Counter[tuple[date, str, str, str]] = Counter()
    for row in raw:
        key = (
            date(int(row["year"]), int(row["month"]), 1),
            row["borough"],
            row["major_category"],
            row["minor_category"].casefold(),
        )
        expected[key] += int(row["value"])

    dataset = load_dataset([real / SAMPLE], config)
    obs = dataset.observations
    loaded = {
        (r["month"], r["borough"], r["category_group"], r["category"].casefold()): r["value"]
        for r in obs.iter_rows(named=True)
    }
    assert len(raw) == 999
    assert loaded == expected
    assert set(obs["family"]) == {"mps_old"}
    assert set(obs["measure"]) == {"recorded_crime"}
    assert obs["borough"].n_unique() == 32
    assert obs["month"].min() == date(2008, 1, 1) and obs["month"].max() == date(2016, 12, 1)


def test_months_of_a_sparse_sample_that_sum_to_zero_are_not_taken_for_stubs(real, config):
    """73% of the sample's values are 0, so some months total 0 against a median of 3: chance."""
    dataset = load_dataset([real / SAMPLE], config)
    assert not any("looks incomplete" in w for w in dataset.report.warnings)
    assert dataset.observations["month"].n_unique() == 108


def test_the_same_lsoa_category_and_month_twice_with_different_counts_is_refused(tmp_path, config):
    path = tmp_path / "lsoa.csv"
    path.write_text(
        f"{HEADER}\nE01000006,Barking and Dagenham,Burglary,Burglary in a Dwelling,2,2016,11\n"
        "E01000007,Barking and Dagenham,Burglary,Burglary in a Dwelling,1,2016,11\n"
        "E01000006,Barking and Dagenham,Burglary,Burglary in a Dwelling,3,2016,11\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as caught:
        load_dataset([path], config)
    assert str(caught.value) == (
        f"{path}:4: duplicate row for LSOA E01000006, Burglary in a Dwelling, 2016-11 with "
        "different values (also on line 2)"
    )


@pytest.mark.parametrize(
    ("cells", "column", "problem"),
    [
        ("three,2016,11", "value", "not a whole number; found 'three'"),
        ("-1,2016,11", "value", "negative count; found '-1'"),
        ("1,2016,13", "month", "expected a month number 1-12; found '13'"),
    ],
)
def test_a_bad_cell_is_refused_with_its_line_and_column(tmp_path, config, cells, column, problem):
    path = tmp_path / "lsoa.csv"
    path.write_text(
        f"{HEADER}\nE01000006,Barnet,Burglary,Burglary in a Dwelling,{cells}\n", encoding="utf-8"
    )
    with pytest.raises(DataError) as caught:
        load_dataset([path], config)
    assert str(caught.value) == f"{path}:2 column {column!r}: {problem}"
