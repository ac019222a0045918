"""Reading a file's bytes as CSV text safely: encoding, BOM, binary junk, delimiter, gzip.

``read_table`` reads a delimited file with Polars' own CSV reader. The reader is fast but
forgiving: it fills a short row with empty cells and reads a blank line as a row of them. So
the file's physical lines are checked first, as one vectorised pass (field counts, quotes,
blank lines); only when that pass finds something wrong is the file read again with the csv
module, which finds the first bad line and words the one-line message.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from crimefighters.errors import DataError

# A gzip file that inflates beyond this is refused rather than filling memory.
MAX_INFLATED_BYTES = 4 * 1024**3


def read_bytes(path: Path) -> bytes:
    """The file's bytes, un-gzipped when it is a ``.gz``."""
    return inflate(path, read_raw(path))


def read_raw(path: Path) -> bytes:
    """The file's bytes as stored."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(path, f"cannot read the file: {exc.strerror or exc}") from None


def inflate(path: Path, data: bytes) -> bytes:
    """Bytes un-gzipped when they are gzip."""
    return _gunzip(path, data) if data[:2] == b"\x1f\x8b" else data


def _gunzip(path: Path, data: bytes) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as inflated:
            while chunk := inflated.read(64 * 1024 * 1024):
                size += len(chunk)
                if size > MAX_INFLATED_BYTES:
                    raise DataError(
                        path,
                        f"the gzip file inflates to more than {MAX_INFLATED_BYTES // 1024**3} GiB",
                    )
                chunks.append(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(path, f"damaged gzip file: {exc}") from None
    return b"".join(chunks)


def head_bytes(path: Path, size: int = 65536) -> bytes:
    """The first ``size`` bytes of the file's content (un-gzipped), without reading it all."""
    try:
        with path.open("rb") as handle:
            start = handle.read(2)
            handle.seek(0)
            if start == b"\x1f\x8b":
                with gzip.GzipFile(fileobj=handle) as inflated:
                    return inflated.read(size)
            return handle.read(size)
    except OSError as exc:
        raise DataError(path, f"cannot read the file: {exc.strerror or exc}") from None
    except (EOFError, zlib.error) as exc:
        raise DataError(path, f"damaged gzip file: {exc}") from None


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 text without a BOM; binary junk is refused with a clear message."""
    if _blank(data):
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
        bad = len(data.translate(None, bytes(range(0x80))))  # the bytes that are not ASCII
        if bad > len(data) * 0.05:
            raise DataError(path, "not a UTF-8 text file (it looks like binary data)") from None
        line = data[: exc.start].count(b"\n") + 1
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise DataError(path, "not valid UTF-8 text", line=line) from None
    return text


def _blank(data: bytes) -> bool:
    """Nothing but whitespace (without copying the data, as ``strip`` would)."""
    return not data or data.isspace()


def head_text(path: Path, data: bytes, size: int = 65536) -> str:
    """The text of the file's first lines (up to ``size`` bytes, whole lines), checked as
    ``decode_text`` checks a file."""
    if len(data) > size:
        cut = data.rfind(b"\n", 0, size)
        data = data[: cut + 1] if cut > 0 else data[:size]
    return decode_text(path, data)


def utf8_bytes(path: Path, data: bytes) -> bytes:
    """The file as UTF-8 bytes without a BOM (checked as ``decode_text`` checks it)."""
    if data.isascii() and not _blank(data) and b"\x00" not in data[:65536]:
        return data  # ASCII is UTF-8: nothing to decode
    text = decode_text(path, data)
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return text.encode("utf-8")  # a Windows-1252 export, re-encoded
    return data


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


def read_table(
    path: Path,
    data: bytes,
    delimiter: str = ",",
    types: dict[str, pl.DataType] | None = None,
    columns: list[str] | None = None,
) -> pl.DataFrame:
    """The file's columns (header names stripped) and ``_line``, the line each row is on.

    Columns are text, except those named in ``types``, which are read as that type when every
    cell parses (otherwise all are text, for the caller to find and word the first bad cell).
    ``columns`` limits what is read (the others are still checked for their field count).
    Rows are checked for the header's field count; a problem is reported at its line.
    """
    plan = plan_table(path, data, delimiter, columns)
    if plan.checked is not None:
        return plan.checked
    frame = _polars_read(plan.rows, delimiter, plan.names, plan.wanted, types or {}, skip=1)
    if frame is None or plan.delimiters != (len(plan.names) - 1) * frame.height:
        # a row with another number of fields, or a blank line (Polars reads one as a row of
        # empty cells): the csv module finds the first and words it
        return plan.slow()
    return frame.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias("_line"))


@dataclass
class TablePlan:
    """How to read a delimited file: either already read and checked (``checked``), or its
    rows to be read by Polars, valid only if Polars reads ``delimiters / (fields - 1)`` rows
    without refusing one (``scan`` gives them lazily, for many files in one query)."""

    path: Path
    body: bytes
    rows: bytes
    delimiter: str
    names: list[str]  # every header column (trailing empty ones under placeholder names)
    wanted: list[str]  # the columns to read
    delimiters: int = 0
    checked: pl.DataFrame | None = None

    def expected_rows(self) -> int | None:
        per_row = len(self.names) - 1
        return self.delimiters // per_row if self.delimiters % per_row == 0 else None

    def scan(self) -> pl.LazyFrame:
        """The rows, all text, lazily, with ``_line``; check their number against
        ``expected_rows`` (and read with ``slow`` when it differs or Polars refuses a row)."""
        if self.checked is not None:
            return self.checked.lazy()
        return (
            pl.scan_csv(
                self.rows,
                has_header=False,
                skip_rows=1,
                separator=self.delimiter,
                schema={n: pl.String for n in self.names},
                empty_string_is_null=False,
                quote_char='"',
            )
            .select(self.wanted)
            .with_row_index("_line", offset=2)
            .with_columns(pl.col("_line").cast(pl.Int64))
        )

    def slow(self) -> pl.DataFrame:
        """Read with the csv module: the frame, or the one-line refusal of the first bad row."""
        frame = _read_with_csv_module(self.path, self.body.decode("utf-8"), self.delimiter)
        return frame.select([c for c in frame.columns if c in self.wanted or c == "_line"])


def plan_table(
    path: Path, data: bytes, delimiter: str = ",", columns: list[str] | None = None
) -> TablePlan:
    """Check a file's header and count its delimiters (``read_table``, first half)."""
    body = utf8_bytes(path, data)
    newline = body.find(b"\n")
    header_text = body[: newline if newline >= 0 else len(body)].decode("utf-8").rstrip("\r")
    try:
        header = next(csv.reader([header_text], delimiter=delimiter))
    except (csv.Error, StopIteration) as exc:
        raise DataError(path, f"cannot parse the header: {exc}", line=1) from None
    width = len(header)
    # Trailing empty columns (",,,," in some Excel exports) are tolerated.
    while width > 1 and header[width - 1].strip() == "":
        width -= 1
    names = [h.strip() for h in header[:width]]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise DataError(path, f"repeated column names in the header: {dupes}", line=1)
    # the whole text (header skipped when read), so the rows are never copied
    whole = _without_trailing_blank_lines(body)
    placeholder = [f"\x00extra{i}" for i in range(width, len(header))]
    plan = TablePlan(
        path=path,
        body=body,
        rows=whole,
        delimiter=delimiter,
        names=names + placeholder,
        wanted=[n for n in names if columns is None or n in columns],
    )
    has_rows = newline >= 0 and len(whole) > newline + 1
    counted = _count_rows(whole, delimiter, len(header)) if has_rows else None
    if counted is None:
        rows = body[newline + 1 :] if newline >= 0 else b""
        plan.checked = _read_line_by_line(
            path, body, rows, delimiter, plan.names, plan.wanted, None, columns
        )
    elif counted == 0:
        plan.checked = plan.slow()
    else:
        plan.delimiters = counted - (len(header) - 1)  # less the header's own
    return plan


