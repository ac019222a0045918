"""Change against the same window last year: month, rolling 3, rolling 12, financial year to date.

Counts: the exact conditional test for two Poisson counts. With x1 = last year's count and
x2 = this year's (equal exposure), under no change x2 | x1 + x2 ~ Binomial(x1 + x2, 1/2); the
two-sided p-value is min(1, 2 min(P(X <= x2), P(X >= x2))). A change is flagged when
p < alpha, |% change| >= min_pct and x1 + x2 >= min_volume. Wheeler's z = 2(sqrt(x2) -
sqrt(x1)) is reported beside it as a readable size of the change. The % change is null ("n/a")
where the baseline is 0.

Proportions with a denominator use the pooled two-proportion z-test (see ``rates``).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from crimefighters.scan.series import SERIES_KEYS, month_add
from crimefighters.scan.stats import poisson_exact_two_sided

WINDOW_LABELS = {
    "1": "month",
    "3": "rolling 3 months",
    "12": "rolling 12 months",
    "fytd": "financial year to date",
}


def window_length(window: str, scan_month: date) -> int:
    if window == "fytd":
        return (scan_month.month - 4) % 12 + 1
    return int(window)


def window_bounds(window: str, scan_month: date) -> tuple[date, date, date, date]:
    """(current start, current end, previous start, previous end)."""
    length = window_length(window, scan_month)
    start = month_add(scan_month, -(length - 1))
    return start, scan_month, month_add(start, -12), month_add(scan_month, -12)


def window_sums(series: pl.DataFrame, scan_month: date, windows: list[str]) -> pl.DataFrame:
    """Per series and window: current and previous sums (numerator, denominator) and months seen."""
    frames = []
    age = (
        pl.lit(scan_month).dt.year() * 12
        + pl.lit(scan_month).dt.month()
        - (pl.col("month").dt.year() * 12 + pl.col("month").dt.month())
    )
    aged = series.lazy().with_columns(_age=age)
    meta = ["priority_id", "kind", "direction"]
    for window in windows:
        length = window_length(window, scan_month)
        cur = pl.col("_age").is_between(0, length - 1)
        prev = pl.col("_age").is_between(12, 12 + length - 1)
        agg = (
            aged.filter(cur | prev)
            .group_by(SERIES_KEYS)
            .agg(
                *[pl.col(m).first() for m in meta],
                current_num=pl.col("numerator").filter(cur).sum(),
                current_last=pl.col("numerator").filter(pl.col("_age") == 0).sum(),
                previous_num=pl.col("numerator").filter(prev).sum(),
                current_den=pl.col("denominator").filter(cur).sum(),
                previous_den=pl.col("denominator").filter(prev).sum(),
                current_mean=pl.col("value").filter(cur).mean(),
                previous_mean=pl.col("value").filter(prev).mean(),
                current_months=pl.col("month").filter(cur).n_unique(),
                previous_months=pl.col("month").filter(prev).n_unique(),
                has_den=pl.col("denominator").is_not_null().all(),
                provisional=pl.col("provisional").filter(cur).any(),
            )
            .with_columns(window=pl.lit(window), months=pl.lit(length))
        )
        frames.append(agg)
    if not frames:
        return pl.DataFrame()
    # one lazy query: Polars runs the windows' group-bys side by side
    out = pl.concat(frames, how="vertical_relaxed").collect()
    return out.filter(
        (pl.col("current_months") == pl.col("months"))
        & (pl.col("previous_months") == pl.col("months"))
    )


def poisson_exact_p(current: pl.Series, previous: pl.Series) -> pl.Series:
    """Two-sided exact conditional test p-values for pairs of counts (vectorised)."""
    p = poisson_exact_two_sided(current.to_numpy(), previous.to_numpy())
    return pl.Series(p, dtype=pl.Float64)


def compare_counts(
    sums: pl.DataFrame,
    alpha: float,
    min_pct: float,
    min_volume: float,
    shortfall_pct: float,
    suppress_drops: bool,
) -> pl.DataFrame:
    """Year-on-year comparison of count series with the exact Poisson test and flag rules."""
    if sums.height == 0:
        return sums
    frame = sums.with_columns(current=pl.col("current_num"), previous=pl.col("previous_num"))
    frame = frame.with_columns(p_value=poisson_exact_p(frame["current"], frame["previous"]))
    frame = _describe_change(frame)
    flagged = _count_flag(
        pl.col("current"), pl.col("previous"), pl.col("p_value"), alpha, min_pct, min_volume
    )
    frame = frame.with_columns(flagged=flagged)
    if suppress_drops:
        # The newest month runs 1-3% low: a fall is only flagged if it survives putting back
        # the expected shortfall.
        frame = frame.with_row_index("_row")
        drops = frame.filter(pl.col("flagged") & pl.col("provisional") & (pl.col("change") < 0))
        drops = drops.with_columns(
            adjusted_current=pl.col("current") + pl.col("current_last") * shortfall_pct / 100
        )
        drops = drops.with_columns(
            adjusted_p=poisson_exact_p(drops["adjusted_current"], drops["previous"])
        )
        gone = drops.filter(
            ~_count_flag(
                pl.col("adjusted_current"),
                pl.col("previous"),
                pl.col("adjusted_p"),
                alpha,
                min_pct,
                min_volume,
            )
        )["_row"]
        frame = (
            frame.with_columns(suppressed_provisional=pl.col("_row").is_in(gone.implode()))
            .with_columns(flagged=pl.col("flagged") & ~pl.col("suppressed_provisional"))
            .drop("_row")
        )
    else:
        frame = frame.with_columns(suppressed_provisional=pl.lit(False))
    return frame.with_columns(wheeler_z=2 * (pl.col("current").sqrt() - pl.col("previous").sqrt()))


def _count_flag(
    current: pl.Expr, previous: pl.Expr, p: pl.Expr, alpha: float, min_pct: float, min_volume: float
) -> pl.Expr:
    pct = pl.when(previous > 0).then((current - previous) / previous * 100)
    big_enough = pct.abs().fill_null(float("inf")) >= min_pct
    return (p < alpha) & big_enough & ((current + previous) >= min_volume) & (current != previous)


def _describe_change(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        change=pl.col("current") - pl.col("previous"),
        change_pct=pl.when(pl.col("previous") != 0).then(
            (pl.col("current") - pl.col("previous")) / pl.col("previous") * 100
        ),
    )
