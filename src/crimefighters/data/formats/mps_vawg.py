"""MPS violence against women and girls (VAWG) dashboard (London Datastore): offences.

The published workbook has two sheets, stacked in the Parquet copy with a ``sheet`` column:

- ``Offence count location``: BCU, borough, ward and recorded month, with a count. Loaded:
  ``vawg_offences`` (category ``All``) per borough and recorded month, wards added up.
  ``Other`` and ``Unknown`` boroughs are pseudo-boroughs, set aside by the store.
- ``Offence count classification``: London-wide counts by offence class, with no borough.
  Not loaded: the scan works by borough (its rows are counted in the note).

``Date Committed`` (a 1900-01-01 placeholder in 99 rows) is not used: offences are counted in
the month recorded, as in every other MPS file. Wards are not loaded as a ward table (the file
gives ward names without codes, and ward boundaries changed in 2022). Months a borough has no
row are 0, within the file's span. VAWG offences, like domestic abuse, are neutral: more can
mean more confidence to report.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from crimefighters.config.models import Config
from crimefighters.data.formats import FileFormat
from crimefighters.data.formats.checks import refuse_implausible_months
from crimefighters.data.formats.tabular import (
    as_count,
    as_month,
    as_text,
    fill_zeros,
    one_spelling,
    read_table,
    refuse_first,
    snake,
)
from crimefighters.data.names import refuse_control_characters
from crimefighters.data.schema import RAW_COLUMNS, ParsedFile, conform
from crimefighters.data.text import split_header
from crimefighters.errors import DataError

REQUIRED = ("borough_name", "recorded_date_months", "count")
LOCATION = "offence count location"


def accepts(header: list[str]) -> bool:
    names = {snake(h) for h in header}
    return {"borough_name", "recorded_date_months", "count"} <= names


def detect(header_line: str, path: Path) -> bool:
    return accepts(split_header(header_line))


def parse(path: Path, data: bytes, config: Config) -> ParsedFile:
    tables = read_table(path, data, accepts)
    frames = []
    warnings: list[str] = []
    for table in tables:
        original = [c for c in table.frame.columns if c != "_line"]
        label = {snake(c): c for c in original}
        frame = table.frame.rename({c: snake(c) for c in original})
        missing = [c for c in REQUIRED if c not in frame.columns]
        if missing:
            raise DataError(
                table.where, f"missing column(s) {', '.join(missing)} in an MPS VAWG file", line=1
            )
        schema = frame.schema
        sheet = (
            as_text("sheet", schema["sheet"]).str.to_lowercase()
            if "sheet" in schema
            else pl.lit(LOCATION)
        )
        frame = frame.select(
            "_line",
            sheet=sheet,
            borough_raw=as_text("borough_name", schema["borough_name"]),
            month=as_month("recorded_date_months", schema["recorded_date_months"]),
            month_text=as_text("recorded_date_months", schema["recorded_date_months"]),
            count=as_count("count", schema["count"]),
            count_text=as_text("count", schema["count"]),
        )
        classification = frame.filter(pl.col("sheet") != LOCATION)
        if classification.height:
            warnings.append(
                f"{classification.height:,} rows of sheet(s) {', '.join(sorted(set(classification['sheet'])))} "
                "have no borough (London-wide offence classes): not loaded"
            )
        frame = frame.filter(pl.col("sheet") == LOCATION)
        refuse_first(
            table.where,
            frame,
            pl.col("month").is_null(),
            "month_text",
            label["recorded_date_months"],
            "expected a month as YYYY-MM-DD",
        )
        refuse_first(
            table.where,
            frame,
            pl.col("count").is_null(),
            "count_text",
            label["count"],
            "expected a whole number of 0 or more",
        )
        refuse_first(
            table.where,
            frame,
            pl.col("borough_raw") == "",
            "borough_raw",
            label["borough_name"],
            "empty borough",
        )
        refuse_implausible_months(
            table.where, frame, "month", label["recorded_date_months"], shown="month_text"
        )
        refuse_control_characters(
            table.where, frame, {"borough_raw": label["borough_name"]}, line_column="_line"
        )
        frames.append(frame)
    frame = one_spelling(pl.concat(frames), config)
    if frame.height == 0:
        raise DataError(path, "no 'Offence count location' rows (offences by borough) in this file")
    counts = frame.group_by("borough_raw", "month").agg(
        value=pl.col("count").sum(), line=pl.col("_line").min()
    )
    counts, zeros = fill_zeros(counts.with_columns(category=pl.lit("All")), ["category"], config)
    if zeros:
        warnings.append(f"{zeros:,} borough-months with no row written as 0")
    rows = counts.select(
        "month",
        "borough_raw",
        measure=pl.lit("vawg_offences"),
        category="category",
        category_group=pl.lit(""),
        value=pl.col("value").cast(pl.Float64),
        denominator=pl.lit(None, dtype=pl.Float64),
        family=pl.lit("mps_vawg"),
        line="line",
        provisional_hint=pl.lit(None, dtype=pl.Boolean),
    ).sort("borough_raw", "month")
    return ParsedFile(
        path=path,
        format="mps_vawg",
        rows=conform(rows, RAW_COLUMNS),
        warnings=warnings,
        release=rows["month"].max(),
    )


FORMATS = [
    FileFormat(
        name="mps_vawg",
        description="MPS VAWG offences by borough (BCU, Borough Name, Ward, Recorded Date (Months), Count)",
        detect=detect,
        parse=parse,
    )
]
