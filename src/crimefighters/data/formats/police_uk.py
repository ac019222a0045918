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

from dataclasses import dataclass
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
from crimefighters.data.schema import (
    CANONICAL_COLUMNS,
    RECORD_ID_SAMPLE,
    RECORD_ID_SCHEMA,
    ParsedFile,
    conform,
)
from crimefighters.data.text import plan_table, split_header
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
    return parse_streets([(path, data)], config)[0]


def parse_outcomes(path: Path, data: bytes, config: Config) -> ParsedFile:
    return parse_many_outcomes([(path, data)], config)[0]


def parse_streets(items: list[tuple[Path, bytes]], config: Config) -> list[ParsedFile]:
    """Street files, read together: one Polars read of all their rows, every check and every
    count one aggregation over them (grouped by file), so a thousand monthly files cost a few
    queries, not a thousand."""
    records = _read(items, _STREET_REQUIRED, config)
    is_asb = pl.col("Crime type").str.to_lowercase() == ASB.lower()
    counts = (
        _one_row_per_crime(records)
        .with_columns(
            measure=pl.when(is_asb).then(pl.lit("asb_incidents")).otherwise(pl.lit("street_crime")),
            category=pl.when(is_asb).then(pl.lit("All")).otherwise(pl.col("Crime type")),
        )
        .group_by("_file", "month", "borough", "measure", "category")
        .agg(
            pl.col("rows").sum().alias("rows"),
            pl.len().alias("crimes"),
            pl.len().cast(pl.Float64).alias("value"),
        )
    )
    return _parsed(items, "police_uk_street", records, counts, config, "rows")


def parse_many_outcomes(items: list[tuple[Path, bytes]], config: Config) -> list[ParsedFile]:
    """Outcome files, read together (as ``parse_streets``)."""
    records = _read(items, _OUTCOME_REQUIRED, config)
    counts = (
        _one_row_per_crime(records)
        .group_by("_file", "month", "borough")
        .agg(
            pl.col("rows").sum().alias("rows"),
            pl.len().alias("crimes"),
            pl.col("positive").sum().cast(pl.Float64).alias("value"),
        )
        .with_columns(measure=pl.lit("positive_outcomes"), category=pl.lit("All"))
    )
    return _parsed(items, "police_uk_outcomes", records, counts, config, "outcome rows")


@dataclass
class _Records:
    """The files' records split once: those in London boroughs (with ``borough``), a count
    of the others by file and place, and each file's first and last month."""

    london: pl.DataFrame
    set_aside: pl.DataFrame  # _file, place ("" for no location), rows
    spans: pl.DataFrame  # _file, first, last


def _read(items: list[tuple[Path, bytes]], required: tuple[str, ...], config: Config) -> _Records:
    """The records of every file (``_file`` its index), checked, split by borough.

    Every check is one aggregation by file; for a file that fails one, the first failing
    check is worded from its first bad line, in this order: field counts, control
    characters, month, months out of range, crime type or outcome type.
    """
    plans = []
    for path, data in items:
        plan = plan_table(path, data, columns=list(required))
        missing = [c for c in required if c not in plan.wanted]
        if missing:
            raise DataError(path, f"missing column(s) {missing} in a data.police.uk file", line=1)
        plans.append(plan)
    try:
        frame = _records(plans)
    except pl.exceptions.PolarsError:
        # a row Polars refuses (more fields than the header) in some file: read each on its own
        for plan in plans:
            plan.checked = plan.checked if plan.checked is not None else plan.slow()
        frame = _records(plans)
    limit = current_month()
    names = {c: c for c in ("LSOA name", "Crime type", "Outcome type") if c in required}
    checks = {
        "control": pl.any_horizontal(pl.col(c).str.contains(CONTROL_CHARACTERS) for c in names),
        "month": pl.col("month").is_null(),
        "range": (pl.col("month") > limit) | (pl.col("month") < EARLIEST_MONTH),
    }
    if "Crime type" in required:
        checks["type"] = pl.col("Crime type") == ""
    if "Outcome type" in required:
        table = {text.strip().lower(): code for text, code in config.outcomes.police_uk.items()}
        outcome = pl.col("Outcome type").str.to_lowercase()
        checks["outcome"] = ~outcome.is_in(sorted(table))
    found = (
        frame.group_by("_file")
        .agg(
            pl.len().alias("rows"),
            pl.col("month").min().alias("first"),
            pl.col("month").max().alias("last"),
            *[
                pl.col("_line").filter(condition.fill_null(False)).min().alias(name)
                for name, condition in checks.items()
            ],
        )
        .sort("_file")
    )
    for row in found.iter_rows(named=True):
        plan = plans[row["_file"]]
        expected = plan.expected_rows() if plan.checked is None else row["rows"]
        if expected != row["rows"]:
            plan.slow()  # a short or blank row: refused, worded by the csv module
        if any(row[name] is not None for name in checks):
            _refuse(plan.path, frame.filter(pl.col("_file") == row["_file"]), checks, names, row)
    if "Outcome type" in required:
        positive = sorted(config.outcomes.positive)
        codes = outcome.replace_strict(table, return_dtype=pl.Int64)
        frame = frame.with_columns(positive=codes.is_in(positive).fill_null(False))
    return _split(frame, found.select("_file", "first", "last"), config)