def _without_trailing_blank_lines(rows: bytes) -> bytes:
    """The rows without blank lines after the last one (editors often leave some)."""
    end = len(rows)
    while end and rows[end - 1 : end] in (b" ", b"\t", b"\r", b"\n"):
        end -= 1
    cut = rows.find(b"\n", end)
    return rows if cut < 0 or cut + 1 == len(rows) else rows[: cut + 1]


# At most this many quoted lines are checked one by one before the whole file is split into
# lines instead.
_QUOTED_LINES_CHECKED = 200_000


def _quoted_lines(rows: bytes) -> list[bytes] | None:
    """The lines holding a quote (found with ``find``, without splitting the text), or None
    when there are more than ``_QUOTED_LINES_CHECKED``."""
    lines: list[bytes] = []
    at = rows.find(b'"')
    while at >= 0:
        start = rows.rfind(b"\n", 0, at) + 1
        end = rows.find(b"\n", at)
        end = len(rows) if end < 0 else end
        lines.append(rows[start:end])
        if len(lines) > _QUOTED_LINES_CHECKED:
            return None
        at = rows.find(b'"', end)
    return lines


def _count_rows(rows: bytes, delimiter: str, fields: int) -> int | None:
    """The delimiters that separate fields (those inside quoted fields left out) in the text,
    header included, or None
    when counting cannot vouch for the rows (one column, many quoted fields) and the lines
    must be checked one by one; 0 when a quoted line is irregular.

    Polars refuses a row with more fields than the header and reads a blank line as a row, so
    when the delimiters come to exactly (fields - 1) a row read, no row is short or blank.
    """
    if _blank(rows) or fields < 2:
        return None
    surplus = 0  # delimiters inside quoted fields
    quoted = _quoted_lines(rows)
    if quoted is None:
        return None
    if quoted:
        regular = re.compile(_regular_row(delimiter))
        for raw in quoted:
            line = raw.decode("utf-8").rstrip("\r")
            if not regular.match(line):
                return 0  # a quote the fast path cannot vouch for (e.g. never closed)
            outside = re.sub(r'"(?:[^"]|"")*"', "", line).count(delimiter)
            if outside != fields - 1:
                return 0
            surplus += line.count(delimiter) - outside
    if not _every_line_has(rows, delimiter, fields - 1):
        return 0
    return rows.count(delimiter.encode()) - surplus


