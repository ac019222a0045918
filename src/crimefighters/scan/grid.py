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

import numpy as np
import polars as pl

from crimefighters.scan.series import SERIES_KEYS, month_add
from crimefighters.scan.stats import betainc

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
    """Each series from its first to its last month with data (within ``start`` to ``end``),
    one row a month.

    ``present``: the month has data. Counts missing inside that span are 0 (``numerator`` and
    ``value``); other kinds stay null. After a series' last month there are no rows: a series
    whose data stops (homicide victims to 2023, a discontinued category) is not zero after it.
    """
    # each series' months with data in order, and the months missing between them (none, as a
    # rule: sorting and filling the gaps is a fifth of a join with every month of the span)
    sid, mi = pl.col("sid"), pl.col("mi")
    values = (
        values.filter(pl.col("month").is_between(start, end))
        .with_columns(mi=month_index())
        .drop("month")
        .sort("sid", "mi")
    )
    missing = (
        values.select(
            "sid", "mi", _previous=mi.shift(1), _gap=(sid == sid.shift(1)) & (mi - mi.shift(1) > 1)
        )
        .filter(pl.col("_gap"))
        .select("sid", mi=pl.int_ranges(pl.col("_previous") + 1, mi, dtype=pl.Int32))
        .explode("mi")
    )
    if missing.height:
        values = pl.concat([values, missing], how="diagonal").sort("sid", "mi")
    grid = values.join(keys.select("sid", "kind"), on="sid", how="left", maintain_order="left")
    counts = pl.col("kind") == "count"
    grid = grid.with_columns(
        present=pl.col("value").is_not_null(),
        provisional=pl.col("provisional").fill_null(False),
    ).with_columns(
        numerator=pl.when(counts & ~pl.col("present")).then(0.0).otherwise(pl.col("numerator")),
        value=pl.when(counts & ~pl.col("present")).then(0.0).otherwise(pl.col("value")),
        # a count month without data is a zero, so it counts as observed for window sums
        observed=(counts | pl.col("present")).cast(pl.Int32),
        month=pl.date(pl.col("mi") // 12, pl.col("mi") % 12 + 1, 1),
    )
    columns = [
        "sid",
        "month",
        "numerator",
        "denominator",
        "value",
        "provisional",
        "kind",
        "present",
        "observed",
        "mi",
    ]
    return grid.select(columns)


def with_window_sums(
    grid: pl.DataFrame, seasonal_years: int, at: list[date] | None = None
) -> pl.DataFrame:
    """The rows of ``grid`` in the months ``at`` (every row if None) with their rolling sums:
    ``num_w``, ``den_w``, ``obs_w`` (months observed) and ``prov_w`` (provisional months) for
    the month, 3 and 12 months and the financial year to date (``len_w`` months); ``prev_*``
    the same a year earlier; and ``base{j}_num_{w}`` and ``base{j}_obs_{w}`` the same window j
    years earlier (j = 1..seasonal_years) for the seasonal baseline.

    Needs the grid sorted by sid and month, each series' months contiguous (``monthly_grid``).
    Series are laid end to end: each window sum is a difference of running totals, cut at the
    series' first month (or the financial year's), and each lag reads the row that many
    months before, missing where that is before the series' first month; every sum is
    gathered for the rows asked for only (the scan reads eight months of each series, and
    computing ~60 columns for every month of every series was most of a part's memory). The
    running totals of numerators and denominators restart with each series: a total carried
    across every series before it rounded a rate's or a duration's sums in their last digits
    (2.7e-8 relative on the sample), and made them depend on the rest of the data.
    """
    sid = pl.col("sid")
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    fy = pl.col("month").dt.year() - (pl.col("month").dt.month() < 4).cast(pl.Int32)
    sources = {
        "num": pl.col("numerator").fill_null(0.0),
        "den": pl.col("denominator").fill_null(0.0),
        "obs": pl.col("observed").cast(pl.Int64),
        "prov": pl.col("provisional").cast(pl.Int64),
    }
    running = grid.select(
        _start=pl.when((sid != sid.shift(1)).fill_null(True)).then(row).forward_fill(),
        _fystart=pl.when(((sid != sid.shift(1)) | (fy != fy.shift(1))).fill_null(True))
        .then(row)
        .forward_fill(),
        **{f"_v_{name}": expr for name, expr in sources.items()},
        **{
            f"_c_{name}": expr.cum_sum().over("sid") if name in ("num", "den") else expr.cum_sum()
            for name, expr in sources.items()
        },
    )
    wanted = pl.col("month").is_in(at) if at is not None else pl.lit(True)
    rows = grid.with_row_index("_r").filter(wanted)
    here = rows["_r"].cast(pl.Int64)
    start = running["_start"].gather(here)
    missing = pl.Series([None], dtype=pl.Int64)
    # the row each window ends at (this month, a year and j years before: missing before the
    # series starts) and the row it starts at; then every sum in one select over the totals
    last = {0: here}
    for j in range(1, max(seasonal_years, 1) + 1):
        earlier = here - 12 * j
        last[12 * j] = earlier.zip_with(earlier >= start, missing)
    first = {}
    for lag, end in last.items():
        for window, months in WINDOW_MONTHS.items():
            begin = pl.select(pl.max_horizontal(end - (months - 1), start)).to_series()
            first[lag, window] = begin.zip_with(end.is_not_null(), missing)
        first[lag, "fytd"] = running["_fystart"].gather(end)

    def total(name: str, lag: int, window: str) -> pl.Expr:
        """The window's sum: running total at its last row, less the total before its first."""
        c, v = pl.col(f"_c_{name}"), pl.col(f"_v_{name}")
        end, begin = pl.lit(last[lag]), pl.lit(first[lag, window])
        if window == "1":  # the month itself, exactly (c - (c - v) is v only to the last digit)
            return v.gather(end)
        difference = c.gather(end) - (c.gather(begin) - v.gather(begin))
        # a float total's difference carries the running total's rounding (8.9e-16 where two
        # equal means should tie): kept to 12 significant figures, equal sums compare equal
        return difference.round_sig_figs(12) if name in ("num", "den") else difference

    exprs = [total(name, 0, w).alias(f"{name}_{w}") for w in ALL_WINDOWS for name in sources]
    exprs += [
        total(c, 12, w).alias(f"prev_{c}_{w}") for w in ALL_WINDOWS for c in ("num", "den", "obs")
    ]
    for window in ("1", "3"):
        for j in range(1, seasonal_years + 1):
            exprs.append(total("num", 12 * j, window).alias(f"base{j}_num_{window}"))
            exprs.append(total("obs", 12 * j, window).alias(f"base{j}_obs_{window}"))
    columns = running.select(exprs)
    lengths = rows.select(
        len_fytd=(pl.col("month").dt.month().cast(pl.Int32) - 4) % 12 + 1,
        len_1=pl.lit(1, dtype=pl.Int32),
        len_3=pl.lit(3, dtype=pl.Int32),
        len_12=pl.lit(12, dtype=pl.Int32),
    )
    names = [c for c in columns.columns if not c.startswith(("prev_", "base"))]
    out = pl.concat(
        [rows.drop("_r"), columns.select(names), lengths, columns.drop(names)], how="horizontal"
    )
    # sums of a missing denominator stay missing, as before
    return out.with_columns(
        **{
            f"den_{w}": pl.when(pl.col("denominator").is_not_null()).then(pl.col(f"den_{w}"))
            for w in ALL_WINDOWS
        }
    )


def dispersion(
    grid: pl.DataFrame, months: list, span: int = 24, min_points: int = 8
) -> pl.DataFrame:
    """Each series' extra variation as of each month tested, from its own history before it.

    Returns (sid, month, phi, seasonal). ``phi``: variance / Poisson (or binomial) variance,
    at least 1. It comes from the changes on the same month a year earlier,
    d_t = y_t - y_(t-12), over the ``span`` months before the month tested: seasonality
    cancels in d_t, and var(d_t) = 2 x phi x mean for counts (2 p (1 - p) / n for a rate).
    The variance is robust: changes beyond 3 robust standard deviations (1.4826 x the median
    absolute deviation) of the series' changes before the first month tested are pulled in to
    that line, so one past spike, or a change that began a month or two ago, does not hide
    itself by inflating phi. Where fewer than ``min_points`` such changes exist (a 24-month
    release), month-to-month changes are used instead; they carry any seasonality too, so they
    err on the side of fewer findings.

    ``seasonal``: see ``seasonality``.
    """
    first = min(months)
    first_index = first.year * 12 + first.month - 1
    rate = pl.col("denominator").is_not_null()
    value = pl.when(rate).then(pl.col("value")).otherwise(pl.col("numerator"))
    rows = grid.filter(pl.col("mi") >= first_index - span - 13).select(
        "sid", "mi", "month", "present", "denominator", "value", "numerator"
    )
    rows = rows.with_columns(
        _rate=rate,
        _y=value,
        _key=pl.col("sid").cast(pl.Int64) * 100_000
        + (pl.col("mi") - pl.col("mi").min()).cast(pl.Int64),
        _d12=pl.when(
            (pl.col("sid") == pl.col("sid").shift(12))
            & (pl.col("mi") - pl.col("mi").shift(12) == 12)
        ).then(value - value.shift(12)),
        _d1=pl.when(
            (pl.col("sid") == pl.col("sid").shift(1)) & (pl.col("mi") - pl.col("mi").shift(1) == 1)
        ).then(value - value.shift(1)),
    )
    # bounds from each series' changes before the first month tested
    history = rows.filter(pl.col("mi") < first_index)

    def bounds(d: str) -> list[pl.Expr]:
        centre, spread = (
            pl.col(f"{d}_c"),
            3 * 1.4826 * (pl.col(d) - pl.col(f"{d}_c")).abs().median(),
        )
        return [
            (centre.first() - spread).alias(f"{d}_lo"),
            (centre.first() + spread).alias(f"{d}_hi"),
        ]

    # the median first, then the median distance from it (one median inside another made the
    # group-by evaluate group by group, 3x slower)
    limits = (
        history.with_columns(
            [pl.col(d).median().over("sid").alias(f"{d}_c") for d in ("_d12", "_d1")]
        )
        .group_by("sid")
        .agg(*bounds("_d12"), *bounds("_d1"))
    )
    rows = rows.join(limits, on="sid", how="left").with_columns(
        [
            pl.col(d).clip(pl.col(f"{d}_lo"), pl.col(f"{d}_hi")).fill_null(pl.col(d)).alias(d)
            for d in ("_d12", "_d1")
        ]
    )
    window = f"{span}i"
    before = lambda e: e.shift(1)  # noqa: E731  (the window ending the month before)
    stats = rows.with_columns(
        _var12=before(pl.col("_d12").rolling_var_by("_key", window)),
        _n12=before(pl.col("_d12").is_not_null().cast(pl.Int64).rolling_sum_by("_key", window)),
        _var1=before(pl.col("_d1").rolling_var_by("_key", window)),
        _level=before(pl.col("_y").rolling_mean_by("_key", window)),
        _nbar=before(pl.col("denominator").rolling_mean_by("_key", window)),
        _same=pl.col("sid") == pl.col("sid").shift(1),
    ).filter(pl.col("month").is_in(months) & pl.col("_same"))
    # Poisson: var(d) = 2 x mean; binomial: var(d) = 2 p (1 - p) / n
    chance = (
        pl.when(pl.col("_rate"))
        .then(2 * pl.col("_level") * (1 - pl.col("_level")) / pl.col("_nbar"))
        .otherwise(2 * pl.col("_level"))
    )
    enough = pl.col("_n12") >= min_points
    phi = pl.when(enough).then(pl.col("_var12")).otherwise(pl.col("_var1")) / chance
    return (
        stats.select(
            "sid",
            "month",
            phi=pl.when(chance > 0).then(phi).fill_null(1.0).fill_nan(1.0).clip(lower_bound=1.0),
        )
        .join(seasonality(grid, first_index), on="sid", how="left")
        .with_columns(seasonal=pl.col("seasonal").fill_null(False))
    )


def seasonality(
    grid: pl.DataFrame, before: int, years: int = 3, alpha: float = 0.01
) -> pl.DataFrame:
    """(sid, seasonal): does the calendar month explain the series, in the up to ``years``
    whole years before month index ``before``?

    A two-way analysis of the months: each year's values less that year's mean (so level and
    trend drop out), the calendar-month effect as the mean of those over the years, and
    F = (month effect variance) / (what is left), on 11 and 11 (K - 1) degrees of freedom for K
    years. Seasonal when P(F) < ``alpha``. It needs at least two whole years; a series with
    less is not called seasonal.
    """
    window = (pl.col("mi") < before) & (pl.col("mi") >= before - 12 * years)
    rows = grid.filter(window & ((pl.col("kind") == "count") | pl.col("present"))).select(
        "sid",
        _year=(before - 1 - pl.col("mi")) // 12,
        _cal=pl.col("mi") % 12,
        _y=pl.when(pl.col("denominator").is_not_null())
        .then(pl.col("value"))
        .otherwise(pl.col("numerator")),
    )
    # (windows over the rows rather than group-bys joined back: a third of the time)
    year, month = ["sid", "_year"], ["sid", "_cal"]
    rows = (
        rows.filter(pl.len().over(year) == 12)
        .with_columns(_dev=pl.col("_y") - pl.col("_y").mean().over(year))
        .with_columns(_effect=pl.col("_dev").mean().over(month), _k=pl.len().over(month))
    )
    table = (
        rows.group_by("sid")
        .agg(
            _k=pl.col("_k").min(),
            _ss_month=(pl.col("_effect") ** 2).sum(),  # K rows per month: K x sum of effects^2
            _ss_rest=((pl.col("_dev") - pl.col("_effect")) ** 2).sum(),
        )
        .filter(pl.col("_k") >= 2)
    )
    if table.height == 0:
        return pl.DataFrame(schema={"sid": pl.UInt32, "seasonal": pl.Boolean})
    k = table["_k"].to_numpy().astype(float)
    d1, d2 = 11.0, 11.0 * (k - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (table["_ss_month"].to_numpy() / d1) / (table["_ss_rest"].to_numpy() / d2)
    finite = np.isfinite(f) & (f > 0)
    p = np.ones(len(f))
    if finite.any():
        # P(F > f) = I_x(d2/2, d1/2) with x = d2 / (d2 + d1 f)
        x = d2[finite] / (d2[finite] + d1 * f[finite])
        p[finite] = betainc(d2[finite] / 2, np.full(finite.sum(), d1 / 2), x)
    p[np.isinf(f)] = 0.0
    return table.select("sid").with_columns(seasonal=pl.Series(p < alpha))
