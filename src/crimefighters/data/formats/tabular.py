"""Reading CSV, Parquet and XLSX tables with Polars' native readers, for the newer formats.

Published tables arrive as CSV, as XLSX from the London Datastore, or as Parquet conversions.
``binary_header`` gives a Parquet or XLSX file's column names as a CSV header line, so those
files are detected by header like every other format. ``read_table`` returns each table
(one per XLSX sheet whose header the caller accepts) with a ``_line`` column: the line of a
CSV (one record per line), or the row number of a Parquet file or an XLSX sheet counting the
header as row 1, which is the number a spreadsheet shows.

Checks are whole-column expressions; where one fails, the first offending row is reported
(``checks.first_bad``), so a bad file costs one vectorised pass, not a Python loop per row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from crimefighters.data.formats.checks import first_bad
from crimefighters.data.text import read_table as read_text_table
from crimefighters.errors import DataError

PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"  # XLSX is a zip archive


@dataclass(frozen=True)
class Table:
    where: Path | str  # the file, or "file (sheet 'X')" for a workbook with several sheets
    frame: pl.DataFrame  # the table's columns (native types) and _line


def binary_header(path: Path, head: bytes) -> str | None:
    """The column names of a Parquet file or an XLSX workbook as a CSV line; None for text.

    ``head`` is the start of the file's content; the names are read from the file itself (a
    Parquet file's footer, a workbook's header rows), never its whole table."""
    if head[:4] not in (PARQUET_MAGIC, ZIP_MAGIC):
        return None
    source = _whole(path)
    if head[:4] == PARQUET_MAGIC:
        return _csv_line(list(_parquet_schema(path, source)))
    if head[:4] == ZIP_MAGIC:
        for _, names in _xlsx_headers(path, source):
            if sum(1 for n in names if n) >= 3:
                return _csv_line(names)
        raise DataError(
            path, "a workbook with no sheet of data (no header row of 3 or more columns)", line=1
        )
    return None


def _whole(path: Path) -> Path | bytes:
    """What Polars and fastexcel read the file from: the path, or a gzipped file's content."""
    try:
        with path.open("rb") as handle:
            gzipped = handle.read(2) == b"\x1f\x8b"
    except OSError as exc:
        raise DataError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if gzipped:
        from crimefighters.data.text import read_bytes

        return read_bytes(path)
    return path


