"""Rates and proportions against last year, and targets met or missed.

Where numerator and denominator are known (e.g. I-grade calls attended within 15 minutes /
I-grade calls), the pooled two-proportion z-test; where only a percentage is published (PAS),
a fixed threshold in percentage points (MOPAC treated +/-5 points as significant).

Targets: an exception when the latest period misses the target, and a separate, positive one
when a borough that was missing it the period before now meets it.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from crimefighters.config.models import Config, RateSettings
from crimefighters.scan.stats import two_sided_normal_p


def compare_proportions(sums: pl.DataFrame, settings: RateSettings) -> pl.DataFrame:
    """Year-on-year comparison for proportion series (value = numerator / denominator)."""
    if sums.height == 0:
        return sums
    with_den = pl.col("has_den") & (pl.col("current_den") > 0) & (pl.col("previous_den") > 0)
    frame = sums.with_columns(
        current=pl.when(with_den)
        .then(pl.col("current_num") / pl.col("current_den"))
        .otherwise(pl.col("current_mean")),
        previous=pl.when(with_den)
        .then(pl.col("previous_num") / pl.col("previous_den"))
        .otherwise(pl.col("previous_mean")),
        tested=with_den,
    )
    pooled = (pl.col("current_num") + pl.col("previous_num")) / (
        pl.col("current_den") + pl.col("previous_den")
    )
    se = (pooled * (1 - pooled) * (1 / pl.col("current_den") + 1 / pl.col("previous_den"))).sqrt()
    frame = frame.with_columns(
        z=pl.when(pl.col("tested") & (se > 0)).then((pl.col("current") - pl.col("previous")) / se)
    )
    z = frame["z"].to_numpy()
    z = z.astype(float)
    p = np.where(np.isnan(z), np.nan, two_sided_normal_p(np.nan_to_num(z)))
    frame = frame.with_columns(p_value=pl.Series(p, dtype=pl.Float64).fill_nan(None))
    points = (pl.col("current") - pl.col("previous")) * 100
    frame = frame.with_columns(
        change=pl.col("current") - pl.col("previous"), change_pct=None, change_points=points
    )
    enough = (pl.col("current_den") >= settings.min_denominator) & (
        pl.col("previous_den") >= settings.min_denominator
    )
    flagged = (
        pl.when(pl.col("tested"))
        .then((pl.col("p_value") < settings.alpha) & enough & (points.abs() >= settings.min_points))
        .otherwise(points.abs() >= settings.pp_threshold)
    )
    return frame.with_columns(
        flagged=flagged.fill_null(False),
        suppressed_provisional=pl.lit(False),
        wheeler_z=pl.lit(None, dtype=pl.Float64),
    )


def target_events(latest: pl.DataFrame, config: Config) -> pl.DataFrame:
    """Per series with a target: met or missed this month, and whether it was met the month before.

    ``latest`` has one row per series with ``value`` (this month) and ``previous_value``.
    """
    targets = {
        m.id: (m.target.value, m.target.comparison, m.target.label)
        for m in config.measures
        if m.target
    }
    frame = latest.filter(pl.col("measure").is_in(list(targets)))
    if frame.height == 0:
        return frame.with_columns(
            target=pl.lit(None, dtype=pl.Float64),
            met=pl.lit(None, dtype=pl.Boolean),
            was_met=pl.lit(None, dtype=pl.Boolean),
            event=pl.lit(None, dtype=pl.String),
        )
    frame = frame.with_columns(
        target=pl.col("measure").replace_strict(
            {k: v[0] for k, v in targets.items()}, return_dtype=pl.Float64
        ),
        at_least=pl.col("measure").replace_strict(
            {k: v[1] == ">=" for k, v in targets.items()}, return_dtype=pl.Boolean
        ),
        target_label=pl.col("measure").replace_strict(
            {k: v[2] for k, v in targets.items()}, return_dtype=pl.String
        ),
    )
    def meets(value):
        return (
            pl.when(pl.col("at_least"))
            .then(value >= pl.col("target"))
            .otherwise(value <= pl.col("target"))
        )
    frame = frame.with_columns(met=meets(pl.col("value")), was_met=meets(pl.col("previous_value")))
    return frame.with_columns(
        event=pl.when(~pl.col("met"))
        .then(pl.lit("target_missed"))
        .when(pl.col("met") & (pl.col("was_met") == False))  # noqa: E712
        .then(pl.lit("target_met"))
    )
