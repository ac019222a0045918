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
from crimefighters.data.formats.checks import current_month, incomplete_months
from crimefighters.data.names import (
    canonical_categories,
    refuse_control_characters,
    resolve_boroughs,
)
from crimefighters.data.schema import (
    CANONICAL_COLUMNS,
    CANONICAL_WARD_COLUMNS,
    ParsedFile,
    conform,
)
from crimefighters.data.text import (
    first_line,
    head_text,
    read_table,
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

# What each id column holds, as a column of the parsed frame.
_ROLES = {
    "Borough": "borough_raw",
    "LookUp_BoroughName": "borough_raw",
    "BoroughName": "borough_raw",
    "BOCU": "borough_raw",
    "Major Category": "category_group",
    "MajorText": "category_group",
    "Group": "category_group",
    "Minor Category": "category",
    "MinorText": "category",
    "SubGroup": "category",
    "WardName": "ward",
    "WardCode": "ward_code",
}


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
        header = split_header(first_line(head_text(path, data)))
        counts = {c: pl.Int64 for c in header[len(id_columns) :] if _MONTH_COLUMN.match(c)}
        frame = read_table(path, data, types=counts)
        month_columns = _month_columns(path, frame.columns, id_columns)
        frame = _id_columns(path, frame, id_columns)
        frame = _counts(path, frame, month_columns)
        warnings = _retired_categories(frame, month_columns)
        months = {column: _month(column) for column in month_columns}
        totals = pl.DataFrame(
            {"month": list(months.values()), "total": frame.select(month_columns).sum().row(0)},
            schema={"month": pl.Date, "total": pl.Float64},
        )
        stubs, stub_warnings = incomplete_months(totals)
        warnings += stub_warnings
        kept = [c for c in month_columns if months[c] not in stubs]
        frame, set_aside = resolve_boroughs(
            path,
            frame,
            config,
            rows=pl.len() * len(kept),
            total=pl.sum_horizontal(kept).sum() if kept else pl.lit(0),
            line_column="_line",
        )
        frame = canonical_categories(frame, config)
        keys = ["borough", "ward_code", "category_group", "category"]
        keys = [k for k in keys if k in frame.columns]
        frame = _without_repeats(path, frame, keys, kept)
        parsed = ParsedFile(
            path=path,
            format=format_name,
            rows=pl.DataFrame(schema=CANONICAL_COLUMNS),
            warnings=warnings,
            release=max(months.values()),
            period_start=min(months.values()),
            canonical=True,
            set_aside=set_aside,
        )
        dates = [months[c] for c in kept]
        if level == "ward":
            by_ward = ["borough", "ward", "ward_code", "category_group", "category"]
            parsed.wards = conform(
                _long(frame.sort(by_ward), by_ward, kept, dates).with_columns(
                    measure=pl.lit("recorded_crime")
                ),
                CANONICAL_WARD_COLUMNS,
            )
            # Ward files also give borough figures: the sums of their wards.
            by_borough = ["borough", "category_group", "category"]
            frame = frame.group_by(by_borough).agg(pl.col(kept).sum())
            parsed.kind = "area_sums"
        else:
            by_borough = ["borough", "category_group", "category"]
        parsed.rows = conform(
            _long(frame.sort(by_borough), by_borough, kept, dates).with_columns(
                measure=pl.lit("recorded_crime"),
                family=pl.lit(family),
                denominator=pl.lit(None, dtype=pl.Float64),
                provisional_hint=pl.lit(None, dtype=pl.Boolean),
            ),
            CANONICAL_COLUMNS,
        )
        return parsed

    return parse


def _month(column: str) -> date:
    return date(int(column[:4]), int(column[4:6]), 1)


def _month_columns(path: Path, columns: list[str], id_columns: tuple[str, ...]) -> list[str]:
    """The month columns, checked: YYYYMM names, in order, one month apart, none in the future."""
    columns = [c for c in columns if c != "_line"]
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
    for earlier, later in itertools.pairwise(month_columns):
        step = (int(later[:4]) - int(earlier[:4])) * 12 + int(later[4:]) - int(earlier[4:])
        if step <= 0:
            raise DataError(
                path,
                f"month columns are out of order: {earlier} is followed by {later} (a month "
                f"column's label must match its place)",
                line=1,
                column=later,
            )
        if step != 1:
            raise DataError(
                path,
                f"month columns are not consecutive: {earlier} is followed by {later}",
                line=1,
            )
    limit = current_month()
    future = [c for c in month_columns if _month(c) > limit]
    if future:
        raise DataError(
            path,
            f"month column {future[0]} is after the current month ({limit:%Y-%m})",
            line=1,
            column=future[0],
        )
    return month_columns


def _id_columns(path: Path, frame: pl.DataFrame, id_columns: tuple[str, ...]) -> pl.DataFrame:
    """Id columns renamed to what they hold, stripped; blank or control characters refused."""
    renames = {c: _ROLES[c] for c in id_columns}
    frame = frame.rename(renames).with_columns(
        [pl.col(r).str.strip_chars() for r in renames.values()]
    )
    refuse_control_characters(
        path, frame, {role: column for column, role in renames.items()}, line_column="_line"
    )
    for column, role in renames.items():
        blank = frame.filter(pl.col(role) == "")
        if blank.height:
            raise DataError(path, "empty value", line=int(blank["_line"][0]), column=column)
    # the names as written, for messages about a row
    return frame.with_columns(
        raw_borough=pl.col("borough_raw"),
        raw_group=pl.col("category_group"),
        raw_category=pl.col("category"),
    )


def _counts(path: Path, frame: pl.DataFrame, month_columns: list[str]) -> pl.DataFrame:
    """Every month cell a whole number >= 0; the first bad cell (by line, then month) refused."""
    if all(frame.schema[c] == pl.Int64 for c in month_columns):
        counts = frame
    else:
        counts = frame.with_columns(
            pl.col(c).cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False).alias(c)
            for c in month_columns
        )
    bad_row = pl.any_horizontal((pl.col(c).is_null() | (pl.col(c) < 0)) for c in month_columns)
    bad = counts.filter(bad_row)
    if bad.height == 0:
        return counts
    line = int(bad["_line"].min())
    parsed = counts.filter(pl.col("_line") == line).row(0, named=True)
    written = frame.filter(pl.col("_line") == line).row(0, named=True)
    for column in month_columns:
        value = parsed[column]
        if value is not None and value >= 0:
            continue
        text = written[column]
        text = None if text is None else str(text)
        if text is None or text.strip() == "":
            problem = "empty count (every cell should be a whole number)"
        elif value is not None:
            problem = f"negative count {text!r}"
        else:
            problem = f"not a whole number: {text!r}"
        raise DataError(path, problem, line=line, column=column)
    raise AssertionError("a bad row without a bad cell")  # pragma: no cover