def snake(name: str) -> str:
    """'Crime Subtype' -> 'crime_subtype', 'FY_FYIndex' -> 'fy_fyindex': one spelling per column."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().casefold()).strip("_")


def read_table(path: Path, data: bytes, accept: Callable[[list[str]], bool]) -> list[Table]:
    """Every table in the file whose (snake-cased) header ``accept`` takes."""
    if data[:4] == PARQUET_MAGIC:
        try:
            frame = pl.read_parquet(io.BytesIO(data))
        except pl.exceptions.PolarsError as exc:
            raise DataError(path, f"damaged Parquet file: {_first_line(exc)}") from None
        return [Table(path, _numbered(frame, first=2))]
    if data[:4] == ZIP_MAGIC:
        return _read_xlsx(path, data, accept)
    return [Table(path, _read_csv(path, data))]


def _read_csv(path: Path, data: bytes) -> pl.DataFrame:
    """Every column as text, each row checked for the header's field count (a short row,
    a blank line or an unclosed quote is refused at its line), with ``_line``."""
    frame = read_text_table(path, data)
    if frame.height == 0:
        raise DataError(path, "the file has a header but no data rows")
    return frame


def _read_xlsx(path: Path, data: bytes, accept: Callable[[list[str]], bool]) -> list[Table]:
    sheets = [
        name for name, header in _xlsx_headers(path, data) if accept([snake(h) for h in header])
    ]
    if not sheets:
        raise DataError(path, "no sheet in this workbook has the expected header", line=1)
    tables = []
    for name in sheets:
        try:
            frame = pl.read_excel(io.BytesIO(data), sheet_name=name, engine="calamine")
        except Exception as exc:  # fastexcel raises its own exception types
            raise DataError(path, f"cannot read sheet {name!r}: {_first_line(exc)}") from None
        where = f"{path} (sheet {name!r})" if len(sheets) > 1 else path
        tables.append(Table(where, _numbered(frame, first=2)))
    return tables


def _xlsx_headers(path: Path, data: Path | bytes) -> list[tuple[str, list[str]]]:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(data) if isinstance(data, Path) else data)
        headers = []
        for name in reader.sheet_names:
            sheet = reader.load_sheet(name, n_rows=0)
            headers.append((name, [str(c.name) for c in sheet.available_columns()]))
    except Exception as exc:  # fastexcel raises its own exception types
        raise DataError(path, f"not a readable XLSX workbook: {_first_line(exc)}") from None
    return headers


def _parquet_schema(path: Path, data: Path | bytes) -> pl.Schema:
    try:
        return pl.scan_parquet(
            data if isinstance(data, Path) else io.BytesIO(data)
        ).collect_schema()
    except pl.exceptions.PolarsError as exc:
        raise DataError(path, f"damaged Parquet file: {_first_line(exc)}") from None


def _numbered(frame: pl.DataFrame, first: int) -> pl.DataFrame:
    return frame.with_row_index("_line", offset=first).with_columns(pl.col("_line").cast(pl.Int64))


def _csv_line(names: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(names)
    return buffer.getvalue()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def refuse_first(
    where: Path | str,
    frame: pl.DataFrame,
    condition: pl.Expr,
    shown: str,
    column: str,
    problem: str,
) -> None:
    """Refuse the table at its first row where ``condition`` holds, naming the file's
    ``column`` and quoting the cell ``shown`` (the text as written, for a parsed column)."""
    first_bad(where, frame, condition, column, problem, shown=shown)


def as_month(column: str, dtype: pl.DataType) -> pl.Expr:
    """First of the month from a date, a datetime, or text (YYYY-MM-DD[ time], DD/MM/YYYY, YYYY-MM)."""
    col = pl.col(column)
    if dtype == pl.Date:
        return col.dt.truncate("1mo")
    if isinstance(dtype, pl.Datetime):
        return col.dt.date().dt.truncate("1mo")
    text = col.cast(pl.String).str.strip_chars()
    return pl.coalesce(
        text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
        text.str.to_date("%d/%m/%Y", strict=False),
        text.str.to_date("%Y-%m", strict=False),
    ).dt.truncate("1mo")


def as_date(column: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(column)
    if dtype == pl.Date:
        return col
    if isinstance(dtype, pl.Datetime):
        return col.dt.date()
    text = col.cast(pl.String).str.strip_chars()
    return pl.coalesce(
        text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
        text.str.to_date("%d/%m/%Y", strict=False),
    )


def as_count(column: str, dtype: pl.DataType) -> pl.Expr:
    """A whole number >= 0, or null where the cell is not one (text, fraction, negative)."""
    col = pl.col(column)
    if dtype.is_integer():
        number = col.cast(pl.Int64)
    elif dtype.is_float():
        number = pl.when(col == col.round(0)).then(col).cast(pl.Int64, strict=False)
    else:
        text = col.cast(pl.String).str.strip_chars().str.replace_all(",", "")
        number = pl.coalesce(
            text.cast(pl.Int64, strict=False),
            pl.when(
                text.cast(pl.Float64, strict=False) == text.cast(pl.Float64, strict=False).round(0)
            )
            .then(text.cast(pl.Float64, strict=False))
            .cast(pl.Int64, strict=False),
        )
    return pl.when(number >= 0).then(number)


def as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars().fill_null("")


def one_spelling(frame: pl.DataFrame, config, column: str = "borough_raw") -> pl.DataFrame:
    """Every spelling of a borough or pseudo-borough turned into its configured name, before
    rows are added up, so 'Brent' and 'Brent ' are one borough (unknown names are left for the
    store to refuse with their line)."""
    from crimefighters.data.names import BoroughResolver

    lookup = BoroughResolver(config).table(frame[column].unique().to_list())
    mapping = {
        r["borough_raw"]: r["borough"]
        for r in lookup.iter_rows(named=True)
        if r["borough"] is not None
    }
    return frame.with_columns(pl.col(column).replace(mapping))


def canonical_boroughs(config) -> list[str]:
    return [b.name for b in config.geography.boroughs]


def fill_zeros(
    counts: pl.DataFrame, series: list[str], config, borough: str = "borough_raw"
) -> tuple[pl.DataFrame, int]:
    """Publishers leave zero rows out. Write them: for every configured borough in the file,
    each series (``series`` columns) gets every month from its first to its last in the file,
    0 where the file has no row. ``counts`` has ``month``, ``value`` and ``line``; rows of
    pseudo-boroughs are kept as they are. Returns the frame and how many zeros were written."""
    canonical = set(canonical_boroughs(config))
    places = [n for n in counts[borough].unique().to_list() if n in canonical]
    spans = counts.group_by(series).agg(first=pl.col("month").min(), last=pl.col("month").max())
    grid = (
        spans.with_columns(month=pl.date_ranges("first", "last", interval="1mo"))
        .explode("month")
        .drop("first", "last")
        .join(pl.DataFrame({borough: places}, schema={borough: pl.String}), how="cross")
    )
    keys = [borough, "month", *series]
    filled = grid.join(counts, on=keys, how="left")
    zeros = filled.filter(pl.col("value").is_null()).height
    filled = filled.with_columns(pl.col("value").fill_null(0)).select(counts.columns)
    others = counts.filter(~pl.col(borough).is_in(places))
    return pl.concat([filled, others.select(counts.columns)], how="vertical_relaxed"), zeros