def _every_line_has(rows: bytes, delimiter: str, count: int, chunk: int = 1 << 23) -> bool:
    """Every line without a quote holds exactly ``count`` delimiters.

    A total alone can balance out: a row with a field too many and another with one too few
    add up to the right number of delimiters, and Polars, reading only some columns, would
    shift the cells of both without a word. Counted line by line with NumPy over chunks of
    about 8 MB (lines with quotes are checked one by one by the caller).
    """
    import numpy as np

    data = np.frombuffer(rows, dtype=np.uint8)
    d, newline, quote = ord(delimiter), ord("\n"), ord('"')
    start, size = 0, len(data)
    while start < size:
        end = min(size, start + chunk)
        if end < size:
            found = rows.find(b"\n", end)
            end = size if found < 0 else found + 1
        part = data[start:end]
        starts = np.concatenate(([0], np.flatnonzero(part == newline) + 1))
        starts = starts[starts < len(part)]
        delimiters = np.add.reduceat(part == d, starts, dtype=np.int32)
        quoted = np.add.reduceat(part == quote, starts, dtype=np.int32) > 0
        if np.any((delimiters != count) & ~quoted):
            return False
        start = end
    return True


def _read_line_by_line(
    path: Path,
    body: bytes,
    rows: bytes,
    delimiter: str,
    all_names: list[str],
    wanted: list[str],
    types: dict[str, pl.DataType] | None,
    columns: list[str] | None,
) -> pl.DataFrame:
    """The same check, line by line (as a vectorised pass over the file split into lines)."""
    lines = _physical_lines(body, delimiter)
    body_lines = lines.filter((pl.col("_line") > 1) & ~pl.col("blank"))
    if body_lines.height == 0:
        # no rows, or rows the fast check cannot vouch for: the csv module decides
        return _select(_read_with_csv_module(path, body.decode("utf-8"), delimiter), columns)
    well_formed = body_lines.select(
        ((pl.col("fields") == len(all_names)) & pl.col("regular")).all()
    ).item()
    if not well_formed:
        return _select(_read_with_csv_module(path, body.decode("utf-8"), delimiter), columns)
    if lines.filter(pl.col("_line") > 1).height != body_lines.height:
        # blank lines inside the file: read only the others
        rows = body_lines["text"].str.join("\n").item().encode("utf-8")
    frame = _polars_read(rows, delimiter, all_names, wanted, types or {})
    if frame is None or frame.height != body_lines.height:
        return _select(_read_with_csv_module(path, body.decode("utf-8"), delimiter), columns)
    return frame.with_columns(body_lines["_line"])


def _select(frame: pl.DataFrame, columns: list[str] | None) -> pl.DataFrame:
    if columns is None:
        return frame
    return frame.select([c for c in frame.columns if c in columns or c == "_line"])


