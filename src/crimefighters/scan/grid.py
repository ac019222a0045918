"""Every series on one monthly grid, with the window sums every method reads.

The scan tests each series "as of" the scan month and each of the ``findings.lookback_months``
months before it (so a finding can say whether it is new, continuing or returned). Rather than
running the scan once per month, every series is laid on a complete monthly grid and each
window (the month, 3 and 12 months, the financial year to date, the same windows a year and k
years earlier) is a rolling sum over it: one pass gives the numbers for every month at once.

Series are numbered (``sid``) so the heavy work sorts and groups on one integer instead of
five text keys; ``keys`` maps the numbers back to (area, area_type, measure, level, category).

Counts missing inside a series' span are zero (a month with no recorded offence); other kinds
are left missing and windows that need them are incomplete. A series starts at its first month
with data: a category introduced part way is a shorter series, not a run of zeros.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from crimefighters.scan.series import SERIES_KEYS, month_add

WINDOW_MONTHS = {"1": 1, "3": 3, "12": 12}
ALL_WINDOWS = ("1", "3", "12", "fytd")


def month_index(column: str = "month") -> pl.Expr:
    return (
        pl.col(column).dt.year().cast(pl.Int32) * 12 + pl.col(column).dt.month().cast(pl.Int32) - 1
    )


def index_of(month: date) -> int:
    return month.year * 12 + month.month - 1


def window_length(window: str, month: date) -> int:
    """Months in a window ending at ``month``: the financial year runs April-March."""
    if window == "fytd":
        return (month.month - 4) % 12 + 1
    return WINDOW_MONTHS[window]


def window_bounds(window: str, month: date) -> tuple[date, date, date, date]:
    """(current start, current end, previous start, previous end)."""
    length = window_length(window, month)
    start = month_add(month, -(length - 1))
    return start, month, month_add(start, -12), month_add(month, -12)


def index_series(series: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(keys, values): one row per series with its ``sid``; one row per series month."""
    keys = (
        series.select(*SERIES_KEYS, "priority_id", "kind", "direction")
        .unique(SERIES_KEYS, keep="first")
        .sort(SERIES_KEYS)
        .with_row_index("sid")
    )
    values = series.join(keys.select("sid", *SERIES_KEYS), on=SERIES_KEYS).select(
        "sid", "month", "numerator", "denominator", "value", "provisional"
    )
    return keys, values


