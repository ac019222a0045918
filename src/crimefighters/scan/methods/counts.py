"""Count tests against earlier windows: the seasonal baseline and the year-on-year windows.

Both use the exact conditional test for two Poisson counts (``stats.conditional_poisson_p``):
under no change, this window's count given the two windows' total is Binomial(total, share),
share = 1/2 against a year earlier and 1/(k + 1) against the same months of k earlier years.
That is the test methods.md pins, extended two ways the audit asked for:
- the baseline's own uncertainty is inside the test (a mean of k years is not a known mean);
- each count is divided by the series' dispersion phi (its own extra variation, from
  ``grid.with_dispersion``) before testing, so a series that varies 1.8 times as much as
  Poisson needs 1.8 times the evidence.

A fall in a window holding the provisional newest month is tested after putting back the
usual shortfall (``provisional.expected_shortfall_pct`` of that month), so revisions alone do
not make a drop. For positive outcomes, recent months undercount far more (investigations are
still open): a fall in a provisional window is not tested at all.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from crimefighters.scan.grid import WINDOW_MONTHS
from crimefighters.scan.methods import conform_tests, empty_tests
from crimefighters.scan.stats import conditional_poisson_p


def _direction(current: pl.Expr, baseline: pl.Expr) -> pl.Expr:
    return pl.when(current >= baseline).then(pl.lit("up")).otherwise(pl.lit("down"))


def _pct(current: pl.Expr, baseline: pl.Expr) -> pl.Expr:
    return pl.when(baseline > 0).then((current - baseline) / baseline * 100)


def _test(frame: pl.DataFrame, share: pl.Expr, shortfall_pct: float, drop_untested: pl.Expr) -> pl.DataFrame:
    """p-values for ``current`` against ``base`` (the baseline windows' sum), the current
    window's part of the exposure being ``share``. Only rows that passed their gates
    (``fired``) are tested: no other row can make or support a finding."""
    falling = pl.col("current") < pl.col("expected")
    untested = falling & pl.col("provisional") & drop_untested
    frame = frame.with_columns(
        _share=share,
        _tested=pl.when(falling & pl.col("provisional"))
        .then(pl.col("current") + pl.col("last_month") * shortfall_pct / 100)
        .otherwise(pl.col("current")),
        # a test that cannot run is not one of the area's tests this month
        n_tests=pl.when(untested).then(0).otherwise(pl.col("n_tests")),
        fired=pl.col("fired") & ~untested,
        note=pl.when(untested)
        .then(pl.lit("provisional: recent outcomes are still being recorded"))
        .when(falling & pl.col("provisional") & (shortfall_pct > 0))
        .then(pl.lit(f"tested with the usual {shortfall_pct:g}% revision of the newest month put back")),
    )
    fired = frame["fired"].to_numpy()
    p = np.full(frame.height, np.nan)
    if fired.any():
        p[fired] = conditional_poisson_p(
            frame["_tested"].to_numpy()[fired],
            frame["base"].to_numpy()[fired],
            frame["_share"].to_numpy()[fired],
            frame["phi"].to_numpy()[fired],
        )
    return frame.with_columns(p_value=pl.Series(p, dtype=pl.Float64).fill_nan(None))


def seasonal_tests(frame: pl.DataFrame, shortfall_pct: float, max_years: int) -> pl.DataFrame:
    """The month (and the 3 months to it) against the same months of up to k previous years."""
    parts = []
    for window, months in (("1", 1), ("3", 3)):
        rows = frame.filter(pl.col("seasonal_windows").list.contains(window) & (pl.col(f"obs_{window}") == months))
        if rows.height == 0:
            continue
        # k: the most previous years (up to the measure's setting) whose windows are complete
        k = pl.lit(0, dtype=pl.Int32)
        running = pl.lit(True)
        for j in range(1, max_years + 1):
            running = running & ((pl.col(f"base{j}_obs_{window}") == months) & (pl.col("seasonal_years") >= j)).fill_null(False)
            k = pl.when(running).then(pl.lit(j, dtype=pl.Int32)).otherwise(k)
        base = pl.lit(0.0)
        for j in range(1, max_years + 1):
            base = base + pl.when(k >= j).then(pl.col(f"base{j}_num_{window}")).otherwise(0.0)
        rows = rows.with_columns(years=k, base=base, current=pl.col(f"num_{window}"), months=pl.lit(months, dtype=pl.Int32))
        rows = rows.filter(pl.col("years") >= 1).with_columns(
            expected=pl.col("base") / pl.col("years"),
            provisional=pl.col(f"prov_{window}") > 0,
            last_month=pl.col("numerator"),
        )
        eligible = pl.col("expected") / months >= pl.col("seasonal_min_volume")
        pct = _pct(pl.col("current"), pl.col("expected"))
        rows = rows.with_columns(
            n_tests=pl.when(eligible).then(1).otherwise(0),
            fired=eligible & (pct.abs().fill_null(float("inf")) >= pl.col("yoy_min_pct")) & (pl.col("current") != pl.col("expected")),
        )
        rows = _test(rows, 1 / (1 + pl.col("years").cast(pl.Float64)), shortfall_pct, pl.col("outcomes_family"))
        parts.append(_as_tests(rows, "seasonal", "seasonal", window, pct))
    return pl.concat(parts) if parts else empty_tests()


def yoy_tests(frame: pl.DataFrame, shortfall_pct: float) -> pl.DataFrame:
    """The published windows (rolling 12 months, financial year to date) against a year earlier."""
    parts = []
    for window in ("1", "3", "12", "fytd"):
        rows = frame.filter(pl.col("yoy_windows").list.contains(window))
        length = pl.col(f"len_{window}") if window == "fytd" else pl.lit(WINDOW_MONTHS[window])
        rows = rows.filter((pl.col(f"obs_{window}") == length) & (pl.col(f"prev_obs_{window}") == length))
        if rows.height == 0:
            continue
        rows = rows.with_columns(
            current=pl.col(f"num_{window}"),
            base=pl.col(f"prev_num_{window}"),
            expected=pl.col(f"prev_num_{window}"),
            provisional=pl.col(f"prov_{window}") > 0,
            last_month=pl.col("numerator"),
            months=length.cast(pl.Int32),
            years=pl.lit(1, dtype=pl.Int32),
        )
        pct = _pct(pl.col("current"), pl.col("expected"))
        eligible = (pl.col("current") + pl.col("expected")) >= pl.col("yoy_min_volume")
        rows = rows.with_columns(
            n_tests=pl.when(eligible).then(1).otherwise(0),
            fired=eligible & (pct.abs().fill_null(float("inf")) >= pl.col("yoy_min_pct")) & (pl.col("current") != pl.col("expected")),
        )
        rows = _test(rows, pl.lit(0.5), shortfall_pct, pl.col("outcomes_family"))
        parts.append(_as_tests(rows, "yoy", "poisson_exact", window, pct))
    return pl.concat(parts) if parts else empty_tests()


def _as_tests(rows: pl.DataFrame, method: str, rule: str, window: str, pct: pl.Expr) -> pl.DataFrame:
    """A count comparison's rows in the tests' columns: this window against what was expected."""
    return conform_tests(
        rows.with_columns(
            method=pl.lit(method),
            rule=pl.lit(rule),
            window=pl.lit(window),
            direction=_direction(pl.col("current"), pl.col("expected")),
            value=pl.col("current"),
            baseline=pl.col("expected"),
            change=pl.col("current") - pl.col("expected"),
            change_pct=pct,
            alpha=pl.col("yoy_alpha"),  # seasonal shares yoy's significance level
            can_lead=pl.lit(True),
            z=_wheeler(pl.col("current"), pl.col("expected")),
        )
    )


def _wheeler(current: pl.Expr, previous: pl.Expr) -> pl.Expr:
    """Wheeler's z = 2 (sqrt(x2) - sqrt(x1)): a readable size of a change in counts."""
    return 2 * (current.clip(lower_bound=0).sqrt() - previous.clip(lower_bound=0).sqrt())
