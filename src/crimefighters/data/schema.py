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


# What a parser hands back when it resolved names itself (``ParsedFile.canonical``): the
# canonical borough instead of the raw text, and no line numbers (every check that reports a
# line has run). Rows come sorted by measure, borough, category_group, category and month
# (ward rows by borough, ward, category_group, category, month): a load of one file is then
# never sorted again.
CANONICAL_COLUMNS: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "borough": pl.String(),
    "measure": pl.String(),
    "category": pl.String(),
    "category_group": pl.String(),
    "value": pl.Float64(),
    "denominator": pl.Float64(),
    "family": pl.String(),
    "provisional_hint": pl.Boolean(),
}
CANONICAL_WARD_COLUMNS: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "borough": pl.String(),
    "ward": pl.String(),
    "ward_code": pl.String(),
    "measure": pl.String(),
    "category": pl.String(),
    "category_group": pl.String(),
    "value": pl.Float64(),
}


# What kind of source a file is, best first: a file that publishes borough figures; borough
# figures summed from finer areas (wards, LSOAs), which miss offences not placed in one; a
# partial area (an API response for a radius around a point).
SOURCE_KINDS = ("borough", "area_sums", "partial_area")


@dataclass
class ParsedFile:
    """One file's rows in raw form, with what the parser noticed about it.

    How the file competes with others that cover the same borough and month
    (``crimefighters.data.precedence``):
    - ``kind``: one of ``SOURCE_KINDS``; a better kind always wins.
    - ``period_start`` .. ``release``: the months the release covers (its own period, not the
      months left after a stub month is set aside); the later ``release`` wins.
    - ``additive``: rows are counts of records (crimes, LSOA rows), so two files of one release
      add up; ``record_ids`` (month, id_hash) is a sample of record ids that tells two versions
      of one extract (which share records) from two parts (which do not).
    - ``per_category``: rows are single observations (the generic file), competing per
      category rather than supplying a whole borough-month.
    - ``canonical``: the parser already resolved borough and category names, set aside
      pseudo-boroughs (``set_aside``) and refused conflicting duplicates.
    """

    path: Path
    format: str
    rows: pl.DataFrame  # RAW_COLUMNS (``borough`` instead of ``borough_raw`` when canonical)
    wards: pl.DataFrame | None = None  # RAW_WARD_COLUMNS (likewise)
    warnings: list[str] = field(default_factory=list)
    release: date | None = None  # last month the release covers
    period_start: date | None = None  # first month the release covers
    kind: str = "borough"
    additive: bool = False
    per_category: bool = False
    canonical: bool = False
    set_aside: list[str] = field(default_factory=list)
    record_ids: pl.DataFrame | None = None  # RECORD_ID_SCHEMA

    def months(self) -> tuple[date, date] | None:
        frame = self.rows if self.rows.height else self.wards
        if frame is None or frame.height == 0:
            return None
        return frame["month"].min(), frame["month"].max()


# A sample of the record ids of an additive file: per month, the RECORD_ID_SAMPLE smallest
# id hashes (a bottom-k sketch). Two versions of one extract share most of their records, so
# their samples overlap; two parts of one release share none, so theirs never do.
RECORD_ID_SCHEMA: dict[str, pl.DataType] = {"month": pl.Date(), "id_hash": pl.UInt64()}
RECORD_ID_SAMPLE = 1024


def sample_record_ids(
    frame: pl.LazyFrame | pl.DataFrame, month: str, record_id: str
) -> pl.LazyFrame:
    """The (month, id hash) sample of a frame of records with an id column (blank ids, such
    as anti-social behaviour's, are not records that can be matched)."""
    return (
        frame.lazy()
        .filter(pl.col(record_id) != "")
        .select(pl.col(month).alias("month"), pl.col(record_id).hash(seed=1).alias("id_hash"))
        .unique()
        .group_by("month")
        .agg(pl.col("id_hash").bottom_k(RECORD_ID_SAMPLE))
        .explode("id_hash")
        .select(pl.col("month").cast(pl.Date), pl.col("id_hash").cast(pl.UInt64))
    )


def empty_raw() -> pl.DataFrame:
    return pl.DataFrame(schema=RAW_COLUMNS)


def empty_observations() -> pl.DataFrame:
    return pl.DataFrame(schema=OBSERVATION_SCHEMA)


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select the schema's columns in order, adding missing ones as nulls, casting types."""
    if list(frame.schema.items()) == list(schema.items()):
        return frame
    exprs = []
    for name, dtype in schema.items():
        if name in frame.columns:
            exprs.append(pl.col(name).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(exprs)
