"""data.police.uk monthly CSV downloads: street-level crimes and outcomes.

Street files (``YYYY-MM-metropolitan-street.csv``)::

    Crime ID, Month, Reported by, Falls within, Longitude, Latitude, Location,
    LSOA code, LSOA name, Crime type, Last outcome category, Context

Outcomes files (``YYYY-MM-metropolitan-outcomes.csv``): the same up to ``LSOA name``, then
``Outcome type``. Neither file names a borough: it is the LSOA name without its code
(``Barking and Dagenham 016B`` -> ``Barking and Dagenham``).

What the published files hold, and how it is read:
- Rows with no location (blank LSOA) and rows in LSOAs outside the configured boroughs (City
  of London, Epping Forest, Dartford, even Wigan) are set aside with a warning giving counts.
- The same Crime ID can appear 2-3 times in a month with different last outcomes; a crime is
  counted once. Rows without a Crime ID (anti-social behaviour) are each an incident.
- Street rows give ``street_crime`` by crime type, and anti-social behaviour rows give
  ``asb_incidents`` (category ``All``, as in generic files, so ASB from any source is one
  series per borough).
- Outcome rows give ``positive_outcomes`` (category ``All``: the outcomes file has no crime
  type): crimes given, in that month, an outcome whose Home Office type is in
  ``outcomes.positive``. Outcome strings map to Home Office types through
  ``outcomes.police_uk``; a string missing from that table stops the load. Repeated rows for
  one crime in a month (the same outcome twice, or two outcomes) count the crime once.
- A monthly download is a snapshot of a closed month, not a running extract, so it is not
  marked provisional here (the store would otherwise treat every file's only month as the
  newest month of its release).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from crimefighters.config.models import Config
from crimefighters.data.formats import FileFormat
from crimefighters.data.formats.checks import first_bad, refuse_implausible_months
from crimefighters.data.names import (
    BoroughResolver,
    canonical_categories,
    refuse_control_characters,
)
from crimefighters.data.schema import CANONICAL_COLUMNS, ParsedFile, conform, sample_record_ids
from crimefighters.data.text import read_table, split_header
from crimefighters.errors import DataError

ASB = "Anti-social behaviour"
_STREET_REQUIRED = ("Crime ID", "Month", "LSOA name", "Crime type")
_OUTCOME_REQUIRED = ("Crime ID", "Month", "LSOA name", "Outcome type")
# An LSOA name is the local authority's name then a 3-digit number and a letter.
_LSOA_CODE_SUFFIX = r"\s+\d{3,4}[A-Z]?$"


def detect_street(header_line: str, path: Path) -> bool:
    cells = split_header(header_line)
    return (
        bool(cells) and cells[0] == "Crime ID" and "Outcome type" not in cells and "Month" in cells
    )


def detect_outcomes(header_line: str, path: Path) -> bool:
    cells = split_header(header_line)
    return bool(cells) and cells[0] == "Crime ID" and "Outcome type" in cells


def parse_street(path: Path, data: bytes, config: Config) -> ParsedFile:
    frame = _read(path, data, _STREET_REQUIRED)
    first_bad(path, frame, pl.col("Crime type") == "", "Crime type", "empty crime type")
    frame, warnings = _assign_boroughs(frame, config)
    is_asb = pl.col("Crime type").str.to_lowercase() == ASB.lower()
    per_crime = _one_row_per_crime(frame.lazy())
    counts = (
        per_crime.with_columns(
            measure=pl.when(is_asb).then(pl.lit("asb_incidents")).otherwise(pl.lit("street_crime")),
            category=pl.when(is_asb).then(pl.lit("All")).otherwise(pl.col("Crime type")),
        )
        .group_by("month", "borough", "measure", "category")
        .agg(
            pl.col("rows").sum().alias("rows"),
            pl.len().alias("crimes"),
            pl.len().cast(pl.Float64).alias("value"),
        )
    )
    rows, repeats = _collect(counts)
    if repeats:
        warnings.append(
            f"{repeats:,} repeated rows for a Crime ID already seen that month counted once"
        )
    return _parsed(path, "police_uk_street", rows, warnings, frame, config)


def parse_outcomes(path: Path, data: bytes, config: Config) -> ParsedFile:
    frame = _read(path, data, _OUTCOME_REQUIRED)
    codes = _outcome_codes(path, frame, config)
    positive = sorted(config.outcomes.positive)
    frame = frame.with_columns(positive=codes.is_in(positive).fill_null(False))
    frame, warnings = _assign_boroughs(frame, config)
    counts = (
        _one_row_per_crime(frame.lazy())
        .group_by("month", "borough")
        .agg(
            pl.col("rows").sum().alias("rows"),
            pl.len().alias("crimes"),
            pl.col("positive").sum().cast(pl.Float64).alias("value"),
        )
        .with_columns(measure=pl.lit("positive_outcomes"), category=pl.lit("All"))
    )
    rows, repeats = _collect(counts)
    if repeats:
        warnings.append(
            f"{repeats:,} repeated outcome rows for a crime already seen that month counted once"
        )
    return _parsed(path, "police_uk_outcomes", rows, warnings, frame, config)


def _read(path: Path, data: bytes, required: tuple[str, ...]) -> pl.DataFrame:
    wanted = [*required, "Last outcome category"] if "Crime type" in required else list(required)
    frame = read_table(path, data, columns=wanted)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(path, f"missing column(s) {missing} in a data.police.uk file", line=1)
    frame = frame.with_columns(pl.col(c).str.strip_chars() for c in required)
    shown = {c: c for c in ("LSOA name", "Crime type", "Outcome type") if c in required}
    refuse_control_characters(path, frame, shown, "_line")
    frame = frame.with_columns(month=pl.col("Month").str.to_date("%Y-%m", strict=False))
    first_bad(path, frame, pl.col("month").is_null(), "Month", "expected a month as YYYY-MM")
    refuse_implausible_months(path, frame, "month", "Month")
    return frame


def _outcome_codes(path: Path, frame: pl.DataFrame, config: Config) -> pl.Expr:
    """Home Office type per row; an outcome string the configuration lacks stops the load."""
    table = {text.strip().lower(): code for text, code in config.outcomes.police_uk.items()}
    key = pl.col("Outcome type").str.to_lowercase()
    unknown = frame.filter(~key.is_in(sorted(table))).sort("_line")
    if unknown.height:
        row = unknown.row(0, named=True)
        text = row["Outcome type"]
        problem = (
            "empty outcome type"
            if text == ""
            else f"outcome type {text!r} is not in outcomes.yaml; add it under outcomes.police_uk "
            f"with its Home Office outcome code (or null if it is not an outcome)"
        )
        raise DataError(path, problem, line=int(row["_line"]), column="Outcome type")
    return key.replace_strict(table, return_dtype=pl.Int64)


def _assign_boroughs(frame: pl.DataFrame, config: Config) -> tuple[pl.DataFrame, list[str]]:
    """Borough from the LSOA name; rows with no LSOA or outside the boroughs set aside."""
    frame = frame.with_columns(place=pl.col("LSOA name").str.replace(_LSOA_CODE_SUFFIX, ""))
    places = [p for p in frame["place"].unique().to_list() if p]
    lookup = (
        BoroughResolver(config)
        .table(places)
        .filter(pl.col("kind") == "borough")
        .select(pl.col("borough_raw").alias("place"), "borough")
    )
    joined = frame.join(lookup, on="place", how="left")
    no_location = joined.filter(pl.col("place") == "").height
    outside = (
        joined.filter((pl.col("place") != "") & pl.col("borough").is_null())
        .group_by("place")
        .agg(pl.len().alias("rows"))
        .sort(["rows", "place"], descending=[True, False])
    )
    warnings = []
    if no_location or outside.height:
        parts = []
        if no_location:
            parts.append(f"{_rows(no_location)} with no location (blank LSOA)")
        if outside.height:
            places_text = ", ".join(
                f"{r['place']} {r['rows']:,}" for r in outside.iter_rows(named=True)
            )
            parts.append(
                f"{_rows(int(outside['rows'].sum()))} in LSOAs outside the boroughs ({places_text})"
            )
        warnings.append(f"set aside {' and '.join(parts)}; not counted")
    return joined.filter(pl.col("borough").is_not_null()), warnings


def _rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


def _one_row_per_crime(records: pl.LazyFrame) -> pl.LazyFrame:
    """One row per crime in a month (its first row, so its borough and type come from there;
    positive when any of its rows is), with how many rows it had. Rows without a Crime ID
    (anti-social behaviour) are each an incident."""
    crime = (
        pl.when(pl.col("Crime ID") == "")
        .then(pl.format("line {}", pl.col("_line")))
        .otherwise(pl.col("Crime ID"))
    )
    columns = [c for c in ("borough", "Crime type") if c in records.collect_schema().names()]
    aggregations = [pl.col(c).sort_by("_line").first() for c in columns]
    if "positive" in records.collect_schema().names():
        aggregations.append(pl.col("positive").any())
    return (
        records.with_columns(crime=crime)
        .group_by("month", "crime")
        .agg(*aggregations, pl.len().alias("rows"))
    )


def _collect(counts: pl.LazyFrame) -> tuple[pl.DataFrame, int]:
    """Aggregate with the streaming engine; returns the counts and the repeated rows."""
    rows = counts.collect(engine="streaming")
    repeats = int(rows["rows"].sum() - rows["crimes"].sum()) if rows.height else 0
    return rows.drop("rows", "crimes"), repeats


def _parsed(
    path: Path,
    format_name: str,
    rows: pl.DataFrame,
    warnings: list[str],
    records: pl.DataFrame,
    config: Config,
) -> ParsedFile:
    rows = canonical_categories(rows, config)
    if rows.height:
        # categories spelled two ways (capitals, aliases) are one category: their crimes add up
        rows = rows.group_by("month", "borough", "measure", "category").agg(pl.col("value").sum())
    rows = rows.with_columns(
        category_group=pl.lit(""),
        family=pl.lit("police_uk"),
        denominator=pl.lit(None, dtype=pl.Float64),
        provisional_hint=pl.lit(False),
    ).sort("measure", "borough", "category", "month")
    months = records["month"]
    return ParsedFile(
        path=path,
        format=format_name,
        rows=conform(rows, CANONICAL_COLUMNS),
        warnings=warnings,
        release=rows["month"].max() if rows.height else months.max(),
        period_start=rows["month"].min() if rows.height else months.min(),
        additive=True,
        canonical=True,
        record_ids=sample_record_ids(records, "month", "Crime ID").collect(),
    )


FORMATS = [
    FileFormat(
        name="police_uk_street",
        description="data.police.uk street-level crimes (Crime ID, Month, ..., LSOA name, Crime type)",
        detect=detect_street,
        parse=parse_street,
    ),
    FileFormat(
        name="police_uk_outcomes",
        description="data.police.uk outcomes (Crime ID, Month, ..., LSOA name, Outcome type)",
        detect=detect_outcomes,
        parse=parse_outcomes,
    ),
]