def _polars_read(
    rows: bytes,
    delimiter: str,
    names: list[str],
    wanted: list[str],
    types: dict[str, pl.DataType],
    skip: int = 0,
) -> pl.DataFrame | None:
    def read(typed: bool) -> pl.DataFrame:
        schema = {n: (types.get(n, pl.String) if typed else pl.String) for n in names}
        return pl.read_csv(
            rows,
            has_header=False,
            skip_rows=skip,
            separator=delimiter,
            schema=schema,
            columns=[names.index(n) for n in wanted],
            empty_string_is_null=False,
            quote_char='"',
        )

    try:
        if types:
            try:
                return read(typed=True)
            except pl.exceptions.ComputeError:
                pass  # a cell that does not parse: the caller finds and words it
        return read(typed=False)
    except pl.exceptions.PolarsError:
        return None


# A row the fast check vouches for: fields separated by the delimiter, each either quoted
# (doubled quotes inside) or free of quotes. Anything else goes to the csv module.
def _regular_row(delimiter: str) -> str:
    d = re.escape(delimiter)
    field = rf'(?:"(?:[^"]|"")*"|[^"{d}]*)'
    return rf"^{field}(?:{d}{field})*$"


def _physical_lines(body: bytes, delimiter: str) -> pl.DataFrame:
    """One row per line: its number, text, field count, whether it is blank or irregular."""
    text = pl.Series("text", [body], dtype=pl.Binary).cast(pl.String)
    lines = text.str.split("\n").explode().str.strip_suffix("\r").to_frame()
    if lines.height and lines["text"][-1] == "":
        lines = lines.head(lines.height - 1)  # the piece after the final line break
    quoted = pl.col("text").str.contains('"', literal=True)
    unquoted_fields = pl.col("text").str.count_matches(delimiter, literal=True) + 1
    quoted_fields = (
        pl.col("text")
        .str.replace_all(r'"(?:[^"]|"")*"', "")
        .str.count_matches(delimiter, literal=True)
        + 1
    )
    return lines.with_row_index("_line", offset=1).select(
        pl.col("_line").cast(pl.Int64),
        "text",
        blank=(pl.col("text").str.strip_chars() == "")
        & ~pl.col("text").str.contains(delimiter, literal=True),
        fields=pl.when(quoted).then(quoted_fields).otherwise(unquoted_fields),
        regular=~quoted | pl.col("text").str.contains(_regular_row(delimiter)),
    )


def _short_row(row: list[str], width: int, delimiter: str) -> str:
    fields = f"{len(row)} field{'' if len(row) == 1 else 's'} where the header has {width}"
    if any("\n" in cell for cell in row):
        return f'a quote (") is opened and never closed: {fields}'
    others = [d for d in (",", ";", "\t") if d != delimiter and any(d in cell for cell in row)]
    if others:
        shown = "tab" if others[0] == "\t" else repr(others[0])
        return f"{fields} (wrong delimiter? this row uses {shown}, the header {delimiter!r})"
    return f"truncated row: {fields}"


def _malformed(error: csv.Error, delimiter: str) -> str:
    """The csv module's complaint, with what it means for a file someone has to fix."""
    if "unexpected end of data" in str(error):
        return 'a quote (") is opened and never closed: the rest of the file is one field'
    if "expected after" in str(error):
        return (
            f"malformed CSV: a quoted field is followed by text before the next "
            f"{delimiter!r} (expected {delimiter!r} or the end of the line after a closing quote)"
        )
    return f"malformed CSV: {error}"


def _read_with_csv_module(path: Path, text: str, delimiter: str = ",") -> pl.DataFrame:
    """Every column as text, rows checked for the header's field count, with the csv module.

    The slow path: used only when the vectorised line check finds something it cannot vouch
    for, so that the first bad line is found and worded exactly.
    """
    # strict: text after a closing quote ("a, b"x) is refused, not glued on to the field
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(path, "the file is empty") from None
    except csv.Error as exc:
        raise DataError(path, f"cannot parse the header: {exc}", line=1) from None
    width = len(header)
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
            if len(row) > len(header):
                # even with empty extra cells: every cell after the extra one has moved
                raise DataError(
                    path,
                    f"{len(row)} fields where the header has {len(header)} "
                    f"(wrong delimiter or an unquoted comma?)",
                    line=index,
                )
            rows.append(row[:width])
            lines.append(index)
    except csv.Error as exc:
        # the line the bad row starts on: where a quote that runs on was opened
        raise DataError(path, _malformed(exc, delimiter), line=end_of_previous + 1) from None
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
