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
from crimefighters.data.schema import CANONICAL_COLUMNS, ParsedFile, conform
from crimefighters.data.text import (
    first_line,
    head_text,
    read_table,
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
    delimiter = sniff_delimiter(first_line(head_text(path, data)))
    frame = read_table(path, data, delimiter)
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
    refuse_control_characters(
        path, frame, {"borough": "borough", "measure": "measure", "category": "category"}, "_line"
    )

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
    refuse_implausible_months(path, frame, "month_date", "month")
    first_bad(path, frame, pl.col("value_number").is_null(), "value", "not a number")
    first_bad(
        path,
        frame,
        ~pl.col("value_number").is_finite(),
        "value",
        "not a finite number (NaN and infinity cannot be counted or compared)",
    )
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
        first_bad(
            path,
            frame,
            ~pl.col("denominator_number").is_finite(),
            "denominator",
            "not a finite number (NaN and infinity cannot be counted or compared)",
        )
        first_bad(path, frame, pl.col("denominator_number") <= 0, "denominator", "must be above 0")
        first_bad(
            path,
            frame,
            pl.col("denominator_number") != pl.col("denominator_number").floor(),
            "denominator",
            "a denominator counts cases, so it must be a whole number",
        )
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
        row = unknown_measures.sort("_line").row(0, named=True)
        raise DataError(
            path,
            f"unknown measure {row['measure']!r} (measures are defined in measures.yaml)",
            line=int(row["_line"]),
            column="measure",
        )
    kinds = {m.id: m.kind for m in config.measures}
    kind = pl.col("measure").replace_strict(kinds, return_dtype=pl.String)
    whole = pl.col("value_number") == pl.col("value_number").floor()
    first_bad(
        path,
        frame,
        (kind == "count") & ~whole,
        "value",
        "a count must be a whole number",
    )
    first_bad(
        path,
        frame,
        (kind == "proportion") & pl.col("denominator_number").is_not_null() & ~whole,
        "value",
        "the numerator of a proportion counts cases, so it must be a whole number",
    )
    first_bad(
        path,
        frame,
        (kind == "proportion")
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
        written=pl.format(
            "{}, {}, {}",
            pl.col("borough"),
            pl.col("measure"),
            pl.when(pl.col("category") == "").then(pl.lit("All")).otherwise(pl.col("category")),
        ),
    )
    rows, set_aside = resolve_boroughs(
        path, rows, config, rows=pl.len(), total=pl.col("value").sum()
    )
    rows = canonical_categories(rows, config)
    keys = ["month", "borough", "measure", "category"]
    refuse_conflicting_duplicates(
        path,
        rows,
        keys,
        pl.struct("value", "denominator"),
        lambda r: f"{r['written']}, {r['month']:%Y-%m}",
        line_column="line",
        carry=("written",),
    )
    rows = (
        rows.sort("line")
        .unique(subset=keys, keep="first", maintain_order=True)
        .sort("measure", "borough", "category_group", "category", "month")
    )
    return ParsedFile(
        path=path,
        format="generic",
        rows=conform(rows, CANONICAL_COLUMNS),
        release=rows["month"].max(),
        period_start=rows["month"].min(),
        per_category=True,
        canonical=True,
        set_aside=set_aside,
    )


FORMATS = [
    FileFormat(
        name="generic",
        description="generic measure file (month, borough, measure, category, value[, denominator])",
        detect=detect,
        parse=parse,
    )
]
