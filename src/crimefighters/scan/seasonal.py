"""Seasonal baseline: this month against the same calendar month in the previous k years.

z = (x - m) / sqrt(m) for Poisson counts, or (x - m) / s with the sample standard deviation s
of those k months where they vary more than Poisson allows (over-dispersion, ``auto``).
Crime is seasonal, so this replaces month-on-month comparison.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from crimefighters.config.models import SeasonalSettings
from crimefighters.scan.series import SERIES_KEYS, month_add
from crimefighters.scan.stats import two_sided_normal_p


def seasonal_baseline(
    series: pl.DataFrame, scan_month: date, settings: SeasonalSettings
) -> pl.DataFrame:
    """One row per count series with this month, the baseline mean and z; ``flagged`` set."""
    k = settings.years
    previous = [month_add(scan_month, -12 * i) for i in range(1, k + 1)]
    counts = series.filter(pl.col("kind") == "count")
    current = counts.filter(pl.col("month") == scan_month).select(
        *SERIES_KEYS, "priority_id", "direction", "kind", "provisional", current=pl.col("value")
    )
    history = (
        counts.filter(pl.col("month").is_in(previous))
        .group_by(SERIES_KEYS)
        .agg(baseline=pl.col("value").mean(), sd=pl.col("value").std(), years=pl.len())
        .filter(pl.col("years") == k)
    )
    frame = current.join(history, on=SERIES_KEYS)
    if frame.height == 0:
        return frame.with_columns(
            z=pl.lit(None, dtype=pl.Float64),
            p_value=pl.lit(None, dtype=pl.Float64),
            flagged=pl.lit(False),
            sd_used=pl.lit(False),
        )
    poisson_sd = pl.col("baseline").sqrt()
    if settings.overdispersion == "poisson" or k < 3:
        use_sample = pl.lit(False)
    elif settings.overdispersion == "sample":
        use_sample = pl.lit(True)
    else:
        use_sample = pl.col("sd").fill_null(0) > poisson_sd
    frame = frame.with_columns(sd_used=use_sample)
    scale = pl.when(pl.col("sd_used")).then(pl.col("sd")).otherwise(poisson_sd)
    frame = frame.with_columns(
        z=pl.when(scale > 0).then((pl.col("current") - pl.col("baseline")) / scale)
    )
    z = frame["z"].fill_null(0).to_numpy()
    frame = frame.with_columns(p_value=pl.Series(two_sided_normal_p(z), dtype=pl.Float64))
    return frame.with_columns(
        flagged=(pl.col("z").abs() >= settings.z).fill_null(False)
        & (pl.col("baseline") >= settings.min_volume),
        change=pl.col("current") - pl.col("baseline"),
        change_pct=pl.when(pl.col("baseline") > 0).then(
            (pl.col("current") - pl.col("baseline")) / pl.col("baseline") * 100
        ),
    )
