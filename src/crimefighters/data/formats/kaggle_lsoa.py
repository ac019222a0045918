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

from crimefighters.config.models import Config
from crimefighters.data.formats import FileFormat
from crimefighters.data.formats.checks import (
    first_bad,
    refuse_conflicting_duplicates,
    refuse_implausible_months,
)
from crimefighters.data.names import (
    canonical_categories,
    refuse_control_characters,
    resolve_boroughs,
)
from crimefighters.data.schema import CANONICAL_COLUMNS, ParsedFile, conform, sample_record_ids
from crimefighters.data.text import read_table, split_header

COLUMNS = ("lsoa_code", "borough", "major_category", "minor_category", "value", "year", "month")


def detect(header_line: str, path: Path) -> bool:
    return set(COLUMNS) <= {c.lower() for c in split_header(header_line)}


def parse(path: Path, data: bytes, config: Config) -> ParsedFile:
    frame = read_table(path, data)
    frame = frame.rename({c: c.lower() for c in frame.columns if c != "_line"})
    frame = frame.with_columns(pl.col(c).str.strip_chars() for c in COLUMNS)
    refuse_control_characters(
        path,
        frame,
        {c: c for c in ("lsoa_code", "borough", "major_category", "minor_category")},
        "_line",
    )
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
    refuse_implausible_months(path, frame, "month_date", "year")
    frame, set_aside = resolve_boroughs(
        path,
        frame.rename({"borough": "borough_raw"}),
        config,
        rows=pl.len(),
        total=pl.col("count").sum(),
        line_column="_line",
    )
    frame = canonical_categories(
        frame.with_columns(written_category=pl.col("minor_category")).rename(
            {"major_category": "category_group", "minor_category": "category"}
        ),
        config,
    )
    frame = _without_repeats(path, frame)
    # LSOA rows add up to the borough (spellings of one borough already made one).
    rows = (
        frame.group_by("month_date", "borough", "category_group", "category")
        .agg(pl.col("count").sum().cast(pl.Float64).alias("value"))
        .select(
            month=pl.col("month_date"),
            borough=pl.col("borough"),
            measure=pl.lit("recorded_crime"),
            category=pl.col("category"),
            category_group=pl.col("category_group"),
            value=pl.col("value"),
            denominator=pl.lit(None, dtype=pl.Float64),
            family=pl.lit("mps_old"),
            provisional_hint=pl.lit(None, dtype=pl.Boolean),
        )
        .sort("borough", "category_group", "category", "month")
    )
    record_ids = sample_record_ids(
        frame.with_columns(
            record=pl.format(
                "{}|{}|{}", pl.col("lsoa_code"), pl.col("category_group"), pl.col("category")
            )
        ),
        "month_date",
        "record",
    ).collect()
    return ParsedFile(
        path=path,
        format="kaggle_lsoa",
        rows=conform(rows, CANONICAL_COLUMNS),
        release=rows["month"].max(),
        period_start=rows["month"].min(),
        kind="area_sums",
        additive=True,
        canonical=True,
        set_aside=set_aside,
        record_ids=record_ids,
    )


def _without_repeats(path: Path, frame: pl.DataFrame) -> pl.DataFrame:
    keys = ["lsoa_code", "category_group", "category", "month_date"]
    refuse_conflicting_duplicates(
        path,
        frame,
        keys,
        pl.col("count"),
        lambda r: f"LSOA {r['lsoa_code']}, {r['written_category']}, {r['month_date']:%Y-%m}",
        carry=("written_category",),
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
