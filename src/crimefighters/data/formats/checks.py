"""Row checks every parser shares: the first offending row, and conflicting duplicate keys.

Both raise ``DataError`` naming the file, the line and (for ``first_bad``) the column, so a
stranger can open the file at the right place.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from crimefighters.errors import DataError


def first_bad(
    path: Path | str,
    frame: pl.DataFrame,
    condition: pl.Expr,
    column: str,
    problem: str,
    line_column: str = "_line",
    shown: str | None = None,
) -> None:
    """Refuse the file at the first row (by line) where ``condition`` holds, naming
    ``column`` and quoting its cell (or the frame's ``shown`` column: the text as written,
    where ``column`` was parsed into another type)."""
    bad = frame.filter(condition.fill_null(False))
    if bad.height:
        quoted = shown or column
        # only the two cells needed: another column may hold what Python cannot convert
        row = bad.sort(line_column).select(line_column, quoted).row(0, named=True)
        raise DataError(
            path, f"{problem}; found {row.get(quoted)!r}", line=int(row[line_column]), column=column
        )


def refuse_conflicting_duplicates(
    path: Path,
    frame: pl.DataFrame,
    keys: list[str],
    values: pl.Expr,
    describe: Callable[[dict], str],
    line_column: str = "_line",
    carry: tuple[str, ...] = (),
) -> None:
    """The same key twice with different values is an error, reported at the second line.

    ``keys`` are canonical names (spellings already resolved), so one borough or category
    spelled two ways is one key. ``values`` is what must agree (e.g. ``pl.col("value")``);
    ``describe(row)`` names the key for the message from the keys and the ``carry`` columns
    (the text as written on the reported line). When the first line wrote the ``carry``
    columns differently, the message says how. Identical repeats are allowed (the caller keeps
    one).
    """
    ordered = [pl.col(c).sort_by(line_column) for c in carry]
    conflicts = (
        frame.group_by(keys)
        .agg(
            values.n_unique().alias("_versions"),
            pl.col(line_column).min().alias("_first"),
            pl.col(line_column).max().alias("_second"),
            *[c.last() for c in ordered],
            *[c.first().alias(f"{name}\x00first") for c, name in zip(ordered, carry, strict=True)],
        )
        .filter(pl.col("_versions") > 1)
        .sort("_second")
    )
    if conflicts.height:
        row = conflicts.row(0, named=True)
        written_first = [row[f"{name}\x00first"] for name in carry]
        also = f"also on line {row['_first']}"
        if written_first != [row[name] for name in carry]:
            also += f", as {', '.join(str(w) for w in written_first)!r}"
        raise DataError(
            path,
            f"duplicate row for {describe(row)} with different values ({also})",
            line=int(row["_second"]),
        )


def current_month() -> date:
    """The first day of today's month: no file can hold a month after it."""
    today = date.today()
    return date(today.year, today.month, 1)


# No figure this tool reads is older than this; an earlier month is a typo (0024 for 2024).
EARLIEST_MONTH = date(1900, 1, 1)


def refuse_implausible_months(
    path: Path | str,
    frame: pl.DataFrame,
    month: str,
    column: str,
    line_column: str = "_line",
    shown: str | None = None,
) -> None:
    """Refuse the first row dated after the current month (a typo such as 2062 for 2026 would
    otherwise become the newest month and move the default scan month) or before 1900.

    ``column`` names the file's column and is quoted, or ``shown`` (the month as written, when
    ``column`` is not a column of the frame)."""
    limit = current_month()
    bad = frame.filter((pl.col(month) > limit) | (pl.col(month) < EARLIEST_MONTH))
    if bad.height:
        # the month as text: a year such as 0 has no Python date
        row = (
            bad.sort(line_column)
            .select(
                pl.col(line_column).alias("line"),
                pl.col(shown or column).alias("written"),
                pl.col(month).dt.strftime("%Y-%m").alias("month"),
                (pl.col(month) > limit).alias("later"),
            )
            .row(0, named=True)
        )
        when = (
            f"after the current month ({limit:%Y-%m})"
            if row["later"]
            else f"before {EARLIEST_MONTH:%Y}"
        )
        raise DataError(
            path,
            f"month {row['month']} is {when}; found {row['written']!r}",
            line=int(row["line"]) if row["line"] is not None else None,
            column=column,
        )


# A month under 10% of the median month is a stub only when the median is this large: with a
# median of 3 (a sampled file), a month of 0 is chance, not an incomplete extract.
STUB_MIN_MEDIAN = 50


def incomplete_months(totals: pl.DataFrame) -> tuple[list[date], list[str]]:
    """Months whose total (``month``, ``total``) is under 10% of the median month: stubs.

    Returns the months and a warning for each (a real release, the 25-column ward file, opens
    with a month of 47 offences against about 73,000)."""
    if totals.height < 3:
        return [], []
    median = totals["total"].median()
    if median is None or median < STUB_MIN_MEDIAN:
        return [], []
    stubs = totals.filter(pl.col("total") < 0.1 * median).sort("month")
    warnings = [
        f"month {row['month']:%Y-%m} looks incomplete ({row['total']:,.0f} against a median "
        f"month of {median:,.0f}); set aside"
        for row in stubs.iter_rows(named=True)
    ]
    return stubs["month"].to_list(), warnings
