"""XmR charts with the NHS "Making Data Count" rules, as NHSRplotthedots 0.2.2 computes them.

For each series (and each rebase group within it):
- centre line: mean of the points; moving ranges mR_i = |y_i - y_{i-1}|; mean moving range
  AmR; screening drops mR >= 3.267 x AmR and recomputes AmR once;
- process limits mean +/- 2.66 AmR; near-limit band mean +/- 1.7733 AmR (2/3 of 2.66);
- rules in precedence: outside the limits (strictly beyond); a 7-point trend (6 strict rises
  or falls; a tie breaks it; the whole run is flagged); two of three consecutive points in the
  near-limit band (beyond 2/3 of the limits but not outside them) with all three on one side
  of the mean (only the near-limit points are flagged); a shift of 7 points on one side of
  the mean (a point on the mean breaks it; the whole run is flagged).

Everything is a Polars expression evaluated ``.over`` the series, so all series of a scan are
charted in one pass. Constants come from ``SPCSettings``.
"""

from __future__ import annotations

import polars as pl

from crimefighters.config.models import SPCSettings

COMMON_CAUSE = "Common Cause"


def spc_points(frame: pl.DataFrame, keys: list[str], settings: SPCSettings, rebase_col: str | None = None) -> pl.DataFrame:
    """Per point: mean, limits, special-cause type and point type, for series sorted by month.

    ``frame`` needs ``keys``, ``month``, ``value``, ``direction`` (up/down/neutral), and
    optionally a boolean ``rebase_col`` that is true at the first month of a new limit group.

    Series are laid end to end (sorted by key and month) and numbered; every rule is then a
    flat expression over neighbouring rows that stops at a group boundary, which is much
    faster than a window partition per series.
    """
    if frame.height == 0:
        return frame.with_columns(
            [pl.lit(None, dtype=pl.Float64).alias(c) for c in ("mean", "amr", "lpl", "upl", "nlpl", "nupl")]
            + [
                pl.lit(None, dtype=pl.String).alias("special_cause_type"),
                pl.lit(None, dtype=pl.String).alias("point_type"),
                pl.lit(0, dtype=pl.UInt32).alias("group_points"),
            ]
        )
    y = pl.col("value")
    new_series = pl.any_horizontal([pl.col(k) != pl.col(k).shift(1) for k in keys]).fill_null(True)
    rebase = pl.col(rebase_col).fill_null(False) if rebase_col else pl.lit(False)
    lf = (
        frame.lazy()
        .sort([*keys, "month"])
        .with_columns(_gid=(new_series | rebase).cum_sum())
        .with_columns(_same=(pl.col("_gid") == pl.col("_gid").shift(1)).fill_null(False))
        .with_columns(
            mean=y.mean().over("_gid"),
            group_points=pl.len().over("_gid"),
            _mr=pl.when(pl.col("_same")).then((y - y.shift(1)).abs()),
            _d=pl.when(pl.col("_same")).then((y - y.shift(1)).sign()).otherwise(0).cast(pl.Int32),
        )
        .with_columns(_amr0=pl.col("_mr").mean().over("_gid"))
    )
    if settings.screen_moving_ranges:
        screened = pl.when(pl.col("_mr") < settings.screen_factor * pl.col("_amr0")).then(pl.col("_mr"))
        lf = lf.with_columns(amr=screened.mean().over("_gid"))
    else:
        lf = lf.with_columns(amr=pl.col("_amr0"))
    amr = pl.col("amr").fill_null(0.0)
    lf = lf.with_columns(
        lpl=pl.col("mean") - settings.limit_factor * amr,
        upl=pl.col("mean") + settings.limit_factor * amr,
        nlpl=pl.col("mean") - settings.near_limit_factor * amr,
        nupl=pl.col("mean") + settings.near_limit_factor * amr,
        _rtm=(y - pl.col("mean")).sign().cast(pl.Int32),
    ).with_columns(_outside=(y > pl.col("upl")) | (y < pl.col("lpl")))
    lf = lf.with_columns(_close=(~pl.col("_outside") & ((y < pl.col("nlpl")) | (y > pl.col("nupl")))).cast(pl.Int32))
    lf = _trend(lf, settings.trend_length)
    lf = _shift(lf, settings.shift_length)
    lf = _two_in_three(lf)

    above = pl.col("_rtm") > 0
    special = (
        pl.when(pl.col("_outside"))
        .then(pl.when(pl.col("_rtm") == 1).then(pl.lit("Above UCL")).otherwise(pl.lit("Below LCL")))
        .when(pl.col("_in_trend"))
        .then(pl.when(pl.col("_trend_dir") == 1).then(pl.lit("7 Point Trend (Increasing)")).otherwise(pl.lit("7 Point Trend (Decreasing)")))
        .when(pl.col("_in_two_three"))
        .then(pl.when(above).then(pl.lit("2 in 3 Above CL")).otherwise(pl.lit("2 in 3 Below CL")))
        .when(pl.col("_in_shift"))
        .then(pl.when(above).then(pl.lit("7 Points Above CL")).otherwise(pl.lit("7 Points Below CL")))
        .otherwise(pl.lit(COMMON_CAUSE))
    )
    lf = lf.with_columns(special_cause_type=special)
    lf = lf.with_columns(point_type=_point_type(pl.col("special_cause_type"), pl.col("direction")))
    out = lf.collect()
    return out.drop([c for c in out.columns if c.startswith("_")])


