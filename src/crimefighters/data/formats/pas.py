"""MOPAC Public Attitude Survey (PAS) by borough, as exported from MOPAC's dashboard.

Columns ``Date, Survey, Borough, Measure, Proportion[, MPS]``; two exports are known:
semicolon-separated with decimal commas (``0,56``), and comma-separated with the decimal
commas quoted (``"0,56"``) and four trailing empty columns. ``Date`` is the quarter end
(``31/12/2014`` or ``31/3/2023``) of a rolling 12-month measure.

Each row gives ``pas_confidence`` for one borough and quarter: category = the PAS measure
(``"Good Job" local``, ``Trust MPS``...), value = the proportion (0-1), no denominator, month =
the quarter-end month. Survey results are not revised, so no month is provisional.

- The ``MPS`` column (the London value) is not loaded: it is not a borough, and the scan works
  London out from the boroughs itself.
- Rows for the MPS as a whole (``Borough`` = ``MPS``) are set aside with a warning; a file
  holding nothing else (``PAS_Total``) is refused, since it has no borough data.
- Rows of another survey than ``PAS`` are set aside with a warning (their measures would mix
  with the PAS measure names).
- Blank proportions (suppressed small bases) are left out with a warning.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from crimefighters.config.models import Config, normalise_name
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

COLUMNS = ("Date", "Survey", "Borough", "Measure", "Proportion")
_LONDON_WIDE = {"mps", "met", "metropolitan police service", "london"}


def detect(header_line: str, path: Path) -> bool:
    cells = split_header(header_line, sniff_delimiter(header_line))
    return tuple(cells[: len(COLUMNS)]) == COLUMNS


def parse(path: Path, data: bytes, config: Config) -> ParsedFile:
    delimiter = sniff_delimiter(first_line(head_text(path, data)))
    frame = read_table(path, data, delimiter, columns=list(COLUMNS))
    frame = frame.with_columns(pl.col(c).str.strip_chars() for c in COLUMNS)
    refuse_control_characters(
        path, frame, {"Borough": "Borough", "Measure": "Measure", "Survey": "Survey"}, "_line"
    )
    warnings: list[str] = []
    frame = _set_aside_london_wide(path, frame, warnings)
    frame = _set_aside_other_surveys(frame, warnings)
    frame = _month_and_proportion(path, frame, warnings)
    first_bad(path, frame, pl.col("Measure") == "", "Measure", "empty PAS measure name")
    rows = frame.select(
        month=pl.col("month"),
        borough_raw=pl.col("Borough"),
        measure=pl.lit("pas_confidence"),
        category=pl.col("Measure"),
        category_group=pl.lit(""),
        value=pl.col("proportion"),
        denominator=pl.lit(None, dtype=pl.Float64),
        family=pl.lit("generic"),
        line=pl.col("_line"),
        provisional_hint=pl.lit(False),
        written=pl.format("{}, {}", pl.col("Borough"), pl.col("Measure")),
    )
    rows, set_aside = resolve_boroughs(
        path, rows, config, rows=pl.len(), total=pl.col("value").sum()
    )
    rows = canonical_categories(rows, config)
    rows = _without_repeats(path, rows)
    return ParsedFile(
        path=path,
        format="mopac_pas",
        rows=conform(rows, CANONICAL_COLUMNS),
        warnings=warnings,
        release=rows["month"].max() if rows.height else None,
        period_start=rows["month"].min() if rows.height else None,
        canonical=True,
        set_aside=set_aside,
    )


def _set_aside_london_wide(path: Path, frame: pl.DataFrame, warnings: list[str]) -> pl.DataFrame:
    names = frame["Borough"].unique().to_list()
    keys = pl.col("Borough").replace_strict(
        {n: normalise_name(n) for n in names}, return_dtype=pl.String
    )
    frame = frame.with_columns(london_wide=keys.is_in(sorted(_LONDON_WIDE)))
    count = int(frame["london_wide"].sum())
    if count == frame.height:
        raise DataError(
            path,
            "holds only MPS-wide PAS values (no borough rows), so there is nothing to load: "
            "London figures are worked out from the borough file",
        )
    if count:
        warnings.append(
            f"set aside {count:,} MPS-wide rows (London is worked out from the boroughs)"
        )
    return frame.filter(~pl.col("london_wide"))


def _set_aside_other_surveys(frame: pl.DataFrame, warnings: list[str]) -> pl.DataFrame:
    other = frame.filter(pl.col("Survey").str.to_uppercase() != "PAS")
    if other.height:
        surveys = ", ".join(sorted(other["Survey"].unique().to_list()))
        warnings.append(
            f"set aside {other.height:,} rows of other surveys ({surveys}); only PAS is loaded"
        )
    return frame.filter(pl.col("Survey").str.to_uppercase() == "PAS")


def _month_and_proportion(path: Path, frame: pl.DataFrame, warnings: list[str]) -> pl.DataFrame:
    parts = pl.col("Date").str.extract_groups(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
    day_first = pl.format(
        "{}-{}-{}",
        parts.struct.field("3"),
        parts.struct.field("2").str.zfill(2),
        parts.struct.field("1").str.zfill(2),
    )
    frame = frame.with_columns(
        month=pl.coalesce(
            day_first.str.to_date("%Y-%m-%d", strict=False),
            pl.col("Date").str.to_date("%Y-%m-%d", strict=False),
        ).dt.truncate("1mo")
    )
    first_bad(
        path, frame, pl.col("month").is_null(), "Date", "expected a quarter-end date as dd/mm/yyyy"
    )
    refuse_implausible_months(path, frame, "month", "Date")
    blank = frame.filter(pl.col("Proportion") == "").height
    if blank:
        warnings.append(f"left out {blank:,} rows with a blank proportion (suppressed)")
        frame = frame.filter(pl.col("Proportion") != "")
    frame = frame.with_columns(
        proportion=pl.col("Proportion")
        .str.replace(",", ".", literal=True)
        .cast(pl.Float64, strict=False)
    )
    first_bad(path, frame, pl.col("proportion").is_null(), "Proportion", "not a number")
    first_bad(
        path,
        frame,
        ~pl.col("proportion").is_finite() | (pl.col("proportion") < 0) | (pl.col("proportion") > 1),
        "Proportion",
        "a proportion must be between 0 and 1",
    )
    return frame


def _without_repeats(path: Path, rows: pl.DataFrame) -> pl.DataFrame:
    """Identical repeated rows count once; the same borough, quarter and measure twice with
    different values is an error (spellings of one borough are one borough)."""
    keys = ["month", "borough", "category"]
    refuse_conflicting_duplicates(
        path,
        rows,
        keys,
        pl.col("value"),
        lambda r: f"{r['written']}, {r['month']:%Y-%m}",
        line_column="line",
        carry=("written",),
    )
    return (
        rows.sort("line")
        .unique(subset=keys, keep="first", maintain_order=True)
        .sort("borough", "category", "month")
    )


FORMATS = [
    FileFormat(
        name="mopac_pas",
        description="MOPAC Public Attitude Survey by borough (Date, Survey, Borough, Measure, Proportion[, MPS])",
        detect=detect,
        parse=parse,
    )
]
