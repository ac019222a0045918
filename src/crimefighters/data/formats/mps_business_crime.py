"""MPS Business Crime Dashboard (London Datastore): offences and outcomes by day.

Two tables, each detected by its columns (published or snake-cased, any order):

- Offences: ``Date, Measure, Borough, Crime Section, Crime Group, Business Crime Offence Count``
  -> ``business_crime_offences`` per borough and month, category = Crime Group (minor) within
  Crime Section (major), so the scan builds its major groups and total as for recorded crime
  (NFIB fraud stays outside the total, as everywhere).
- Outcomes: ``Date, ..., Crime Section, Crime Group, Outcome, Positive Outcome (Y/N), Outcome Count``
  -> ``business_crime_positive_outcomes``: outcomes the MPS marks ``Positive Outcome = Y``,
  counted in the month they were assigned. Other outcomes are counted in the note, not loaded.
  No rate is formed: the two tables are separate releases covering different months.

Days are added up to months; a first or last month the file covers only in part (its first
date is not the 1st, or its last not the month's last day) is set aside with a warning, since
a part-month would read as a fall. ``Other`` and ``Unknown`` boroughs are pseudo-boroughs,
set aside by the store. Zero rows left out of the file are written as 0 within each series'
months. Business crime is a part of all crime by victim: the shoplifting and robbery priorities
stay on the borough release, and these measures are scanned as measures of their own.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from crimefighters.config.models import Config
from crimefighters.data.formats import FileFormat
from crimefighters.data.formats.checks import refuse_implausible_months
from crimefighters.data.formats.tabular import (
    as_count,
    as_date,
    as_text,
    fill_zeros,
    one_spelling,
    read_table,
    refuse_first,
    snake,
)
from crimefighters.data.names import canonical_categories, refuse_control_characters
from crimefighters.data.schema import RAW_COLUMNS, ParsedFile, conform
from crimefighters.data.text import split_header
from crimefighters.errors import DataError

OFFENCES = ("date", "borough", "crime_section", "crime_group", "business_crime_offence_count")
OUTCOMES = (
    "date",
    "borough",
    "crime_section",
    "crime_group",
    "outcome",
    "positive_outcome",
    "outcome_count",
)


def _columns(header: list[str]) -> set[str]:
    return {snake(h) for h in header}


def detect_offences(header_line: str, path: Path) -> bool:
    return {"crime_section", "business_crime_offence_count"} <= _columns(split_header(header_line))


def detect_outcomes(header_line: str, path: Path) -> bool:
    return {"crime_section", "positive_outcome", "outcome_count"} <= _columns(
        split_header(header_line)
    )


def parse_offences(path: Path, data: bytes, config: Config) -> ParsedFile:
    frame, _label, warnings = _read(path, data, OFFENCES, "business_crime_offence_count")
    return _parsed(
        path, "mps_business_crime_offences", frame, "business_crime_offences", config, warnings
    )


def parse_outcomes(path: Path, data: bytes, config: Config) -> ParsedFile:
    frame, label, warnings = _read(path, data, OUTCOMES, "outcome_count")
    flag = pl.col("positive_outcome").str.to_uppercase()
    refuse_first(
        path,
        frame,
        ~flag.is_in(["Y", "N"]),
        "positive_outcome",
        label["positive_outcome"],
        "expected Y or N",
    )
    frame = frame.with_columns(positive_outcome=flag)
    others = int(frame.filter(pl.col("positive_outcome") == "N")["count"].sum())
    positive = frame.filter(pl.col("positive_outcome") == "Y")
    warnings.append(
        f"{int(positive['count'].sum()):,} positive outcomes loaded; {others:,} other outcomes "
        f"(not positive, or pending) counted here only"
    )
    return _parsed(
        path,
        "mps_business_crime_outcomes",
        positive,
        "business_crime_positive_outcomes",
        config,
        warnings,
    )


def _read(
    path: Path, data: bytes, required: tuple[str, ...], count: str
) -> tuple[pl.DataFrame, dict[str, str], list[str]]:
    (table,) = read_table(path, data, lambda header: True)[:1]
    original = [c for c in table.frame.columns if c != "_line"]
    label = {snake(c): c for c in original}
    frame = table.frame.rename({c: snake(c) for c in original})
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(
            path, f"missing column(s) {', '.join(missing)} in an MPS business crime file", line=1
        )
    schema = frame.schema
    texts = [c for c in required if c not in ("date", count)]
    frame = frame.select(
        "_line",
        day=as_date("date", schema["date"]),
        date_text=as_text("date", schema["date"]),
        count=as_count(count, schema[count]),
        count_text=as_text(count, schema[count]),
        **{c: as_text(c, schema[c]) for c in texts},
    )
    refuse_first(
        path,
        frame,
        pl.col("day").is_null(),
        "date_text",
        label["date"],
        "expected a date as YYYY-MM-DD",
    )
    refuse_first(
        path,
        frame,
        pl.col("count").is_null(),
        "count_text",
        label[count],
        "expected a whole number of 0 or more",
    )
    for column in ("borough", "crime_group"):
        refuse_first(path, frame, pl.col(column) == "", column, label[column], "empty cell")
    frame = frame.with_columns(month=pl.col("day").dt.truncate("1mo"))
    refuse_implausible_months(path, frame, "month", label["date"], shown="date_text")
    names = ("borough", "crime_section", "crime_group")
    refuse_control_characters(path, frame, {c: label[c] for c in names}, line_column="_line")
    return frame, label, _part_months(frame)


def _part_months(frame: pl.DataFrame) -> list[str]:
    first, last = frame["day"].min(), frame["day"].max()
    notes = []
    if first.day != 1:
        notes.append(f"{first:%Y-%m} starts on {first:%d %B}: a part month, set aside")
    end_of_month = (pl.Series([last]).dt.month_end())[0]
    if last != end_of_month:
        notes.append(f"{last:%Y-%m} ends on {last:%d %B}: a part month, set aside")
    return notes


def _parsed(
    path: Path,
    format_name: str,
    frame: pl.DataFrame,
    measure: str,
    config: Config,
    warnings: list[str],
) -> ParsedFile:
    first, last = frame["day"].min(), frame["day"].max()
    whole = frame
    if first.day != 1:
        whole = whole.filter(pl.col("month") != first.replace(day=1))
    if last != pl.Series([last]).dt.month_end()[0]:
        whole = whole.filter(pl.col("month") != last.replace(day=1))
    if whole.height == 0:
        raise DataError(path, "no whole month in this file (days from only part of a month)")
    # Names made canonical before days are added up (the store checks them again).
    whole = one_spelling(whole.rename({"borough": "borough_raw"}), config)
    whole = canonical_categories(
        whole.rename({"crime_section": "category_group", "crime_group": "category"}), config
    )
    counts = whole.group_by("borough_raw", "month", "category_group", "category").agg(
        value=pl.col("count").sum(), line=pl.col("_line").min()
    )
    counts, zeros = fill_zeros(counts, ["category_group", "category"], config)
    if zeros:
        warnings.append(
            f"{zeros:,} borough-months with no row written as 0, within the months each crime group is published"
        )
    rows = counts.select(
        "month",
        "borough_raw",
        measure=pl.lit(measure),
        category="category",
        category_group="category_group",
        value=pl.col("value").cast(pl.Float64),
        denominator=pl.lit(None, dtype=pl.Float64),
        family=pl.lit("mps_business_crime"),
        line="line",
        provisional_hint=pl.lit(None, dtype=pl.Boolean),
    ).sort("borough_raw", "category_group", "category", "month")
    return ParsedFile(
        path=path,
        format=format_name,
        rows=conform(rows, RAW_COLUMNS),
        warnings=warnings,
        release=rows["month"].max(),
    )


FORMATS = [
    FileFormat(
        name="mps_business_crime_offences",
        description="MPS business crime offences by day (Date, Borough, Crime Section, Crime Group, Business Crime Offence Count)",
        detect=detect_offences,
        parse=parse_offences,
    ),
    FileFormat(
        name="mps_business_crime_outcomes",
        description="MPS business crime outcomes by day (..., Outcome, Positive Outcome Y/N, Outcome Count)",
        detect=detect_outcomes,
        parse=parse_outcomes,
    ),
]