def _records(plans: list) -> pl.DataFrame:
    """The rows of every file, read in one query, stripped, with their month."""
    required = plans[0].wanted
    scans = [
        plan.scan().select(*required, "_line").with_columns(_file=pl.lit(index, dtype=pl.Int32))
        for index, plan in enumerate(plans)
    ]
    return (
        pl.concat(scans, how="vertical")
        .with_columns(pl.col(c).str.strip_chars() for c in required)
        .with_columns(month=pl.col("Month").str.to_date("%Y-%m", strict=False))
        .collect()
    )


def _refuse(path: Path, frame: pl.DataFrame, checks: dict, names: dict, found: dict) -> None:
    """Word the first failing check of one file at its first bad line."""
    refuse_control_characters(path, frame, names, "_line")
    first_bad(path, frame, checks["month"], "Month", "expected a month as YYYY-MM")
    refuse_implausible_months(path, frame, "month", "Month")
    if "type" in checks:
        first_bad(path, frame, checks["type"], "Crime type", "empty crime type")
    _refuse_unknown_outcome(path, frame, found.get("outcome"))


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


def _split(frame: pl.DataFrame, spans: pl.DataFrame, config: Config) -> _Records:
    """Borough from the LSOA name, looked up once per name (England and Wales have about
    35,000): the London rows, and the others counted by place (no location, or outside)."""
    by_name = frame.group_by("_file", "LSOA name").agg(pl.len().alias("rows"))
    names = by_name.select(pl.col("LSOA name").unique()).with_columns(
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
    inside = names.filter(pl.col("borough").is_not_null())
    london = frame.filter(pl.col("LSOA name").is_in(inside["LSOA name"].implode())).with_columns(
        borough=pl.col("LSOA name").replace_strict(
            inside["LSOA name"], inside["borough"], return_dtype=pl.String
        )
    )
    set_aside = (
        by_name.join(names.filter(pl.col("borough").is_null()), on="LSOA name")
        .group_by("_file", "place")
        .agg(pl.col("rows").sum())
        .sort(["_file", "rows", "place"], descending=[False, True, False])
    )
    return _Records(london=london, set_aside=set_aside, spans=spans)


def _warnings(set_aside: pl.DataFrame) -> dict[int, str]:
    """Per file, the one-line note of the rows set aside (no location, or outside London)."""
    outside = pl.col("place") != ""
    biggest_first = [pl.col("rows").filter(outside), pl.col("place").filter(outside)]
    summary = set_aside.group_by("_file").agg(
        pl.col("rows").filter(~outside).sum().alias("no_location"),
        pl.col("rows").filter(outside).sum().alias("outside"),
        pl.col("place")
        .filter(outside)
        .sort_by(biggest_first, descending=[True, False])
        .alias("places"),
        pl.col("rows")
        .filter(outside)
        .sort_by(biggest_first, descending=[True, False])
        .alias("counts"),
    )
    notes = {}
    for row in summary.iter_rows(named=True):
        parts = []
        if row["no_location"]:
            parts.append(f"{_rows(row['no_location'])} with no location (blank LSOA)")
        if row["outside"]:
            shown = list(zip(row["places"], row["counts"], strict=True))
            places_text = ", ".join(f"{place} {rows:,}" for place, rows in shown[:5])
            if len(shown) > 5:
                places_text += f" and {len(shown) - 5:,} other places"
            parts.append(f"{_rows(row['outside'])} in LSOAs outside the boroughs ({places_text})")
        if parts:
            notes[row["_file"]] = f"set aside {' and '.join(parts)}; not counted"
    return notes


def _rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


def _one_row_per_crime(records: _Records) -> pl.LazyFrame:
    """One row per crime in a month of a file (its first row, so its borough and type come
    from there; positive when any of its rows is), with how many rows it had. Rows without a
    Crime ID (anti-social behaviour) are each an incident. Rows outside the boroughs were left
    out first."""
    crime = (
        pl.when(pl.col("Crime ID") == "")
        .then(pl.format("line {}", pl.col("_line")))
        .otherwise(pl.col("Crime ID"))
    )
    columns = records.london.columns
    aggregations = [
        pl.col(c).sort_by("_line").first() for c in ("borough", "Crime type") if c in columns
    ]
    if "positive" in columns:
        aggregations.append(pl.col("positive").any())
    return (
        records.london.lazy()
        .with_columns(crime=crime)
        .group_by("_file", "month", "crime")
        .agg(*aggregations, pl.len().alias("rows"))
    )


def _parsed(
    items: list[tuple[Path, bytes]],
    format_name: str,
    records: _Records,
    counts: pl.LazyFrame,
    config: Config,
    repeated: str,
) -> list[ParsedFile]:
    """Per file: the counts, the set-aside summary, the record-id sample and the months."""
    ids = (
        records.london.lazy()
        .filter(pl.col("Crime ID") != "")
        .select("_file", "month", pl.col("Crime ID").hash(seed=1).alias("id_hash"))
        .unique()
        .group_by("_file", "month")
        .agg(pl.col("id_hash").bottom_k(RECORD_ID_SAMPLE))
        .explode("id_hash")
    )
    rows, record_ids = pl.collect_all([counts, ids])
    repeats = dict(
        rows.group_by("_file").agg(pl.col("rows").sum() - pl.col("crimes").sum()).iter_rows()
    )
    # categories spelled two ways (capitals, aliases) are one category: their crimes add up
    rows = (
        canonical_categories(rows, config)
        .group_by("_file", "month", "borough", "measure", "category")
        .agg(pl.col("value").sum())
        .with_columns(
            category_group=pl.lit(""),
            family=pl.lit("police_uk"),
            denominator=pl.lit(None, dtype=pl.Float64),
            provisional_hint=pl.lit(False),
        )
        .sort("_file", "measure", "borough", "category", "month")
    )
    spans = rows.group_by("_file").agg(
        pl.col("month").min().alias("first"), pl.col("month").max().alias("last")
    )
    row_parts = conform(rows, {"_file": pl.Int32(), **CANONICAL_COLUMNS}).partition_by(
        "_file", as_dict=True, include_key=False
    )
    set_aside = _warnings(records.set_aside)
    id_parts = record_ids.select(
        "_file", pl.col("month").cast(pl.Date), pl.col("id_hash").cast(pl.UInt64)
    ).partition_by("_file", as_dict=True, include_key=False)
    # a file's months: those it counts, or (all its rows set aside) those it holds
    span_of = {row["_file"]: row for row in records.spans.iter_rows(named=True)}
    span_of.update({row["_file"]: row for row in spans.iter_rows(named=True)})
    empty_rows = pl.DataFrame(schema=CANONICAL_COLUMNS)
    empty_ids = pl.DataFrame(schema=RECORD_ID_SCHEMA)
    parsed = []
    for index, (path, _) in enumerate(items):
        warnings = [set_aside[index]] if index in set_aside else []
        if repeats.get(index):
            what = "a Crime ID" if repeated == "rows" else "a crime"
            warnings.append(
                f"{repeats[index]:,} repeated {repeated} for {what} already seen that month "
                f"counted once"
            )
        span = span_of.get(index, {"first": None, "last": None})
        parsed.append(
            ParsedFile(
                path=path,
                format=format_name,
                rows=row_parts.get((index,), empty_rows),
                warnings=warnings,
                release=span["last"],
                period_start=span["first"],
                additive=True,
                canonical=True,
                record_ids=id_parts.get((index,), empty_ids),
            )
        )
    return parsed


FORMATS = [
    FileFormat(
        name="police_uk_street",
        description="data.police.uk street-level crimes (Crime ID, Month, ..., LSOA name, Crime type)",
        detect=detect_street,
        parse=parse_street,
        parse_many=parse_streets,
    ),
    FileFormat(
        name="police_uk_outcomes",
        description="data.police.uk outcomes (Crime ID, Month, ..., LSOA name, Outcome type)",
        detect=detect_outcomes,
        parse=parse_outcomes,
        parse_many=parse_many_outcomes,
    ),
]
