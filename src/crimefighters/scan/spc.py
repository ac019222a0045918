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
    """
    if frame.height == 0:
        return frame.with_columns(
            [pl.lit(None, dtype=pl.Float64).alias(c) for c in ("mean", "amr", "lpl", "upl", "nlpl", "nupl")]
            + [pl.lit(None, dtype=pl.String).alias("special_cause_type"), pl.lit(None, dtype=pl.String).alias("point_type"), pl.lit(0, dtype=pl.UInt32).alias("group_points")]
        )
    frame = frame.sort([*keys, "month"])
    if rebase_col:
        frame = frame.with_columns(rebase_group=pl.col(rebase_col).cast(pl.Int32).cum_sum().over(keys))
    else:
        frame = frame.with_columns(rebase_group=pl.lit(0, dtype=pl.Int32))
    g = [*keys, "rebase_group"]
    y = pl.col("value")

    frame = frame.with_columns(
        mean=y.mean().over(g),
        _mr=(y - y.shift(1)).abs().over(g),
        group_points=pl.len().over(g),
    )
    frame = frame.with_columns(_amr0=pl.col("_mr").mean().over(g))
    if settings.screen_moving_ranges:
        screened = pl.when(pl.col("_mr") < settings.screen_factor * pl.col("_amr0")).then(pl.col("_mr"))
        frame = frame.with_columns(amr=screened.mean().over(g))
    else:
        frame = frame.with_columns(amr=pl.col("_amr0"))
    amr = pl.col("amr").fill_null(0.0)
    frame = frame.with_columns(
        lpl=pl.col("mean") - settings.limit_factor * amr,
        upl=pl.col("mean") + settings.limit_factor * amr,
        nlpl=pl.col("mean") - settings.near_limit_factor * amr,
        nupl=pl.col("mean") + settings.near_limit_factor * amr,
    )
    frame = frame.with_columns(
        _outside=(y > pl.col("upl")) | (y < pl.col("lpl")),
        _rtm=(y - pl.col("mean")).sign().cast(pl.Int32),
    ).with_columns(
        _close=(~pl.col("_outside") & ((y < pl.col("nlpl")) | (y > pl.col("nupl")))).cast(pl.Int32),
    )
    frame = _trend(frame, g, settings.trend_length)
    frame = _shift(frame, g, settings.shift_length)
    frame = _two_in_three(frame, g)

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
    frame = frame.with_columns(special_cause_type=special)
    frame = frame.with_columns(point_type=_point_type(pl.col("special_cause_type"), pl.col("direction")))
    return frame.drop([c for c in frame.columns if c.startswith("_")])


def _trend(frame: pl.DataFrame, g: list[str], length: int) -> pl.DataFrame:
    """Points in a run of ``length`` points each strictly above (below) the one before."""
    diff_sign = (pl.col("value") - pl.col("value").shift(1)).sign().over(g).fill_null(0).cast(pl.Int32)
    frame = frame.with_columns(_d=diff_sign)
    frame = frame.with_columns(_drun=(pl.col("_d") != pl.col("_d").shift(1)).fill_null(True).cum_sum().over(g))
    frame = frame.with_columns(_dlen=pl.len().over([*g, "_drun"]))
    # A run of (length - 1) equal non-zero differences covers ``length`` points: the run's own
    # points plus the point before its first difference.
    in_run = (pl.col("_d") != 0) & (pl.col("_dlen") >= length - 1)
    starts_run = in_run.shift(-1).over(g).fill_null(False) & (pl.col("_drun") != pl.col("_drun").shift(-1).over(g))
    frame = frame.with_columns(_in_trend=in_run | starts_run)
    # NHSRplotthedots: a point in a trend takes the sign of the difference to its right when
    # the next point is in the trend too, otherwise the difference to its left.
    next_in_trend = pl.col("_in_trend").shift(-1).over(g).fill_null(False)
    right = pl.col("_d").shift(-1).over(g).fill_null(0)
    return frame.with_columns(
        _trend_dir=pl.when(pl.col("_in_trend") & next_in_trend).then(right).otherwise(pl.col("_d"))
    )


def _shift(frame: pl.DataFrame, g: list[str], length: int) -> pl.DataFrame:
    """Points in a run of ``length`` or more on one side of the mean (on the mean breaks it)."""
    frame = frame.with_columns(_srun=(pl.col("_rtm") != pl.col("_rtm").shift(1)).fill_null(True).cum_sum().over(g))
    frame = frame.with_columns(_slen=pl.len().over([*g, "_srun"]))
    return frame.with_columns(_in_shift=(pl.col("_rtm") != 0) & (pl.col("_slen") >= length))


def _two_in_three(frame: pl.DataFrame, g: list[str]) -> pl.DataFrame:
    """Near-limit points that are 2 of 3 consecutive near-limit points all on one side."""
    close = pl.col("_close")
    rtm = pl.col("_rtm")
    # window ending at this point: points i-2, i-1, i (nulls at the group start: no window)
    window_ok = (
        (close + close.shift(1) + close.shift(2) >= 2) & ((rtm + rtm.shift(1) + rtm.shift(2)).abs() == 3)
    ).over(g).fill_null(False)
    frame = frame.with_columns(_w=window_ok)
    # windows ending here, at the next point or the one after (none past the group's end)
    in_window = (
        pl.col("_w") | pl.col("_w").shift(-1).over(g).fill_null(False) | pl.col("_w").shift(-2).over(g).fill_null(False)
    )
    return frame.with_columns(_in_two_three=(close == 1) & in_window)


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
