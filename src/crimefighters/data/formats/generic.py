"""The generic measure file: one observation per row, for measures that are not published.

Columns (header required, any order, extra columns refused):

    month, borough, measure, category, value[, denominator][, provisional]

- ``month``: ``YYYY-MM`` (or ``YYYY-MM-DD``, any day: the month is what counts).
- ``borough``: any spelling in the borough alias table.
- ``measure``: a measure id from ``measures.yaml`` (e.g. ``response_i_compliance``).
- ``category``: free text within the measure (e.g. ``I grade``); empty means ``All``.
- ``value``: a number >= 0. For a proportion with a ``denominator``, the numerator (e.g. calls
  attended within target); for a proportion without one, the proportion itself (0-1).
- ``denominator``: optional base for proportions (e.g. graded calls).
- ``provisional``: optional ``true``/``false``; otherwise the newest month of the file is.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from crimefighters.config.models import Config
from crimefighters.data.formats import FileFormat
from crimefighters.data.formats.checks import first_bad, refuse_conflicting_duplicates
from crimefighters.data.schema import RAW_COLUMNS, ParsedFile, conform
from crimefighters.data.text import (
    decode_text,
    first_line,
    read_csv_strings,
    sniff_delimiter,
    split_header,
)
from crimefighters.errors import DataError

REQUIRED = ("month", "borough", "measure", "category", "value")
OPTIONAL = ("denominator", "provisional")


def detect(header_line: str, path: Path) -> bool:
    # Claimed on "measure" and "value" plus one more required column, so a file missing a
    # column is told which one, rather than that its format is unknown.
    cells = {c.lower() for c in split_header(header_line, sniff_delimiter(header_line))}
    return {"measure", "value"} <= cells and len(cells & set(REQUIRED)) >= 3


def parse(path: Path, data: bytes, config: Config) -> ParsedFile:
    text = decode_text(path, data)
    delimiter = sniff_delimiter(first_line(text))
    frame = read_csv_strings(path, text, delimiter)
    frame = frame.rename({c: c.lower() for c in frame.columns if c != "_line"})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise DataError(
            path,
            f"missing column(s) {', '.join(missing)}; a generic measure file has "
            f"{', '.join(REQUIRED)}[, {', '.join(OPTIONAL)}]",
            line=1,
        )
    unknown = [c for c in frame.columns if c not in (*REQUIRED, *OPTIONAL, "_line")]
    if unknown:
        raise DataError(
            path,
            f"unexpected column(s) {unknown}; expected {', '.join(REQUIRED + OPTIONAL)}",
            line=1,
        )
    frame = frame.with_columns(pl.col(pl.String).str.strip_chars())

    month = pl.coalesce(
        pl.col("month").str.to_date("%Y-%m", strict=False),
        pl.col("month").str.to_date("%Y-%m-%d", strict=False).dt.truncate("1mo"),
    )
    frame = frame.with_columns(
        month_date=month,
        value_number=pl.col("value").cast(pl.Float64, strict=False),
        denominator_number=(
            pl.col("denominator").replace("", None).cast(pl.Float64, strict=False)
            if "denominator" in frame.columns
            else pl.lit(None, dtype=pl.Float64)
        ),
    )
    first_bad(path, frame, pl.col("month_date").is_null(), "month", "expected YYYY-MM")
    first_bad(path, frame, pl.col("value_number").is_null(), "value", "not a number")
    first_bad(path, frame, pl.col("value_number") < 0, "value", "negative value")
    first_bad(path, frame, pl.col("borough") == "", "borough", "empty borough")
    if "denominator" in frame.columns:
        first_bad(
            path,
            frame,
            (pl.col("denominator") != "") & pl.col("denominator_number").is_null(),
            "denominator",
            "not a number",
        )
        first_bad(path, frame, pl.col("denominator_number") <= 0, "denominator", "must be above 0")
        first_bad(
            path,
            frame,
            pl.col("value_number") > pl.col("denominator_number"),
            "value",
            "numerator larger than its denominator",
        )

    known = {m.id for m in config.measures}
    unknown_measures = frame.filter(~pl.col("measure").is_in(sorted(known)))
    if unknown_measures.height:
        row = unknown_measures.row(0, named=True)
        raise DataError(
            path,
            f"unknown measure {row['measure']!r} (measures are defined in measures.yaml)",
            line=int(row["_line"]),
            column="measure",
        )
    proportions = {m.id for m in config.measures if m.kind == "proportion"}
    first_bad(
        path,
        frame,
        pl.col("measure").is_in(sorted(proportions))
        & pl.col("denominator_number").is_null()
        & (pl.col("value_number") > 1),
        "value",
        "a proportion without a denominator must be between 0 and 1",
    )

    provisional = pl.lit(None, dtype=pl.Boolean)
    if "provisional" in frame.columns:
        flag = pl.col("provisional").str.to_lowercase()
        first_bad(
            path,
            frame,
            ~flag.is_in(["true", "false", "1", "0", "yes", "no", ""]),
            "provisional",
            "expected true or false",
        )
        provisional = pl.when(flag == "").then(None).otherwise(flag.is_in(["true", "1", "yes"]))

    rows = frame.select(
        month=pl.col("month_date"),
        borough_raw=pl.col("borough"),
        measure=pl.col("measure"),
        category=pl.when(pl.col("category") == "")
        .then(pl.lit("All"))
        .otherwise(pl.col("category")),
        category_group=pl.lit(""),
        value=pl.col("value_number"),
        denominator=pl.col("denominator_number"),
        family=pl.lit("generic"),
        line=pl.col("_line"),
        provisional_hint=provisional,
    )
    refuse_conflicting_duplicates(
        path,
        rows,
        ["month", "borough_raw", "measure", "category"],
        pl.struct("value", "denominator"),
        lambda r: f"{r['borough_raw']}, {r['measure']}, {r['category']}, {r['month']:%Y-%m}",
        line_column="line",
    )
    rows = rows.unique(
        subset=["month", "borough_raw", "measure", "category"], keep="first", maintain_order=True
    )
    release = rows["month"].max()
    return ParsedFile(path=path, format="generic", rows=conform(rows, RAW_COLUMNS), release=release)


FORMATS = [
    FileFormat(
        name="generic",
        description="generic measure file (month, borough, measure, category, value[, denominator])",
        detect=detect,
        parse=parse,
    )
]
