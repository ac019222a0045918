"""Kaggle "London Crime" by LSOA: one row per LSOA x minor category x month, long format.

Columns ``lsoa_code, borough, major_category, minor_category, value, year, month``. The
categories are the old Home Office ones of the MPS borough files to 2018 (family ``mps_old``),
2008-2016. The published file is a dense grid, so most values are 0. Rows are summed to
borough x month x category as ``recorded_crime``. The same LSOA, category and month twice
with different values is an error; an identical repeat counts once.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from crimefighters.config.models import Config, normalise_name
from crimefighters.data.formats import FileFormat
from crimefighters.data.formats.checks import first_bad, refuse_conflicting_duplicates
from crimefighters.data.schema import RAW_COLUMNS, ParsedFile, conform
from crimefighters.data.text import decode_text, read_csv_strings, split_header

COLUMNS = ("lsoa_code", "borough", "major_category", "minor_category", "value", "year", "month")


def detect(header_line: str, path: Path) -> bool:
    return set(COLUMNS) <= {c.lower() for c in split_header(header_line)}


def parse(path: Path, data: bytes, config: Config) -> ParsedFile:
    frame = read_csv_strings(path, decode_text(path, data))
    frame = frame.rename({c: c.lower() for c in frame.columns if c != "_line"})
    frame = frame.with_columns(pl.col(c).str.strip_chars() for c in COLUMNS)
    for column in ("lsoa_code", "borough", "major_category", "minor_category"):
        first_bad(path, frame, pl.col(column) == "", column, "empty value")
    frame = frame.with_columns(
        count=pl.col("value").cast(pl.Int64, strict=False),
        month_date=pl.date(
            pl.col("year").cast(pl.Int32, strict=False),
            pl.col("month").cast(pl.Int32, strict=False).clip(1, 12),
            1,
        ),
        month_number=pl.col("month").cast(pl.Int32, strict=False),
    )
    first_bad(path, frame, pl.col("count").is_null(), "value", "not a whole number")
    first_bad(path, frame, pl.col("count") < 0, "value", "negative count")
    first_bad(
        path,
        frame,
        pl.col("year").cast(pl.Int32, strict=False).is_null(),
        "year",
        "expected a year",
    )
    first_bad(
        path,
        frame,
        pl.col("month_number").is_null() | ~pl.col("month_number").is_between(1, 12),
        "month",
        "expected a month number 1-12",
    )
    frame = _without_repeats(path, frame)
    # Spellings of one borough that differ only in case or '&' are summed together.
    names = frame["borough"].unique().to_list()
    keys = {name: normalise_name(name) for name in names}
    frame = frame.with_columns(
        borough_key=pl.col("borough").replace_strict(keys, return_dtype=pl.String)
    )
    rows = (
        frame.sort("_line")
        .group_by("month_date", "borough_key", "major_category", "minor_category")
        .agg(
            pl.col("borough").first().alias("borough_raw"),
            pl.col("count").sum().cast(pl.Float64).alias("value"),
            pl.col("_line").min().alias("line"),
        )
        .select(
            month=pl.col("month_date"),
            borough_raw=pl.col("borough_raw"),
            measure=pl.lit("recorded_crime"),
            category=pl.col("minor_category"),
            category_group=pl.col("major_category"),
            value=pl.col("value"),
            denominator=pl.lit(None, dtype=pl.Float64),
            family=pl.lit("mps_old"),
            line=pl.col("line"),
            provisional_hint=pl.lit(None, dtype=pl.Boolean),
        )
        .sort("borough_raw", "category_group", "category", "month")
    )
    return ParsedFile(
        path=path,
        format="kaggle_lsoa",
        rows=conform(rows, RAW_COLUMNS),
        release=rows["month"].max(),
    )


def _without_repeats(path: Path, frame: pl.DataFrame) -> pl.DataFrame:
    keys = ["lsoa_code", "major_category", "minor_category", "month_date"]
    refuse_conflicting_duplicates(
        path,
        frame,
        keys,
        pl.col("count"),
        lambda r: f"LSOA {r['lsoa_code']}, {r['minor_category']}, {r['month_date']:%Y-%m}",
    )
    return frame.sort("_line").unique(subset=keys, keep="first", maintain_order=True)


FORMATS = [
    FileFormat(
        name="kaggle_lsoa",
        description="Kaggle London crime by LSOA (lsoa_code, borough, major_category, minor_category, value, year, month)",
        detect=detect,
        parse=parse,
    )
]
