"""Small hand-built observation tables for scan tests."""

from __future__ import annotations

from datetime import date

import polars as pl

from crimefighters.data.schema import OBSERVATION_SCHEMA, conform
from crimefighters.scan.series import month_add


def observations(
    values: list[float],
    *,
    end: date = date(2026, 6, 1),
    borough: str = "Lambeth",
    measure: str = "recorded_crime",
    category: str = "Robbery of Personal Property",
    category_group: str = "Robbery",
    family: str = "mps_new",
    denominators: list[float] | None = None,
    provisional_last: bool = False,
) -> pl.DataFrame:
    """A monthly series ending at ``end`` (the last value is ``end``'s month)."""
    n = len(values)
    months = [month_add(end, i - n + 1) for i in range(n)]
    frame = pl.DataFrame(
        {
            "month": months,
            "borough": [borough] * n,
            "measure": [measure] * n,
            "category": [category] * n,
            "category_group": [category_group] * n,
            "value": [float(v) for v in values],
            "denominator": [float(d) for d in denominators] if denominators else [None] * n,
            "family": [family] * n,
            "source": ["test"] * n,
            "release": [end] * n,
            "provisional": [provisional_last and i == n - 1 for i in range(n)],
        },
        schema_overrides={"denominator": pl.Float64},
    )
    return conform(frame, OBSERVATION_SCHEMA)


def combine(*frames: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(frames, how="vertical_relaxed")
