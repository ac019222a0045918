"""MPS recorded crime, borough and ward level: one row per area x category, one column per month.

Header variants (all checked in the published files):
- ``Borough, Major Category, Minor Category, 200801..``      old Home Office categories (to 2018)
- ``MajorText, MinorText, LookUp_BoroughName, 201004..``     title case (2019-2024 releases)
- ``MajorText, MinorText, BoroughName, ..``                  UPPERCASE (from the 2022-10 release)
- ``Group, SubGroup, BOCU, ..``                              2026 release; BOCU holds borough names
- ``MajorText, MinorText, WardName, WardCode, LookUp_BoroughName, ..``   ward level
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from pathlib import Path

import polars as pl

from crimefighters.config.models import Config
from crimefighters.data.formats import FileFormat
from crimefighters.data.formats.checks import refuse_conflicting_duplicates
from crimefighters.data.schema import RAW_COLUMNS, RAW_WARD_COLUMNS, ParsedFile, conform
from crimefighters.data.text import (
    decode_text,
    first_line,
    read_csv_strings,
    sniff_delimiter,
    split_header,
)
from crimefighters.errors import DataError

_MONTH_COLUMN = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])$")

# id columns -> (major, minor, borough, ward, ward code, family)
_VARIANTS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "mps_borough_old": (("Borough", "Major Category", "Minor Category"), "mps_old", "borough"),
    "mps_borough_lookup": (("MajorText", "MinorText", "LookUp_BoroughName"), "mps_new", "borough"),
    "mps_borough_upper": (("MajorText", "MinorText", "BoroughName"), "mps_new", "borough"),
    "mps_borough_bocu": (("Group", "SubGroup", "BOCU"), "mps_new", "borough"),
    "mps_ward": (
        ("MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName"),
        "mps_new",
        "ward",
    ),
}

_ROLES = {
    "Borough": "borough",
    "LookUp_BoroughName": "borough",
    "BoroughName": "borough",
    "BOCU": "borough",
    "Major Category": "major",
    "MajorText": "major",
    "Group": "major",
    "Minor Category": "minor",
    "MinorText": "minor",
    "SubGroup": "minor",
    "WardName": "ward",
    "WardCode": "ward_code",
}


def _header(text: str) -> list[str]:
    return split_header(first_line(text))


def _detector(id_columns: tuple[str, ...]):
    def detect(header_line: str, path: Path) -> bool:
        cells = split_header(header_line)
        if tuple(cells[: len(id_columns)]) != id_columns:
            return False
        rest = cells[len(id_columns) :]
        return bool(rest) and _MONTH_COLUMN.match(rest[0]) is not None

    return detect


def _parser(format_name: str):
    id_columns, family, level = _VARIANTS[format_name]

    def parse(path: Path, data: bytes, config: Config) -> ParsedFile:
        text = decode_text(path, data)
        frame = read_csv_strings(path, text)
        month_columns = _month_columns(path, frame, id_columns)
        long = _unpivot(path, frame, id_columns, month_columns)
        release = max(_month(c) for c in month_columns)
        warnings = _retired_categories(long, id_columns)
        if level == "ward":
            wards = conform(long.with_columns(measure=pl.lit("recorded_crime")), RAW_WARD_COLUMNS)
            return ParsedFile(
                path=path,
                format=format_name,
                rows=pl.DataFrame(schema=RAW_COLUMNS),
                wards=wards,
                warnings=warnings,
                release=release,
            )
        rows = conform(
            long.with_columns(
                measure=pl.lit("recorded_crime"),
                family=pl.lit(family),
                denominator=pl.lit(None, dtype=pl.Float64),
                provisional_hint=pl.lit(None, dtype=pl.Boolean),
            ),
            RAW_COLUMNS,
        )
        return ParsedFile(
            path=path, format=format_name, rows=rows, warnings=warnings, release=release
        )

    return parse


def _month(column: str) -> date:
    return date(int(column[:4]), int(column[4:6]), 1)


def _month_columns(path: Path, frame: pl.DataFrame, id_columns: tuple[str, ...]) -> list[str]:
    columns = [c for c in frame.columns if c != "_line"]
    missing = [c for c in id_columns if c not in columns]
    if missing:
        raise DataError(path, f"missing column(s) {missing}", line=1)
    month_columns = columns[len(id_columns) :]
    bad = [c for c in month_columns if not _MONTH_COLUMN.match(c)]
    if bad:
        raise DataError(
            path, "expected month columns named YYYYMM after the id columns", line=1, column=bad[0]
        )
    if not month_columns:
        raise DataError(path, "no month columns (YYYYMM) after the id columns", line=1)
    months = sorted(_month(c) for c in month_columns)
    for earlier, later in itertools.pairwise(months):
        step = (later.year - earlier.year) * 12 + later.month - earlier.month
        if step != 1:
            raise DataError(
                path,
                f"month columns are not consecutive: {earlier:%Y%m} is followed by {later:%Y%m}",
                line=1,
            )
    return month_columns


def _unpivot(
    path: Path, frame: pl.DataFrame, id_columns: tuple[str, ...], month_columns: list[str]
) -> pl.DataFrame:
    renames = {c: _ROLES[c] for c in id_columns}
    frame = frame.rename({**renames, "_line": "line"}).with_columns(
        [pl.col(r).str.strip_chars() for r in renames.values()]
    )
    keys = list(renames.values())
    for key in keys:
        blank = frame.filter(pl.col(key) == "")
        if blank.height:
            original = next(c for c, r in renames.items() if r == key)
            raise DataError(path, "empty value", line=int(blank["line"][0]), column=original)
    long = frame.unpivot(
        index=[*keys, "line"], on=month_columns, variable_name="column", value_name="text"
    )
    long = long.with_columns(
        value=pl.col("text").str.strip_chars().cast(pl.Int64, strict=False),
    )
    bad = long.filter(pl.col("value").is_null() | (pl.col("value") < 0)).sort("line", "column")
    if bad.height:
        first = bad.row(0, named=True)
        text = first["text"]
        if text is None or text.strip() == "":
            problem = "empty count (every cell should be a whole number)"
        elif first["value"] is not None:
            problem = f"negative count {text!r}"
        else:
            problem = f"not a whole number: {text!r}"
        raise DataError(path, problem, line=int(first["line"]), column=first["column"])
    long = long.with_columns(
        month=pl.col("column").str.to_date("%Y%m"),
        value=pl.col("value").cast(pl.Float64),
    ).rename({"major": "category_group", "minor": "category", "borough": "borough_raw"})
    keys = [k for k in ("borough_raw", "ward_code", "category_group", "category") if k in long.columns]
    refuse_conflicting_duplicates(
        path,
        long,
        [*keys, "month"],
        pl.col("value"),
        lambda r: f"{r.get('ward_code') or r['borough_raw']}, {r['category_group']} / {r['category']}, {r['month']:%Y-%m}",
        line_column="line",
    )
    return long


def _retired_categories(long: pl.DataFrame, id_columns: tuple[str, ...]) -> list[str]:
    """Categories that are zero London-wide in almost every month: kept, but worth a warning.

    Discontinued categories linger as long runs of zero (``Fraud or Forgery / Counted per
    Victim`` after 2013, ``BURGLARY - RESIDENTIAL`` beside ``RES BURGLARY OF A HOME``).
    """
    monthly = long.group_by("category_group", "category", "month").agg(pl.col("value").sum())
    retired = (
        monthly.group_by("category_group", "category")
        .agg(
            (pl.col("value") == 0).sum().alias("zero"),
            pl.len().alias("months"),
            pl.col("value").sum().alias("total"),
        )
        .filter(pl.col("zero") >= 0.9 * pl.col("months"))
        .sort("category_group", "category")
    )
    return [
        f"category {row['category_group']} / {row['category']} is zero in {row['zero']} of "
        f"{row['months']} months (total {row['total']:,.0f}): retired or very rare"
        for row in retired.iter_rows(named=True)
    ]


def _looks_wide(header_line: str) -> tuple[str, list[str]] | None:
    """(delimiter, cells) when the header has id columns then YYYYMM month columns."""
    delimiter = sniff_delimiter(header_line)
    cells = split_header(header_line, delimiter)
    firsts = [i for i, c in enumerate(cells) if _MONTH_COLUMN.match(c)]
    if not firsts or firsts[0] == 0:
        return None
    return delimiter, cells


def _detect_unrecognised(header_line: str, path: Path) -> bool:
    return _looks_wide(header_line) is not None


def _refuse_unrecognised(path: Path, data: bytes, config: Config) -> ParsedFile:
    """A wide file that no layout above reads: say what was expected instead of 'unknown'."""
    delimiter, cells = _looks_wide(first_line(decode_text(path, data))) or (",", [])
    id_columns = cells[: next(i for i, c in enumerate(cells) if _MONTH_COLUMN.match(c))]
    if delimiter != "," and any(tuple(id_columns) == spec[0] for spec in _VARIANTS.values()):
        raise DataError(
            path,
            f"columns are separated by {delimiter!r}; MPS crime files are comma-separated",
            line=1,
        )
    expected = "; ".join(", ".join(spec[0]) for spec in _VARIANTS.values())
    raise DataError(
        path,
        f"month columns follow {', '.join(id_columns)}, which is not an MPS crime layout; "
        f"expected the id columns to be one of: {expected}",
        line=1,
    )


FORMATS = [
    FileFormat(
        name=name,
        description={
            "mps_borough_old": "MPS borough crime, old categories (Borough, Major Category, Minor Category)",
            "mps_borough_lookup": "MPS borough crime (MajorText, MinorText, LookUp_BoroughName)",
            "mps_borough_upper": "MPS borough crime, UPPERCASE (MajorText, MinorText, BoroughName)",
            "mps_borough_bocu": "MPS borough crime (Group, SubGroup, BOCU)",
            "mps_ward": "MPS ward crime (MajorText, MinorText, WardName, WardCode, LookUp_BoroughName)",
        }[name],
        detect=_detector(spec[0]),
        parse=_parser(name),
    )
    for name, spec in _VARIANTS.items()
]
# Last of this module's formats, so it only sees wide files none of the layouts claimed.
FORMATS.append(
    FileFormat(
        name="mps_wide_unrecognised",
        description="wide file with YYYYMM month columns but other id columns: refused, naming the expected ones",
        detect=_detect_unrecognised,
        parse=_refuse_unrecognised,
    )
)
