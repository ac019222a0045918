"""MPS homicide victims (London Datastore): one row per victim.

Columns::

    Count of Victims, Age Group, Sex, Method of Killing, Domestic Abuse, Recorded Date,
    Homicide Offence Type, Solved Status, Borough, Officer Observed Ethnicity

Each row gives ``homicide_victims`` in its borough and recorded month (``Recorded Date`` is
``Mon-YY``): category ``All victims``, its ``Method of Killing`` (the methods do not overlap),
and ``Domestic abuse`` where the row is flagged so. The categories overlap (every victim is in
All victims), so they are never added up.

- Rows are never de-duplicated: identical rows are different victims with the same age band,
  sex, method, month and borough (the real file has 33 such repeats). ``Count of Victims`` is
  added up, so a row of 2 is two victims.
- Borough names are resolved like every other file (trailing spaces, '&', capital 'Upon');
  ``Heathrow`` is a pseudo-borough and is set aside by the store.
- Months without a homicide are written as 0 for every borough and category in the file's
  span, so a quiet month reads 0, not "no data".
- Age, sex, ethnicity, offence type and solved status are not loaded (the scan works on
  borough-month counts; a recent homicide "unsolved" is often still being investigated).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from crimefighters.config.models import Config
from crimefighters.data.formats import FileFormat
from crimefighters.data.formats.checks import refuse_implausible_months
from crimefighters.data.formats.tabular import (
    as_count,
    as_text,
    canonical_boroughs,
    one_spelling,
    read_table,
    refuse_first,
)
from crimefighters.data.names import canonical_categories, refuse_control_characters
from crimefighters.data.schema import RAW_COLUMNS, ParsedFile, conform
from crimefighters.data.text import split_header
from crimefighters.errors import DataError

MEASURE = "homicide_victims"
ALL = "All victims"
DOMESTIC = "Domestic abuse"
REQUIRED = ("Count of Victims", "Method of Killing", "Domestic Abuse", "Recorded Date", "Borough")


def detect(header_line: str, path: Path) -> bool:
    cells = set(split_header(header_line))
    return {"Count of Victims", "Recorded Date", "Borough"} <= cells


def parse(path: Path, data: bytes, config: Config) -> ParsedFile:
    (table,) = read_table(path, data, lambda header: True)
    frame = table.frame
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise DataError(
            path, f"missing column(s) {', '.join(missing)} in an MPS homicide file", line=1
        )
    schema = frame.schema
    victims = frame.select(
        "_line",
        **{c: as_text(c, schema[c]) for c in REQUIRED},
        count=as_count("Count of Victims", schema["Count of Victims"]),
    ).with_columns(
        month=pl.concat_str(pl.lit("01-"), pl.col("Recorded Date")).str.to_date(
            "%d-%b-%y", strict=False
        ),
        domestic=pl.col("Domestic Abuse").str.to_lowercase(),
    )
    refuse_first(
        path,
        victims,
        pl.col("count").is_null(),
        "Count of Victims",
        "Count of Victims",
        "expected a whole number of 0 or more",
    )
    refuse_first(
        path,
        victims,
        pl.col("month").is_null(),
        "Recorded Date",
        "Recorded Date",
        "expected a month as Mon-YY (Jan-03)",
    )
    refuse_first(path, victims, pl.col("Borough") == "", "Borough", "Borough", "empty borough")
    refuse_first(
        path,
        victims,
        pl.col("Method of Killing") == "",
        "Method of Killing",
        "Method of Killing",
        "empty method of killing",
    )
    refuse_first(
        path,
        victims,
        ~pl.col("domestic").is_in(["domestic abuse", "not domestic abuse"]),
        "Domestic Abuse",
        "Domestic Abuse",
        "expected 'Domestic Abuse' or 'Not Domestic Abuse'",
    )
    refuse_implausible_months(path, victims, "month", "Recorded Date")
    refuse_control_characters(
        path, victims, {c: c for c in ("Borough", "Method of Killing")}, line_column="_line"
    )
    # Names made canonical before victims are added up (the store checks them again).
    victims = one_spelling(victims.with_columns(borough_raw=pl.col("Borough")), config)
    categories = pl.concat(
        [
            victims.with_columns(category=pl.lit(ALL)),
            victims.with_columns(category=pl.col("Method of Killing")),
            victims.filter(pl.col("domestic") == "domestic abuse").with_columns(
                category=pl.lit(DOMESTIC)
            ),
        ]
    )
    counts = (
        canonical_categories(categories, config)
        .group_by("borough_raw", "month", "category")
        .agg(value=pl.col("count").sum(), line=pl.col("_line").min())
    )
    counts, zeros = _with_zeros(counts, config)
    rows = counts.with_columns(
        measure=pl.lit(MEASURE),
        category_group=pl.lit(""),
        value=pl.col("value").cast(pl.Float64),
        denominator=pl.lit(None, dtype=pl.Float64),
        family=pl.lit("mps_homicides"),
        provisional_hint=pl.lit(None, dtype=pl.Boolean),
    ).sort("borough_raw", "category", "month")
    warnings = [
        f"{victims.height:,} victim rows ({int(victims['count'].sum()):,} victims), none de-duplicated"
    ]
    if zeros:
        warnings.append(f"{zeros:,} borough-months without a homicide written as 0")
    return ParsedFile(
        path=path,
        format="mps_homicides",
        rows=conform(rows, RAW_COLUMNS),
        warnings=warnings,
        release=rows["month"].max(),
    )


def _with_zeros(counts: pl.DataFrame, config: Config) -> tuple[pl.DataFrame, int]:
    """Every canonical borough in the file x category x month of the file's span."""
    canonical = set(canonical_boroughs(config))
    places = [n for n in counts["borough_raw"].unique().to_list() if n in canonical]
    months = (
        pl.date_range(counts["month"].min(), counts["month"].max(), interval="1mo", eager=True)
        .alias("month")
        .to_frame()
    )
    grid = (
        pl.DataFrame({"borough_raw": places}, schema={"borough_raw": pl.String})
        .join(counts.select("category").unique(), how="cross")
        .join(months, how="cross")
    )
    filled = grid.join(counts, on=["borough_raw", "month", "category"], how="left")
    zeros = filled.filter(pl.col("value").is_null()).height
    filled = filled.with_columns(pl.col("value").fill_null(0)).select(counts.columns)
    others = counts.filter(~pl.col("borough_raw").is_in(places))
    return pl.concat([filled, others], how="vertical_relaxed"), zeros


FORMATS = [
    FileFormat(
        name="mps_homicides",
        description="MPS homicide victims (Count of Victims, ..., Recorded Date, ..., Borough), one row per victim",
        detect=detect,
        parse=parse,
    )
]