def _next_same() -> pl.Expr:
    """True where the next row is in the same limit group."""
    return (pl.col("_gid").shift(-1) == pl.col("_gid")).fill_null(False)


def _trend(lf: pl.LazyFrame, length: int) -> pl.LazyFrame:
    """Points in a run of ``length`` points each strictly above (below) the one before."""
    # Runs of equal differences; a new group always starts a new run.
    lf = lf.with_columns(_drun=((pl.col("_d") != pl.col("_d").shift(1)).fill_null(True) | ~pl.col("_same")).cum_sum())
    lf = lf.with_columns(_dlen=pl.len().over("_drun"))
    # A run of (length - 1) equal non-zero differences covers ``length`` points: the run's own
    # points plus the point before its first difference.
    in_run = (pl.col("_d") != 0) & (pl.col("_dlen") >= length - 1)
    lf = lf.with_columns(_in_run=in_run)
    starts_run = _next_same() & pl.col("_in_run").shift(-1).fill_null(False) & (pl.col("_drun") != pl.col("_drun").shift(-1))
    lf = lf.with_columns(_in_trend=pl.col("_in_run") | starts_run)
    # NHSRplotthedots: a point in a trend takes the sign of the difference to its right when
    # the next point is in the trend too, otherwise the difference to its left.
    next_in_trend = _next_same() & pl.col("_in_trend").shift(-1).fill_null(False)
    right = pl.col("_d").shift(-1).fill_null(0)
    return lf.with_columns(
        _trend_dir=pl.when(pl.col("_in_trend") & next_in_trend).then(right).otherwise(pl.col("_d"))
    )


def _shift(lf: pl.LazyFrame, length: int) -> pl.LazyFrame:
    """Points in a run of ``length`` or more on one side of the mean (on the mean breaks it)."""
    lf = lf.with_columns(_srun=((pl.col("_rtm") != pl.col("_rtm").shift(1)).fill_null(True) | ~pl.col("_same")).cum_sum())
    lf = lf.with_columns(_slen=pl.len().over("_srun"))
    return lf.with_columns(_in_shift=(pl.col("_rtm") != 0) & (pl.col("_slen") >= length))


def _two_in_three(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Near-limit points that are 2 of 3 consecutive near-limit points all on one side."""
    close = pl.col("_close")
    rtm = pl.col("_rtm")
    # the window of points i-2, i-1, i exists only inside one group
    whole = (pl.col("_gid").shift(2) == pl.col("_gid")).fill_null(False)
    window_ok = whole & (close + close.shift(1) + close.shift(2) >= 2) & ((rtm + rtm.shift(1) + rtm.shift(2)).abs() == 3)
    lf = lf.with_columns(_w=window_ok.fill_null(False))
    # windows ending here, at the next point or the one after (none past the group's end)
    ahead1 = (pl.col("_gid").shift(-1) == pl.col("_gid")).fill_null(False) & pl.col("_w").shift(-1).fill_null(False)
    ahead2 = (pl.col("_gid").shift(-2) == pl.col("_gid")).fill_null(False) & pl.col("_w").shift(-2).fill_null(False)
    return lf.with_columns(_in_two_three=(close == 1) & (pl.col("_w") | ahead1 | ahead2))


def _point_type(special: pl.Expr, direction: pl.Expr) -> pl.Expr:
    sign = (
        pl.when(special.str.contains("Above|Increasing"))
        .then(1)
        .when(special.str.contains("Below|Decreasing"))
        .then(-1)
        .otherwise(0)
    )
    improvement = pl.when(direction == "up").then(1).when(direction == "down").then(-1).otherwise(0)
    oriented = sign * improvement
    return (
        pl.when(sign == 0)
        .then(pl.lit("common_cause"))
        .when(improvement == 0)
        .then(pl.when(sign > 0).then(pl.lit("special_cause_neutral_high")).otherwise(pl.lit("special_cause_neutral_low")))
        .when(oriented > 0)
        .then(pl.lit("special_cause_improvement"))
        .otherwise(pl.lit("special_cause_concern"))
    )


def assurance(direction: str, target: float | None, lpl: float, upl: float) -> str | None:
    """Making Data Count assurance: can the process be relied on to meet the target?"""
    if target is None or direction == "neutral":
        return None
    increasing = direction == "up"
    if target > upl:
        return "consistent_fail" if increasing else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if increasing else "consistent_fail"
    return "inconsistent"
