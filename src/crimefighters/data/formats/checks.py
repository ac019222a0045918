"""Row checks every parser shares: the first offending row, and conflicting duplicate keys.

Both raise ``DataError`` naming the file, the line and (for ``first_bad``) the column, so a
stranger can open the file at the right place.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from crimefighters.errors import DataError


def first_bad(
    path: Path,
    frame: pl.DataFrame,
    condition: pl.Expr,
    column: str,
    problem: str,
    line_column: str = "_line",
) -> None:
    """Refuse the file at the first row (by line) where ``condition`` holds."""
    bad = frame.filter(condition.fill_null(False))
    if bad.height:
        row = bad.sort(line_column).row(0, named=True)
        raise DataError(path, f"{problem}; found {row.get(column)!r}", line=int(row[line_column]), column=column)


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

    ``values`` is what must agree (e.g. ``pl.col("value")``); ``describe(row)`` names the key
    for the message. Identical repeats are allowed (the caller keeps one).
    """
    conflicts = (
        frame.group_by(keys)
        .agg(
            values.n_unique().alias("_versions"),
            pl.col(line_column).min().alias("_first"),
            pl.col(line_column).max().alias("_second"),
            *[pl.col(c).first() for c in carry],
        )
        .filter(pl.col("_versions") > 1)
        .sort("_second")
    )
    if conflicts.height:
        row = conflicts.row(0, named=True)
        raise DataError(
            path,
            f"duplicate row for {describe(row)} with different values (also on line {row['_first']})",
            line=int(row["_second"]),
        )
