"""Reading a file's bytes as CSV text safely: encoding, BOM, binary junk, delimiter, gzip."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from pathlib import Path

import polars as pl

from crimefighters.errors import DataError


def read_bytes(path: Path) -> bytes:
    """The file's bytes, un-gzipped when it is a ``.gz``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(path, f"damaged gzip file: {exc}") from None
    return data


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 text without a BOM; binary junk is refused with a clear message."""
    if not data.strip():
        raise DataError(path, "the file is empty")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise DataError(path, "UTF-16 text; save the file as UTF-8 (CSV UTF-8 in Excel)")
    if b"\x00" in data[:65536]:
        raise DataError(path, "not a text file (it contains binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Excel exports are sometimes Windows-1252; a few stray bytes is not worth refusing
        # when the rest is clearly text, but mostly-undecodable content is junk.
        bad = sum(1 for b in data if b >= 0x80)
        if bad > len(data) * 0.05:
            raise DataError(path, "not a UTF-8 text file (it looks like binary data)") from None
        line = data[: exc.start].count(b"\n") + 1
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise DataError(path, "not valid UTF-8 text", line=line) from None
    return text


def meta_sidecar(path: Path) -> Path:
    """Where a file's metadata sidecar lives: ``name.json`` -> ``name.meta.json``.

    Some sources carry no borough (data.police.uk API responses); the fetch step writes it
    beside the file. The sidecar's bytes are part of the parse cache key.
    """
    name = path.name
    for suffix in (".json.gz", ".csv.gz", ".json", ".csv", ".gz"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(f"{name}.meta.json")


def first_line(text: str) -> str:
    return text.split("\n", 1)[0].rstrip("\r")


def sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def split_header(header: str, delimiter: str = ",") -> list[str]:
    return [cell.strip() for cell in next(csv.reader([header], delimiter=delimiter))]


def _short_row(row: list[str], width: int, delimiter: str) -> str:
    fields = f"{len(row)} field{'' if len(row) == 1 else 's'} where the header has {width}"
    if any("\n" in cell for cell in row):
        return f'a quote (") is opened and never closed: {fields}'
    others = [d for d in (",", ";", "\t") if d != delimiter and any(d in cell for cell in row)]
    if others:
        shown = "tab" if others[0] == "\t" else repr(others[0])
        return f"{fields} (wrong delimiter? this row uses {shown}, the header {delimiter!r})"
    return f"truncated row: {fields}"


def read_csv_strings(path: Path, text: str, delimiter: str = ",") -> pl.DataFrame:
    """Every column as text, rows checked for the header's field count.

    Polars fills short rows with nulls silently; a truncated row must be an error instead, so
    field counts are checked with the csv module first (fast enough for these file sizes).
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(path, "the file is empty") from None
    except csv.Error as exc:
        raise DataError(path, f"cannot parse the header: {exc}", line=1) from None
    width = len(header)
    # Trailing empty columns (",,,," in some Excel exports) are tolerated.
    while width > 1 and header[width - 1].strip() == "":
        width -= 1
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        end_of_previous = reader.line_num
        for row in reader:
            # the physical line the row starts on (a quoted field can span lines)
            index, end_of_previous = end_of_previous + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) < width:
                raise DataError(path, _short_row(row, width, delimiter), line=index)
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
                raise DataError(
                    path,
                    f"{len(row)} fields where the header has {len(header)} "
                    f"(wrong delimiter or an unquoted comma?)",
                    line=index,
                )
            rows.append(row[:width])
            lines.append(index)
    except csv.Error as exc:
        raise DataError(path, f"malformed CSV: {exc}", line=reader.line_num) from None
    names = [h.strip() for h in header[:width]]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise DataError(path, f"repeated column names in the header: {dupes}", line=1)
    if not rows:
        raise DataError(path, "the file has a header but no data rows")
    columns = list(zip(*rows, strict=True))
    frame = pl.DataFrame(
        {name: list(col) for name, col in zip(names, columns, strict=True)},
        schema={name: pl.String for name in names},
    )
    return frame.with_columns(pl.Series("_line", lines, dtype=pl.Int64))
