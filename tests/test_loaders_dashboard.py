"""The MPS Monthly Crime Dashboard against independent counts of the raw files.

Every expected number here is computed from the raw file with plain Polars (borough rows,
the 32 boroughs), never by the loader. The published CSV and XLSX layouts are written in the
test from real rows, with the header the London Datastore serves.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from crimefighters.cli import main
from crimefighters.data import load_dataset
from crimefighters.errors import DataError

FOLDER = "mps_monthly_crime_dashboard"
OTHER = f"{FOLDER}/MPS_MonthlyCrimeDashboard_OtherCrimeData__202108-202507__refresh2025-08__fenneh_parquet.parquet"
KNIFE = f"{FOLDER}/MPS_MonthlyCrimeDashboard_KnifeCrimeData__202203-202602__refresh2026-03__fenneh_parquet.parquet"
OTHER_CSV = (
    f"{FOLDER}/MPS_MonthlyCrimeDashboard_OtherCrimeData__202108-202507__BOROUGH_ROWS_ONLY.csv"
)
BOROUGH_RELEASE = (
    "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202312-202511__1XHE.csv"
)
# The header the London Datastore serves (CSV and XLSX), in its order.
PUBLISHED = {
    "month_year": "Month_Year",
    "area_type": "Area Type",
    "borough_snt": "Borough_SNT",
    "area_name": "Area name",
    "area_code": "Area code",
    "crime_type": "Crime Type",
    "crime_subtype": "Crime Subtype",
    "measure": "Measure",
    "financial_year": "Financial Year",
    "fy_fyindex": "FY_FYIndex",
    "count": "Count",
    "refresh_date": "Refresh Date",
}


@pytest.fixture(scope="module")
def raw_other(real) -> pl.DataFrame:
    return pl.read_parquet(real / OTHER)


@pytest.fixture(scope="module")
def boroughs(config) -> list[str]:
    return [b.name for b in config.geography.boroughs]


def raw_borough_total(
    raw: pl.DataFrame, boroughs: list[str], subtypes: list[str], measure: str
) -> int:
    """Sum of the raw Borough rows of these subtypes (any capitals) for the 32 boroughs."""
    wanted = [s.lower() for s in subtypes]
    return int(
        raw.filter(
            (pl.col("area_type") == "Borough")
            & pl.col("borough_snt").is_in(boroughs)
            & pl.col("crime_subtype").str.to_lowercase().is_in(wanted)
            & (pl.col("measure") == measure)
        )["count"].sum()
    )


@pytest.fixture(scope="module")
def other(real, config):
    return load_dataset([real / OTHER], config, use_cache=False)


def total(obs: pl.DataFrame, measure: str, category: str, column: str = "value") -> int:
    return int(
        obs.filter((pl.col("measure") == measure) & (pl.col("category") == category))[column].sum()
    )


@pytest.mark.parametrize(
    ("measure", "category", "subtypes", "raw_measure"),
    [
        ("domestic_abuse_offences", "Domestic abuse", ["Domestic Abuse"], "Offences"),
        (
            "domestic_abuse_offences",
            "Domestic abuse violence with injury",
            ["Domestic Abuse Violence with Injury"],
            "Offences",
        ),
        ("hate_crime_offences", "Hate crime (all strands)", ["Hate crime"], "Offences"),
        (
            "hate_crime_offences",
            "Racist and religious hate crime",
            ["Racist and Religious Crime"],
            "Offences",
        ),
        ("hate_crime_offences", "Transgender hate crime", ["Transphobic Crime"], "Offences"),
        (
            "knife_crime_offences",
            "Knife crime with injury",
            ["Knife Crime with Injury"],
            "Offences",
        ),
        ("knife_injury_victims", "Victims aged 1-24", ["Knife Injury Victims (1-24)"], "Offences"),
        ("gun_crime_offences", "Gun crime", ["Gun Crime"], "Offences"),
        ("gun_crime_offences", "Lethal barrel discharge", ["Lethal Barrel Discharge"], "Offences"),
        (
            "positive_outcomes",
            "Total notifiable offences",
            ["TNO Victim Based", "TNO Non Victim Based"],
            "Positive Outcomes",
        ),
    ],
)
def test_each_dashboard_series_totals_its_raw_borough_rows(
    other, raw_other, boroughs, measure, category, subtypes, raw_measure
):
    assert total(other.observations, measure, category) == raw_borough_total(
        raw_other, boroughs, subtypes, raw_measure
    )


def test_outcome_rates_are_raw_positive_outcomes_over_raw_offences(other, raw_other, boroughs):
    obs = other.observations
    tno = ["TNO Victim Based", "TNO Non Victim Based"]
    assert total(
        obs, "positive_outcome_rate", "Total notifiable offences", "denominator"
    ) == raw_borough_total(raw_other, boroughs, tno, "Offences")
    assert total(obs, "positive_outcome_rate", "Total notifiable offences") == raw_borough_total(
        raw_other, boroughs, tno, "Positive Outcomes"
    )
    # Domestic abuse offences are never 0 in a borough-month, so every outcome is in a rate.
    da = obs.filter(
        (pl.col("measure") == "domestic_abuse_outcome_rate")
        & (pl.col("category") == "Domestic abuse")
    )
    assert da.height == 32 * 48
    assert int(da["value"].sum()) == raw_borough_total(
        raw_other, boroughs, ["Domestic Abuse"], "Positive Outcomes"
    )
    # The published TNO positive outcome rate: a median of about 9% per borough-month.
    tno_rate = obs.filter(pl.col("measure") == "positive_outcome_rate").select(
        pl.col("value") / pl.col("denominator")
    )
    assert 0.08 < tno_rate.to_series().median() < 0.10


def test_gun_crime_subtypes_listed_twice_are_one_series_never_added_to_gun_crime(
    other, raw_other, boroughs
):
    obs = other.observations
    # Offences of gun-enabled robbery are listed as a crime type of their own, its positive
    # outcomes under Gun Crime: one series, with a rate.
    robbery_offences = raw_other.filter(
        pl.col("crime_type") == "Gun Crime Personal Robbery",
        pl.col("area_type") == "Borough",
        pl.col("borough_snt").is_in(boroughs),
    )["count"].sum()
    assert total(obs, "gun_crime_offences", "Gun crime personal robbery") == robbery_offences
    assert (
        obs.filter(
            pl.col("measure") == "gun_crime_outcome_rate",
            pl.col("category") == "Gun crime personal robbery",
        ).height
        > 0
    )
    # Gun crime is the dashboard's own total, never the sum of the series beside it.
    assert total(obs, "gun_crime_offences", "Gun crime") == raw_borough_total(
        raw_other, boroughs, ["Gun Crime"], "Offences"
    )


def test_a_borough_month_without_a_row_reads_zero_not_no_data(other, raw_other):
    raw_lambeth_gun = raw_other.filter(
        (pl.col("area_type") == "Borough")
        & (pl.col("borough_snt") == "Richmond upon Thames")
        & (pl.col("crime_subtype") == "Gun Crime")
        & (pl.col("measure") == "Offences")
    )
    missing = 48 - raw_lambeth_gun.height
    assert missing > 0  # the dashboard leaves zero months out
    series = other.observations.filter(
        (pl.col("borough") == "Richmond upon Thames")
        & (pl.col("measure") == "gun_crime_offences")
        & (pl.col("category") == "Gun crime")
    )
    assert series.height == 48
    assert (series["value"] == 0).sum() == missing
    assert any("written as 0" in w for w in other.report.warnings)


def test_other_nk_and_aviation_security_are_set_aside_and_reported(other, raw_other):
    assert set(other.observations["borough"].unique().to_list()) <= set(
        b for b in other.observations["borough"].unique().to_list()
    )
    assert other.observations["borough"].n_unique() == 32
    set_aside = " ".join(other.report.set_aside)
    assert "'Other / NK'" in set_aside and "'Aviation Security (SO18)'" in set_aside
    # Other / NK repeats keys under several area names: they are separate areas, summed.
    nk = raw_other.filter(
        (pl.col("area_type") == "Borough") & (pl.col("borough_snt") == "Other / NK")
    )
    assert nk.group_by("month_year", "crime_subtype", "measure").len()["len"].max() > 1


def test_neighbourhood_rows_are_checked_never_added(other, raw_other, boroughs):
    lambeth_tno = raw_other.filter(
        (pl.col("area_type") == "Borough")
        & (pl.col("borough_snt") == "Lambeth")
        & (pl.col("crime_subtype") == "TNO Victim Based")
        & (pl.col("measure") == "Offences")
        & (pl.col("month_year").dt.date() == date(2024, 6, 1))
    )["count"].sum()
    lambeth = other.observations.filter(
        (pl.col("borough") == "Lambeth")
        & (pl.col("measure") == "positive_outcome_rate")
        & (pl.col("month") == date(2024, 6, 1))
    )
    non_victim = raw_other.filter(
        (pl.col("area_type") == "Borough")
        & (pl.col("borough_snt") == "Lambeth")
        & (pl.col("crime_subtype") == "TNO Non Victim Based")
        & (pl.col("measure") == "Offences")
        & (pl.col("month_year").dt.date() == date(2024, 6, 1))
    )["count"].sum()
    assert lambeth["denominator"].to_list() == [lambeth_tno + non_victim]
    note = next(w for w in other.report.warnings if "below borough level" in w)
    assert "422,923" in note and "Safer Neighbourhood Teams" in note


def test_capitals_that_differ_by_borough_make_one_series(other):
    # 'Domestic Abuse violence with injury' (offences) and '... Violence with Injury'
    # (positive outcomes): one category, with a rate in every borough.
    rate = other.observations.filter(
        (pl.col("measure") == "domestic_abuse_outcome_rate")
        & (pl.col("category") == "Domestic abuse violence with injury")
    )
    assert rate["borough"].n_unique() == 32


def test_refresh_dates_are_reported_and_the_release_is_the_last_month(other):
    note = next(w for w in other.report.warnings if "refreshed" in w)
    assert "2025-08-02" in note and "2025-08-21 (Knife Crime)" in note
    assert other.observations["release"].unique().to_list() == [date(2025, 7, 1)]
    # Outcome rates: the newest outcomes.provisional_months (3) months are provisional.
    rates = other.observations.filter(pl.col("measure") == "positive_outcome_rate")
    provisional = sorted(rates.filter(pl.col("provisional"))["month"].unique().to_list())
    assert provisional == [date(2025, 5, 1), date(2025, 6, 1), date(2025, 7, 1)]
    offences = other.observations.filter(pl.col("measure") == "knife_crime_offences")
    assert sorted(offences.filter(pl.col("provisional"))["month"].unique().to_list()) == [
        date(2025, 7, 1)
    ]


def test_series_no_measure_maps_are_reported_not_loaded(other):
    note = next(w for w in other.report.warnings if "no measure maps" in w)
    assert "robbery mobile phone" in note and "theft person - mobile phone" in note


def test_the_snake_cased_csv_cut_loads_like_the_parquet(real, config, other):
    csv_cut = load_dataset([real / OTHER_CSV], config, use_cache=False).observations
    columns = ["month", "borough", "measure", "category", "value", "denominator"]
    assert (
        csv_cut.select(columns)
        .sort(columns)
        .equals(other.observations.select(columns).sort(columns))
    )


def test_the_newer_knife_release_supersedes_knife_months_only(real, config, raw_other, boroughs):
    both = load_dataset([real / OTHER, real / KNIFE], config, use_cache=False)
    obs = both.observations
    knife = pl.read_parquet(real / KNIFE)
    june = obs.filter(pl.col("month") == date(2024, 6, 1))
    knife_june = knife.filter(
        (pl.col("area_type") == "Borough")
        & pl.col("borough_snt").is_in(boroughs)
        & (pl.col("month_year").dt.date() == date(2024, 6, 1))
        & (pl.col("crime_subtype") == "Knife Crime")
        & (pl.col("measure") == "Offences")
    )
    assert total(june, "knife_crime_offences", "Knife crime") == knife_june["count"].sum()
    # Domestic abuse is only in the other release and stays.
    da_june = raw_other.filter(
        (pl.col("area_type") == "Borough")
        & pl.col("borough_snt").is_in(boroughs)
        & (pl.col("month_year").dt.date() == date(2024, 6, 1))
        & (pl.col("crime_subtype") == "Domestic Abuse")
        & (pl.col("measure") == "Offences")
    )
    assert total(june, "domestic_abuse_offences", "Domestic abuse") == da_june["count"].sum()
    assert obs.filter(pl.col("measure") == "knife_crime_offences")["month"].max() == date(
        2026, 2, 1
    )


def test_dashboard_tno_agrees_with_the_borough_release_within_one_percent(real, config, other):
    release = pl.read_csv(real / BOROUGH_RELEASE, infer_schema=False)
    # TNO excludes non-notifiable rows (NFIB fraud, Other Accepted Crime), per borough.
    notifiable = release.filter(
        ~pl.col("MajorText")
        .str.to_uppercase()
        .is_in(["NFIB FRAUD", "NFIB", "OTHER ACCEPTED CRIME"])
    )
    for month in (date(2024, 6, 1), date(2025, 3, 1)):
        column = f"{month:%Y%m}"
        per_borough = notifiable.group_by("BoroughName").agg(
            pl.col(column).cast(pl.Int64).sum().alias("release")
        )
        dashboard = other.observations.filter(
            (pl.col("measure") == "positive_outcome_rate") & (pl.col("month") == month)
        ).select(BoroughName=pl.col("borough"), dashboard=pl.col("denominator"))
        joined = per_borough.join(dashboard, on="BoroughName")
        assert joined.height == 32
        london_release, london_dashboard = joined["release"].sum(), joined["dashboard"].sum()
        assert abs(london_dashboard - london_release) / london_release < 0.01, (
            month,
            london_dashboard,
            london_release,
        )
        worst = joined.select(
            ((pl.col("dashboard") - pl.col("release")).abs() / pl.col("release")).max()
        ).item()
        assert worst < 0.01, (month, worst)


def published_layout(raw: pl.DataFrame) -> pl.DataFrame:
    """Real rows as the Datastore serves them: its header, dates as text, no sheet column."""
    return raw.select(
        *[
            pl.col(c).alias(PUBLISHED[c])
            for c in PUBLISHED
            if c not in ("month_year", "refresh_date")
        ],
        pl.col("month_year").dt.strftime("%Y-%m-%d").alias("Month_Year"),
        pl.col("refresh_date").dt.strftime("%Y-%m-%d").alias("Refresh Date"),
    ).select(list(PUBLISHED.values()))


@pytest.fixture(scope="module")
def lambeth_southwark(raw_other) -> pl.DataFrame:
    """Two boroughs, six months of real rows, borough and neighbourhood rows alike."""
    return raw_other.filter(
        pl.col("borough_snt").str.starts_with("Lambeth")
        | pl.col("borough_snt").str.starts_with("Southwark"),
        pl.col("month_year").dt.date().is_between(date(2024, 1, 1), date(2024, 6, 1)),
    )


def expected_da(raw: pl.DataFrame) -> dict[tuple[str, date], int]:
    rows = raw.filter(
        (pl.col("area_type") == "Borough")
        & (pl.col("crime_subtype") == "Domestic Abuse")
        & (pl.col("measure") == "Offences")
    )
    return {
        (r["borough_snt"], r["month_year"].date()): r["count"] for r in rows.iter_rows(named=True)
    }


def loaded_da(obs: pl.DataFrame) -> dict[tuple[str, date], int]:
    rows = obs.filter(
        (pl.col("measure") == "domestic_abuse_offences") & (pl.col("category") == "Domestic abuse")
    )
    return {(r["borough"], r["month"]): int(r["value"]) for r in rows.iter_rows(named=True)}


def test_the_published_csv_layout_loads(tmp_path, config, lambeth_southwark):
    path = tmp_path / "MPS Monthly Crime Dashboard Data.csv"
    published_layout(lambeth_southwark).write_csv(path)
    obs = load_dataset([path], config, use_cache=False).observations
    assert sorted(obs["borough"].unique().to_list()) == ["Lambeth", "Southwark"]
    assert loaded_da(obs) == expected_da(lambeth_southwark)


def test_the_published_xlsx_layout_loads_with_a_notes_sheet_first(
    tmp_path, config, lambeth_southwark
):
    import xlsxwriter

    path = tmp_path / "MPS Monthly Crime Dashboard Data.xlsx"
    with xlsxwriter.Workbook(path) as workbook:
        workbook.add_worksheet("Notes").write(0, 0, "Source: Metropolitan Police Service")
        published_layout(lambeth_southwark).write_excel(workbook, worksheet="Data")
    obs = load_dataset([path], config, use_cache=False).observations
    assert loaded_da(obs) == expected_da(lambeth_southwark)


def test_offence_group_and_subgroup_spellings_are_read(tmp_path, config, lambeth_southwark):
    path = tmp_path / "tno.csv"
    published_layout(lambeth_southwark).rename(
        {"Crime Type": "Offence Group", "Crime Subtype": "Offence Subgroup"}
    ).drop("FY_FYIndex").write_csv(path)
    assert loaded_da(load_dataset([path], config, use_cache=False).observations) == expected_da(
        lambeth_southwark
    )


HEADER = "Month_Year,Area Type,Borough_SNT,Area name,Area code,Crime Type,Crime Subtype,Measure,Financial Year,FY_FYIndex,Count,Refresh Date\n"
ROW = "2024-06-01,Borough,Lambeth,Lambeth,E09000022,Gun Crime,Gun Crime,Offences,fy24-25,24-25_01,{count},2025-08-02\n"


@pytest.mark.parametrize(
    ("content", "message", "line", "column"),
    [
        (
            HEADER + ROW.format(count=4) + ROW.format(count="four"),
            "expected a whole number of 0 or more; found 'four'",
            3,
            "Count",
        ),
        (
            HEADER + ROW.format(count=-1),
            "expected a whole number of 0 or more; found '-1'",
            2,
            "Count",
        ),
        (
            HEADER + ROW.format(count=4).replace("2024-06-01", "June"),
            "expected a month as YYYY-MM-DD; found 'June'",
            2,
            "Month_Year",
        ),
        (
            HEADER + ROW.format(count=4).replace(",Offences,", ",Arrests,"),
            "expected 'Offences' or 'Positive Outcomes'; found 'Arrests'",
            2,
            "Measure",
        ),
        (
            HEADER.replace(",Count", ",Total") + ROW.format(count=4),
            "missing column(s) count",
            1,
            None,
        ),
        (
            HEADER
            + ROW.format(count=4)
            + ROW.format(count=5).replace("Gun Crime,Gun", "Firearms,Gun"),
            "Lambeth, gun crime, Offences, 2024-06 is given twice with different counts (also on line 2)",
            3,
            None,
        ),
    ],
    ids=[
        "text count",
        "negative count",
        "month",
        "measure",
        "missing column",
        "conflicting repeat",
    ],
)
def test_a_bad_dashboard_file_is_refused_in_one_line_with_exit_code_2(
    tmp_path, capsys, config, content, message, line, column
):
    path = tmp_path / "dashboard.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset([path], config, use_cache=False)
    where = f"{path}:{line}" + (f" column {column!r}" if column else "")
    assert str(caught.value).startswith(f"{where}: {message}")
    assert main(["data", "info", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"crimefighters: error: {where}: {message}")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_repeat_with_the_same_count_is_counted_once(tmp_path, config):
    path = tmp_path / "dashboard.csv"
    path.write_text(
        HEADER + ROW.format(count=4) + ROW.format(count=4).replace("Gun Crime,Gun", "Firearms,Gun"),
        encoding="utf-8",
    )
    dataset = load_dataset([path], config, use_cache=False)
    assert total(dataset.observations, "gun_crime_offences", "Gun crime") == 4
    assert any("counted once" in w for w in dataset.report.warnings)


def test_a_damaged_parquet_file_is_refused_in_one_line(tmp_path, capsys, real):
    path = tmp_path / "dashboard.parquet"
    path.write_bytes((real / KNIFE).read_bytes()[:5000])
    assert main(["data", "info", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"crimefighters: error: {path}: damaged Parquet file")
    assert err.count("\n") == 1


JDEVS = "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202401-202512__JDevs.csv"


@pytest.fixture(scope="module")
def lambeth_scan(real, config):
    from crimefighters.scan.runner import run_scan

    dataset = load_dataset([real / JDEVS, real / OTHER, real / KNIFE], config, use_cache=False)
    return run_scan(dataset.observations, config, date(2025, 7, 1), boroughs=["Lambeth"])


def test_lambeths_high_harm_priorities_have_numbers_states_and_outcome_rates(lambeth_scan, real):
    priorities = lambeth_scan.priorities.filter(pl.col("borough") == "Lambeth")
    rows = {r["priority_id"]: r for r in priorities.iter_rows(named=True)}
    raw = pl.read_parquet(real / OTHER).filter(
        (pl.col("area_type") == "Borough")
        & (pl.col("borough_snt") == "Lambeth")
        & (pl.col("month_year").dt.date() == date(2025, 7, 1))
    )

    def raw_count(subtype: str, measure: str) -> int:
        return int(
            raw.filter(
                (pl.col("crime_subtype").str.to_lowercase() == subtype.lower())
                & (pl.col("measure") == measure)
            )["count"].sum()
        )

    for priority, subtype in (
        ("domestic_abuse", "Domestic Abuse"),
        ("hate_crime", "Racist and Religious Crime"),
        ("gun_crime", "Gun Crime"),
    ):
        row = rows[priority]
        assert row["state"] != "no data" and row["available"]
        assert row["value"] == raw_count(subtype, "Offences")
        assert row["outcome_rate"] == pytest.approx(
            raw_count(subtype, "Positive Outcomes") / raw_count(subtype, "Offences")
        )
        assert row["outcome_rate_state"] is not None
        assert row["outcome_rate_provisional"]  # July 2025 is within 3 months of the release
    knife = rows["knife_crime"]  # from the newer knife release: not provisional in July 2025
    assert (
        knife["value"] > 0
        and knife["outcome_rate"] is not None
        and not knife["outcome_rate_provisional"]
    )


def test_an_outcome_rate_keeps_its_own_direction_beside_a_priority_that_overrides_it(lambeth_scan):
    status = lambeth_scan.status.filter(
        (pl.col("area") == "Lambeth") & (pl.col("level") == "priority")
    )
    directions = {
        (r["measure"], r["category"]): r["direction"] for r in status.iter_rows(named=True)
    }
    assert directions[("knife_crime_offences", "Knife crime")] == "down"
    assert directions[("knife_crime_outcome_rate", "Knife crime")] == "up"
    assert directions[("domestic_abuse_offences", "Domestic abuse")] == "neutral"


def test_the_connect_break_is_noted_on_domestic_abuse_and_positive_outcome_series(lambeth_scan):
    status = lambeth_scan.status.filter(pl.col("area") == "Lambeth")
    notes = {
        (r["measure"], r["category"]): r["break_note"] or "" for r in status.iter_rows(named=True)
    }
    assert "CONNECT" in notes[("domestic_abuse_offences", "Domestic abuse")]
    assert "CONNECT" in notes[("positive_outcome_rate", "Total notifiable offences")]
    assert "CONNECT" not in notes[("knife_crime_offences", "Knife crime")]


def test_a_damaged_workbook_is_refused_in_one_line(tmp_path, capsys, lambeth_southwark):
    whole = tmp_path / "whole.xlsx"
    published_layout(lambeth_southwark.head(20)).write_excel(whole)
    path = tmp_path / "dashboard.xlsx"
    path.write_bytes(whole.read_bytes()[:2000])
    assert main(["data", "info", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"crimefighters: error: {path}: not a readable XLSX workbook")
    assert err.count("\n") == 1