def _without_repeats(
    path: Path, frame: pl.DataFrame, keys: list[str], months: list[str]
) -> pl.DataFrame:
    """One row per canonical key: an identical repeat counts once; the same key with different
    counts is refused at the second line, naming the first (and how it was spelled there, when
    the spellings differ: ``Barking & Dagenham`` and ``Barking and Dagenham`` are one borough).
    """
    repeated = frame.filter(pl.struct(keys).is_duplicated())
    if repeated.height == 0:
        return frame
    first_seen: dict[tuple, dict] = {}
    drop: list[int] = []
    for row in repeated.sort("_line").iter_rows(named=True):
        key = tuple(row[k] for k in keys)
        first = first_seen.setdefault(key, row)
        if first is row:
            continue
        differing = [m for m in months if row[m] != first[m]]
        if not differing:
            drop.append(row["_line"])
            continue
        spelled = _describe(first)
        also = f"also on line {first['_line']}"
        if spelled != _describe(row):
            also += f", as {spelled!r}"
        raise DataError(
            path,
            f"duplicate row for {_describe(row)}, {differing[0][:4]}-{differing[0][4:]} with "
            f"different values ({also})",
            line=int(row["_line"]),
        )
    return frame.filter(~pl.col("_line").is_in(drop))


def _describe(row: dict) -> str:
    place = row.get("ward_code") or row["raw_borough"]
    return f"{place}, {row['raw_group']} / {row['raw_category']}"


def _retired_categories(frame: pl.DataFrame, month_columns: list[str]) -> list[str]:
    """Categories that are zero London-wide in almost every month: kept, but worth a warning.

    Discontinued categories linger as long runs of zero (``Fraud or Forgery / Counted per
    Victim`` after 2013, ``BURGLARY - RESIDENTIAL`` beside ``RES BURGLARY OF A HOME``).
    """
    monthly = frame.group_by("raw_group", "raw_category").agg(pl.col(month_columns).sum())
    retired = (
        monthly.select(
            "raw_group",
            "raw_category",
            zero=pl.sum_horizontal([(pl.col(c) == 0).cast(pl.Int64) for c in month_columns]),
            months=pl.lit(len(month_columns)),
            total=pl.sum_horizontal(month_columns),
        )
        .filter(pl.col("zero") >= 0.9 * pl.col("months"))
        .sort("raw_group", "raw_category")
    )
    return [
        f"category {row['raw_group']} / {row['raw_category']} is zero in {row['zero']} of "
        f"{row['months']} months (total {row['total']:,.0f}): retired or very rare"
        for row in retired.iter_rows(named=True)
    ]


def _long(
    frame: pl.DataFrame, keys: list[str], months: list[str], dates: list[date]
) -> pl.DataFrame:
    """One row per key and month, in the frame's row order then month order.

    Built by gathering: row i of the result is wide row i // m at month i % m. (Exploding
    lists, or unpivoting and sorting back, took 3 to 10 times as long at 24M rows.)"""
    if not months:
        return (
            frame.select(keys)
            .clear()
            .with_columns(value=pl.lit(None, dtype=pl.Float64), month=pl.lit(None, dtype=pl.Date))
        )
    import numpy as np  # here, not at import: formats are imported to detect a header

    n, m = frame.height, len(months)
    index = np.uint64 if n * m >= 2**32 else np.uint32  # 4 bytes a row where they suffice
    row = np.repeat(np.arange(n, dtype=index), m)
    column = np.tile(np.arange(m, dtype=index), n)
    # the months unpivoted lie month by month: cell (row, column) is at column * n + row
    cells = frame.select(months).unpivot().get_column("value").cast(pl.Float64)
    cells = cells.gather(pl.Series(column * index(n) + row))
    month = pl.Series(dates, dtype=pl.Date).gather(pl.Series(column))
    del column
    return frame.select(keys).gather(pl.Series(row)).with_columns(value=cells, month=month)


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
    delimiter, cells = _looks_wide(first_line(head_text(path, data))) or (",", [])
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
