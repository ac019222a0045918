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
from crimefighters.data.formats.checks import (
    EARLIEST_MONTH,
    current_month,
    first_bad,
    refuse_implausible_months,
)
from crimefighters.data.names import (
    CONTROL_CHARACTERS,
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
    records = _read(path, data, _STREET_REQUIRED, config)
    is_asb = pl.col("Crime type").str.to_lowercase() == ASB.lower()
    counts = (
        _one_row_per_crime(records)
        .with_columns(
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
    return _parsed(path, "police_uk_street", records, counts, config, "rows")


def parse_outcomes(path: Path, data: bytes, config: Config) -> ParsedFile:
    records = _read(path, data, _OUTCOME_REQUIRED, config)
    counts = (
        _one_row_per_crime(records)
        .group_by("month", "borough")
        .agg(
            pl.col("rows").sum().alias("rows"),
            pl.len().alias("crimes"),
            pl.col("positive").sum().cast(pl.Float64).alias("value"),
        )
        .with_columns(measure=pl.lit("positive_outcomes"), category=pl.lit("All"))
    )
    return _parsed(path, "police_uk_outcomes", records, counts, config, "outcome rows")


def _read(path: Path, data: bytes, required: tuple[str, ...], config: Config) -> pl.LazyFrame:
    """The records, checked (every check one pass over the whole file; the first failing one
    is worded from its first bad line), with their borough: rows with no LSOA or in LSOAs
    outside the boroughs are kept with a null borough, for the warning."""
    frame = read_table(path, data, columns=list(required))
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(path, f"missing column(s) {missing} in a data.police.uk file", line=1)
    frame = frame.with_columns(pl.col(c).str.strip_chars() for c in required).with_columns(
        month=pl.col("Month").str.to_date("%Y-%m", strict=False)
    )
    limit = current_month()
    names = {c: c for c in ("LSOA name", "Crime type", "Outcome type") if c in required}
    control = pl.any_horizontal(pl.col(c).str.contains(CONTROL_CHARACTERS) for c in names)
    checks = {
        "control": control,
        "month": pl.col("month").is_null(),
        "range": (pl.col("month") > limit) | (pl.col("month") < EARLIEST_MONTH),
    }
    if "Crime type" in required:
        checks["type"] = pl.col("Crime type") == ""
    if "Outcome type" in required:
        table = {text.strip().lower(): code for text, code in config.outcomes.police_uk.items()}
        outcome = pl.col("Outcome type").str.to_lowercase()
        checks["outcome"] = ~outcome.is_in(sorted(table))
    first = frame.select(
        pl.col("_line").filter(condition.fill_null(False)).min().alias(name)
        for name, condition in checks.items()
    ).row(0, named=True)
    if any(line is not None for line in first.values()):
        # word the first failing check, in the order above, at its first bad line
        refuse_control_characters(path, frame, names, "_line")
        first_bad(path, frame, checks["month"], "Month", "expected a month as YYYY-MM")
        refuse_implausible_months(path, frame, "month", "Month")
        if "type" in checks:
            first_bad(path, frame, checks["type"], "Crime type", "empty crime type")
        _refuse_unknown_outcome(path, frame, first["outcome"])
    if "Outcome type" in required:
        positive = sorted(config.outcomes.positive)
        codes = outcome.replace_strict(table, return_dtype=pl.Int64)
        frame = frame.with_columns(positive=codes.is_in(positive).fill_null(False))
    return _with_boroughs(frame, config)


def _refuse_unknown_outcome(path: Path, frame: pl.DataFrame, line: int | None) -> None:
    if line is None:
        return
    text = frame.filter(pl.col("_line") == line)["Outcome type"][0]
    problem = (
        "empty outcome type"
        if text == ""
        else f"outcome type {text!r} is not in outcomes.yaml; add it under outcomes.police_uk "
        f"with its Home Office outcome code (or null if it is not an outcome)"
    )
    raise DataError(path, problem, line=line, column="Outcome type")


def _with_boroughs(frame: pl.DataFrame, config: Config) -> pl.LazyFrame:
    """Borough from the LSOA name, looked up once per name (a file holds a few thousand)."""
    names = frame.select(pl.col("LSOA name").unique()).with_columns(
        place=pl.col("LSOA name").str.replace(_LSOA_CODE_SUFFIX, "")
    )
    places = [p for p in names["place"].unique().to_list() if p]
    lookup = (
        BoroughResolver(config)
        .table(places)
        .filter(pl.col("kind") == "borough")
        .select(pl.col("borough_raw").alias("place"), "borough")
    )
    names = names.join(lookup, on="place", how="left")
    return frame.lazy().join(names.lazy(), on="LSOA name", how="left")


def _set_aside(records: pl.LazyFrame) -> pl.LazyFrame:
    """Rows with no location, and rows by place outside the boroughs."""
    return (
        records.filter(pl.col("borough").is_null())
        .group_by("place")
        .agg(pl.len().alias("rows"))
        .sort(["rows", "place"], descending=[True, False])
    )


def _warning(set_aside: pl.DataFrame) -> list[str]:
    no_location = set_aside.filter(pl.col("place") == "")["rows"].sum()
    outside = set_aside.filter(pl.col("place") != "")
    if not no_location and not outside.height:
        return []
    parts = []
    if no_location:
        parts.append(f"{_rows(no_location)} with no location (blank LSOA)")
    if outside.height:
        places_text = ", ".join(
            f"{r['place']} {r['rows']:,}" for r in outside.head(5).iter_rows(named=True)
        )
        if outside.height > 5:
            places_text += f" and {outside.height - 5:,} other places"
        parts.append(
            f"{_rows(int(outside['rows'].sum()))} in LSOAs outside the boroughs ({places_text})"
        )
    return [f"set aside {' and '.join(parts)}; not counted"]


def _rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


def _one_row_per_crime(records: pl.LazyFrame) -> pl.LazyFrame:
    """One row per crime in a month (its first row, so its borough and type come from there;
    positive when any of its rows is), with how many rows it had. Rows without a Crime ID
    (anti-social behaviour) are each an incident. Rows outside the boroughs are left out first.
    """
    crime = (
        pl.when(pl.col("Crime ID") == "")
        .then(pl.format("line {}", pl.col("_line")))
        .otherwise(pl.col("Crime ID"))
    )
    columns = records.collect_schema().names()
    aggregations = [
        pl.col(c).sort_by("_line").first() for c in ("borough", "Crime type") if c in columns
    ]
    if "positive" in columns:
        aggregations.append(pl.col("positive").any())
    return (
        records.filter(pl.col("borough").is_not_null())
        .with_columns(crime=crime)
        .group_by("month", "crime")
        .agg(*aggregations, pl.len().alias("rows"))
    )


def _parsed(
    path: Path,
    format_name: str,
    records: pl.LazyFrame,
    counts: pl.LazyFrame,
    config: Config,
    repeated: str,
) -> ParsedFile:
    """The counts, the set-aside summary, the record-id sample and the months, collected
    together with the streaming engine (memory bounded by the aggregates)."""
    london = records.filter(pl.col("borough").is_not_null())
    rows, set_aside, record_ids, months = pl.collect_all(
        [
            counts,
            _set_aside(records),
            sample_record_ids(london, "month", "Crime ID"),
            records.select(
                pl.col("month").min().alias("first"), pl.col("month").max().alias("last")
            ),
        ],
        engine="streaming",
    )
    warnings = _warning(set_aside)
    repeats = int(rows["rows"].sum() - rows["crimes"].sum()) if rows.height else 0
    if repeats:
        what = "a Crime ID" if repeated == "rows" else "a crime"
        warnings.append(
            f"{repeats:,} repeated {repeated} for {what} already seen that month counted once"
        )
    rows = canonical_categories(rows.drop("rows", "crimes"), config)
    if rows.height:
        # categories spelled two ways (capitals, aliases) are one category: their crimes add up
        rows = rows.group_by("month", "borough", "measure", "category").agg(pl.col("value").sum())
    rows = rows.with_columns(
        category_group=pl.lit(""),
        family=pl.lit("police_uk"),
        denominator=pl.lit(None, dtype=pl.Float64),
        provisional_hint=pl.lit(False),
    ).sort("measure", "borough", "category", "month")
    span = months.row(0, named=True)
    return ParsedFile(
        path=path,
        format=format_name,
        rows=conform(rows, CANONICAL_COLUMNS),
        warnings=warnings,
        release=rows["month"].max() if rows.height else span["last"],
        period_start=rows["month"].min() if rows.height else span["first"],
        additive=True,
        canonical=True,
        record_ids=record_ids,
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