def monthly_grid(values: pl.DataFrame, keys: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Each series from its first month (not before ``start``) to ``end``, one row a month.

    ``present``: the month has data. Counts missing inside the span are 0 (``numerator`` and
    ``value``); other kinds stay null.
    """
    values = values.filter(pl.col("month").is_between(start, end))
    first = values.group_by("sid").agg(first=pl.col("month").min())
    months = pl.date_range(start, end, "1mo", eager=True).alias("month").to_frame()
    grid = (
        first.join(months, how="cross")
        .filter(pl.col("month") >= pl.col("first"))
        .drop("first")
        .join(values, on=["sid", "month"], how="left")
        .join(keys.select("sid", "kind"), on="sid", how="left")
    )
    counts = pl.col("kind") == "count"
    grid = grid.with_columns(
        present=pl.col("value").is_not_null(),
        provisional=pl.col("provisional").fill_null(False),
    ).with_columns(
        numerator=pl.when(counts & ~pl.col("present")).then(0.0).otherwise(pl.col("numerator")),
        value=pl.when(counts & ~pl.col("present")).then(0.0).otherwise(pl.col("value")),
        # a count month without data is a zero, so it counts as observed for window sums
        observed=(counts | pl.col("present")).cast(pl.Int32),
        mi=month_index(),
    )
    return grid.sort("sid", "month")


def with_window_sums(grid: pl.DataFrame, seasonal_years: int) -> pl.DataFrame:
    """Rolling sums per series: ``num_w``, ``den_w``, ``obs_w`` (months observed) for the month,
    3 and 12 months and the financial year to date; ``prev_*`` the same a year earlier; and
    ``base{j}_num_{w}`` the same window j years earlier (j = 1..seasonal_years) for the
    seasonal baseline. Needs the grid sorted by sid and month.
    """
    fy = pl.col("month").dt.year() - (pl.col("month").dt.month() < 4).cast(pl.Int32)
    exprs = []
    for window, months in WINDOW_MONTHS.items():
        exprs += [
            pl.col("numerator")
            .rolling_sum(months, min_samples=1)
            .over("sid")
            .alias(f"num_{window}"),
            pl.col("denominator")
            .rolling_sum(months, min_samples=1)
            .over("sid")
            .alias(f"den_{window}"),
            pl.col("observed")
            .rolling_sum(months, min_samples=1)
            .over("sid")
            .alias(f"obs_{window}"),
            pl.col("provisional")
            .cast(pl.Int32)
            .rolling_sum(months, min_samples=1)
            .over("sid")
            .alias(f"prov_{window}"),
        ]
    exprs += [
        pl.col("numerator").cum_sum().over("sid", fy).alias("num_fytd"),
        pl.col("denominator").cum_sum().over("sid", fy).alias("den_fytd"),
        pl.col("observed").cum_sum().over("sid", fy).alias("obs_fytd"),
        pl.col("provisional").cast(pl.Int32).cum_sum().over("sid", fy).alias("prov_fytd"),
    ]
    grid = grid.with_columns(exprs).with_columns(
        len_fytd=((pl.col("month").dt.month().cast(pl.Int32) - 4) % 12 + 1),
        len_1=pl.lit(1, dtype=pl.Int32),
        len_3=pl.lit(3, dtype=pl.Int32),
        len_12=pl.lit(12, dtype=pl.Int32),
    )
    lagged = []
    for window in ALL_WINDOWS:
        for column in ("num", "den", "obs"):
            lagged.append(
                pl.col(f"{column}_{window}").shift(12).over("sid").alias(f"prev_{column}_{window}")
            )
    for window in ("1", "3"):
        for j in range(1, seasonal_years + 1):
            lagged.append(
                pl.col(f"num_{window}").shift(12 * j).over("sid").alias(f"base{j}_num_{window}")
            )
            lagged.append(
                pl.col(f"obs_{window}").shift(12 * j).over("sid").alias(f"base{j}_obs_{window}")
            )
    return grid.with_columns(lagged)


def dispersion(
    grid: pl.DataFrame, months: list, span: int = 24, min_points: int = 8
) -> pl.DataFrame:
    """Each series' extra variation as of each month tested, from its own history before it.

    Returns (sid, month, phi, seasonal). ``phi``: variance / Poisson (or binomial) variance,
    at least 1. It comes from the changes on the same month a year earlier,
    d_t = y_t - y_(t-12), over the ``span`` months before the month tested: seasonality
    cancels in d_t, and var(d_t) = 2 x phi x mean for counts (2 p (1 - p) / n for a rate).
    The variance is robust: values beyond 3 robust standard deviations (1.4826 x the median
    absolute deviation) from the median are pulled in to that line, so a change that began a
    month or two ago does not hide itself by inflating phi. Where fewer than ``min_points``
    such changes exist (a 24-month release), month-to-month changes are used instead; they
    carry any seasonality too, so they err on the side of fewer findings.

    ``seasonal``: month-to-month changes vary more than twice as much as year-on-year ones,
    i.e. the month-to-month movement is mostly the calendar, not chance.
    """
    rate = pl.col("denominator").is_not_null()
    value = pl.when(rate).then(pl.col("value")).otherwise(pl.col("numerator"))
    base = grid.select(
        "sid",
        "mi",
        _rate=rate,
        _y=value,
        _n=pl.col("denominator"),
        _d12=pl.when(pl.col("sid") == pl.col("sid").shift(12)).then(value - value.shift(12)),
        _d1=pl.when(pl.col("sid") == pl.col("sid").shift(1)).then(value - value.shift(1)),
    )
    ends = pl.DataFrame({"month": months}).with_columns(_end=month_index())
    live = grid.filter(pl.col("month").is_in(months)).select("sid", "month").join(ends, on="month")
    window = live.join(base, on="sid").filter(
        (pl.col("mi") < pl.col("_end")) & (pl.col("mi") >= pl.col("_end") - span)
    )

    def robust_var(d: pl.Expr) -> pl.Expr:
        d = d.drop_nulls()
        centre = d.median()
        spread = 3 * 1.4826 * (d - centre).abs().median()
        return d.clip(centre - spread, centre + spread).var()

    stats = window.group_by("sid", "month").agg(
        _var12=robust_var(pl.col("_d12")),
        _n12=pl.col("_d12").count(),
        _var1=robust_var(pl.col("_d1")),
        _level=pl.col("_y").mean(),
        _nbar=pl.col("_n").mean(),
        _rate=pl.col("_rate").last(),
    )
    # Poisson: var(d) = 2 x mean; binomial: var(d) = 2 p (1 - p) / n
    chance = (
        pl.when(pl.col("_rate"))
        .then(2 * pl.col("_level") * (1 - pl.col("_level")) / pl.col("_nbar"))
        .otherwise(2 * pl.col("_level"))
    )
    enough = pl.col("_n12") >= min_points
    phi = pl.when(enough).then(pl.col("_var12")).otherwise(pl.col("_var1")) / chance
    return stats.select(
        "sid",
        "month",
        phi=pl.when(chance > 0).then(phi).fill_null(1.0).fill_nan(1.0).clip(lower_bound=1.0),
        seasonal=(enough & (pl.col("_var1") > 2 * pl.col("_var12"))).fill_null(False),
    )
