"""SPC as a test: the latest point of each XmR chart, as of each month tested.

The chart itself is ``scan.spc`` (NHSRplotthedots 0.2.2, point for point) and is shown as it
is. What this module adds is how much a special-cause point counts as evidence:
- outside the process limits: the chance of a point that far from the mean, from the count's
  quasi-Poisson tail with the series' own dispersion (a normal tail on the XmR sigma was far
  too confident: 40 on a mean of 19.2 scored 1e-14, the Poisson tail gives 4e-5); for
  proportions and durations, the normal tail on the XmR sigma;
- a run of ``trend_length`` points each rising (falling): 2 / trend_length! (the chance of
  that order among as many exchangeable values);
- two of three near the limits and a shift of ``shift_length`` points: corroboration only
  (``findings.corroboration_only``): on real series with slow drifts they fire month after month;
- on a strongly seasonal series (``grid.with_dispersion``: month-to-month changes mostly the
  calendar) limits and trends only corroborate (``findings.seasonal_guard``): the seasonal
  method is the test for those.
Series averaging fewer than ``spc.min_mean`` a month (and rates on so few cases) are charted
but never tested.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from crimefighters.scan.methods import conform_tests, empty_tests
from crimefighters.scan.stats import poisson_tail_p, two_sided_normal_p

RULE_OF = {
    "Above UCL": "outside_limits",
    "Below LCL": "outside_limits",
    "2 in 3 Above CL": "two_of_three",
    "2 in 3 Below CL": "two_of_three",
}


def rule_expr() -> pl.Expr:
    special = pl.col("special_cause_type")
    return (
        pl.when(special.str.contains("Trend"))
        .then(pl.lit("trend"))
        .when(special.str.contains("Points"))
        .then(pl.lit("shift"))
        .otherwise(special.replace_strict(RULE_OF, default=None))
    )


def spc_tests(
    latest: pl.DataFrame, corroboration_only: list[str], seasonal_guard: bool
) -> pl.DataFrame:
    """``latest``: the SPC point of each series at each month tested, with phi and settings."""
    if latest.height == 0:
        return empty_tests()
    small = ((pl.col("kind") == "count") & (pl.col("mean") < pl.col("spc_min_mean"))) | (
        (pl.col("kind") == "proportion")
        & pl.col("denominator").is_not_null()
        & (pl.col("numerator_mean") < pl.col("spc_min_mean"))
    )
    rows = latest.with_columns(rule=rule_expr(), _small=small.fill_null(True))
    rows = rows.filter(~pl.col("_small"))
    if rows.height == 0:
        return empty_tests()
    guarded = pl.col("seasonal") & pl.lit(seasonal_guard)
    def lead(rule):
        return (
            pl.lit(rule not in corroboration_only)
            & ~(guarded & pl.lit(rule in ("outside_limits", "trend")))
        )
    rows = rows.with_columns(
        _lead_outside=lead("outside_limits"),
        _lead_trend=lead("trend"),
        can_lead=pl.when(pl.col("rule") == "outside_limits")
        .then(lead("outside_limits"))
        .when(pl.col("rule") == "trend")
        .then(lead("trend"))
        .when(pl.col("rule") == "two_of_three")
        .then(lead("two_of_three"))
        .when(pl.col("rule") == "shift")
        .then(lead("shift"))
        .otherwise(False),
    )
    # p-values: outside limits from the tail, trends from their run length
    counts = (rows["kind"] == "count").to_numpy()
    value = rows["value"].to_numpy().astype(float)
    mean = rows["mean"].fill_null(0.0).to_numpy().astype(float)
    sigma = (rows["amr"].fill_null(0.0).to_numpy().astype(float)) / 1.128
    phi = rows["phi"].fill_null(1.0).to_numpy().astype(float)
    p_count = poisson_tail_p(value, mean, phi)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, (value - mean) / sigma, 0.0)
    p_normal = two_sided_normal_p(z)
    p_outside = np.where(counts, p_count, p_normal)
    trend_len = rows["spc_trend_length"].to_numpy()
    p_trend = 2 / np.array([float(math.factorial(int(n))) for n in range(int(trend_len.max(initial=0)) + 1)])[trend_len.astype(int)]
    rule = rows["rule"].to_numpy()
    p = np.where(rule == "outside_limits", p_outside, np.where(rule == "trend", p_trend, np.nan))
    rows = rows.with_columns(
        p_value=pl.Series(p, dtype=pl.Float64).fill_nan(None), z=pl.Series(z, dtype=pl.Float64)
    )
    up = pl.col("special_cause_type").str.contains("Above|Increasing")
    rows = rows.with_columns(
        method=pl.lit("spc"),
        window=pl.lit("1"),
        direction=pl.when(up).then(pl.lit("up")).otherwise(pl.lit("down")),
        baseline=pl.col("mean"),
        change=pl.col("value") - pl.col("mean"),
        change_pct=pl.when(pl.col("mean") != 0).then(
            (pl.col("value") - pl.col("mean")) / pl.col("mean").abs() * 100
        ),
        alpha=pl.lit(0.0027),  # the 3-sigma limits' own two-sided level
        # every charted series performs the limits test and the trend test each month
        n_tests=pl.col("_lead_outside").cast(pl.Int32) + pl.col("_lead_trend").cast(pl.Int32),
        fired=pl.col("rule").is_not_null() & ~pl.col("revised_away"),
        months=pl.col("group_points").cast(pl.Int32),
        recent=pl.when(pl.col("rule") == "trend")
        .then(pl.col("spc_trend_length"))
        .when(pl.col("rule") == "two_of_three")
        .then(3)
        .when(pl.col("rule") == "shift")
        .then(pl.col("spc_shift_length"))
        .otherwise(1)
        .cast(pl.Int32),
        lower_limit=pl.col("lpl"),
        upper_limit=pl.col("upl"),
        note=pl.when(pl.col("revised_away"))
        .then(pl.lit("within the usual revision of a provisional month"))
        .when(guarded & pl.col("rule").is_in(["outside_limits", "trend"]))
        .then(pl.lit("a strongly seasonal series: its chart's limits and runs only corroborate")),
    )
    return conform_tests(rows)
