"""The canonical observation table and what a format parser hands back.

One long table: ``month`` (first of month), ``borough`` (canonical), ``measure``,
``category``, ``value``, optional ``denominator``, plus where it came from (``source``,
``release``) and whether the month is ``provisional``. ``category_group`` carries the major
category for recorded crime (empty elsewhere) and ``family`` the data-format family that
priority filters are written against (mps_old, mps_new, police_uk, generic).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "borough": pl.String(),
    "measure": pl.String(),
    "category": pl.String(),
    "category_group": pl.String(),
    "value": pl.Float64(),
    "denominator": pl.Float64(),
    "family": pl.String(),
    "source": pl.String(),
    "release": pl.Date(),
    "provisional": pl.Boolean(),
}

WARD_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "borough": pl.String(),
    "ward": pl.String(),
    "ward_code": pl.String(),
    "measure": pl.String(),
    "category": pl.String(),
    "category_group": pl.String(),
    "value": pl.Float64(),
    "source": pl.String(),
    "release": pl.Date(),
}

# What a parser returns before borough names are resolved: the observation columns except
# ``provisional`` (decided once releases are compared), with the raw borough text and the
# file line each row came from, so an unknown borough can be reported precisely.
RAW_COLUMNS: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "borough_raw": pl.String(),
    "measure": pl.String(),
    "category": pl.String(),
    "category_group": pl.String(),
    "value": pl.Float64(),
    "denominator": pl.Float64(),
    "family": pl.String(),
    "line": pl.Int64(),
    "provisional_hint": pl.Boolean(),
}
RAW_WARD_COLUMNS: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "borough_raw": pl.String(),
    "ward": pl.String(),
    "ward_code": pl.String(),
    "measure": pl.String(),
    "category": pl.String(),
    "category_group": pl.String(),
    "value": pl.Float64(),
    "line": pl.Int64(),
}


@dataclass
class ParsedFile:
    """One file's rows in raw form, with what the parser noticed about it."""

    path: Path
    format: str
    rows: pl.DataFrame  # RAW_COLUMNS
    wards: pl.DataFrame | None = None  # RAW_WARD_COLUMNS
    warnings: list[str] = field(default_factory=list)
    release: date | None = None  # last month the release covers

    def months(self) -> tuple[date, date] | None:
        frame = self.rows if self.rows.height else self.wards
        if frame is None or frame.height == 0:
            return None
        return frame["month"].min(), frame["month"].max()


def empty_raw() -> pl.DataFrame:
    return pl.DataFrame(schema=RAW_COLUMNS)


def empty_observations() -> pl.DataFrame:
    return pl.DataFrame(schema=OBSERVATION_SCHEMA)


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select the schema's columns in order, adding missing ones as nulls, casting types."""
    exprs = []
    for name, dtype in schema.items():
        if name in frame.columns:
            exprs.append(pl.col(name).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(exprs)
