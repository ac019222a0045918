"""Rates and proportions against the same window a year earlier, and targets.

- Numerator and denominator known (I-grade calls attended within 15 minutes / I-grade calls,
  positive outcomes / offences): the two-proportion test with the series' dispersion (a rate
  that varies more than binomial chance needs more evidence); on a low base (fewer than 10
  expected events on the rarer side) the exact conditional test on the rarer outcome instead.
- Only a percentage published, with a known survey sample (the PAS, ``rate.sample_size``):
  the two survey samples, each of that size.
- Only a percentage, no sample size: ``rate.pp_threshold`` points (MOPAC's +/-5 points).
A change must also be large enough to matter: ``rate.min_points`` percentage points, or
``rate.min_relative_pct`` of the earlier rate (a low rate collapsing from 1.5% to 0.1% is
news even though it moved 1.4 points).

Targets: missing the target in the month is a concern; meeting it after missing it the month
before is an improvement.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from crimefighters.scan.grid import WINDOW_MONTHS
from crimefighters.scan.methods import conform_tests, empty_tests
from crimefighters.scan.stats import conditional_poisson_p, two_sided_normal_p

LOW_BASE = 10


def rate_tests(frame: pl.DataFrame) -> pl.DataFrame:
    parts = []
    for window in ("1", "3", "12", "fytd"):
        rows = frame.filter(pl.col("rate_windows").list.contains(window))
        if rows.height == 0:
            continue
        length = pl.col(f"len_{window}") if window == "fytd" else pl.lit(WINDOW_MONTHS[window])
        with_den = rows.filter(pl.col("denominator").is_not_null())
        published = rows.filter(pl.col("denominator").is_null())
        if with_den.height:
            parts.append(_two_proportions(with_den, window, length))
        if published.height and window == "1":
            parts.append(_published(published))
    return pl.concat(parts) if parts else empty_tests()


def _two_proportions(rows: pl.DataFrame, window: str, length: pl.Expr) -> pl.DataFrame:
    rows = rows.filter(
        (pl.col(f"obs_{window}") == length) & (pl.col(f"prev_obs_{window}") == length)
    )
    rows = rows.with_columns(
        x2=pl.col(f"num_{window}"),
        n2=pl.col(f"den_{window}"),
        x1=pl.col(f"prev_num_{window}"),
        n1=pl.col(f"prev_den_{window}"),
        provisional=pl.col(f"prov_{window}") > 0,
        months=length.cast(pl.Int32),
    ).filter((pl.col("n1") > 0) & (pl.col("n2") > 0))
    if rows.height == 0:
        return empty_tests()
    rows = rows.with_columns(
        current=pl.col("x2") / pl.col("n2"), previous=pl.col("x1") / pl.col("n1")
    )
    pooled = (pl.col("x1") + pl.col("x2")) / (pl.col("n1") + pl.col("n2"))
    se = (pl.col("phi") * pooled * (1 - pooled) * (1 / pl.col("n1") + 1 / pl.col("n2"))).sqrt()
    rows = rows.with_columns(
        z=pl.when(se > 0).then((pl.col("current") - pl.col("previous")) / se), _pooled=pooled
    )
    z = rows["z"].fill_null(0.0).to_numpy()
    p_normal = two_sided_normal_p(z)
    # Low base: the exact conditional test on the rarer outcome, exposure = the denominators.
    rare_is_success = rows["_pooled"].to_numpy() <= 0.5
    x1, x2, n1, n2 = (rows[c].to_numpy() for c in ("x1", "x2", "n1", "n2"))
    r1 = np.where(rare_is_success, x1, n1 - x1)
    r2 = np.where(rare_is_success, x2, n2 - x2)
    low = (r1 + r2) < 2 * LOW_BASE
    p = p_normal.copy()
    if low.any():
        p[low] = conditional_poisson_p(
            r2[low], r1[low], (n2 / (n1 + n2))[low], rows["phi"].to_numpy()[low]
        )
    rows = rows.with_columns(
        p_value=pl.Series(p, dtype=pl.Float64), _low=pl.Series(low, dtype=pl.Boolean)
    )
    rows = rows.with_columns(
        p_value=pl.when(pl.col("z").is_null() & ~pl.col("_low"))
        .then(None)
        .otherwise(pl.col("p_value"))
    )
    points = (pl.col("current") - pl.col("previous")) * 100
    relative = pl.when(pl.col("previous") > 0).then(
        (pl.col("current") - pl.col("previous")) / pl.col("previous") * 100
    )
    big_enough = (points.abs() >= pl.col("rate_min_points")) | (
        relative.abs().fill_null(0) >= pl.col("rate_min_relative_pct")
    )
    enough = (pl.col("n1") >= pl.col("rate_min_denominator")) & (
        pl.col("n2") >= pl.col("rate_min_denominator")
    )
    falling = pl.col("current") < pl.col("previous")
    # recent outcome months undercount: a fall there is not tested
    untested = falling & pl.col("provisional") & pl.col("outcomes_family")
    rows = rows.with_columns(
        p_value=pl.when(untested).then(None).otherwise(pl.col("p_value")),
        note=pl.when(untested).then(
            pl.lit("provisional: recent outcomes are still being recorded")
        ),
    )
    rows = rows.with_columns(
        method=pl.lit("rate"),
        rule=pl.when(pl.col("_low")).then(pl.lit("exact_rate")).otherwise(pl.lit("two_proportion")),
        window=pl.lit(window),
        direction=pl.when(pl.col("current") >= pl.col("previous"))
        .then(pl.lit("up"))
        .otherwise(pl.lit("down")),
        value=pl.col("current"),
        baseline=pl.col("previous"),
        change=pl.col("current") - pl.col("previous"),
        change_pct=relative,
        alpha=pl.col("rate_alpha"),
        n_tests=pl.when(enough & pl.col("note").is_null()).then(1).otherwise(0),
        fired=enough & big_enough & (pl.col("current") != pl.col("previous")),
        can_lead=pl.lit(True),
        current_den=pl.col("n2"),
        previous_den=pl.col("n1"),
    )
    return conform_tests(rows)


def _published(rows: pl.DataFrame) -> pl.DataFrame:
    """A published percentage (value in 0-1) against the one published a year earlier."""
    rows = rows.filter(pl.col("value_12_ago").is_not_null())
    if rows.height == 0:
        return empty_tests()
    rows = rows.with_columns(
        current=pl.col("value"), previous=pl.col("value_12_ago"), months=pl.lit(1, dtype=pl.Int32)
    )
    n = pl.col("rate_sample_size").cast(pl.Float64)
    se = (
        pl.col("current") * (1 - pl.col("current")) / n
        + pl.col("previous") * (1 - pl.col("previous")) / n
    ).sqrt()
    rows = rows.with_columns(
        z=pl.when(n.is_not_null() & (se > 0)).then((pl.col("current") - pl.col("previous")) / se)
    )
    z = rows["z"].to_numpy().astype(float)
    p = np.where(np.isnan(z), np.nan, two_sided_normal_p(np.nan_to_num(z)))
    rows = rows.with_columns(p_value=pl.Series(p, dtype=pl.Float64).fill_nan(None))
    points = (pl.col("current") - pl.col("previous")) * 100
    relative = pl.when(pl.col("previous") > 0).then(
        (pl.col("current") - pl.col("previous")) / pl.col("previous") * 100
    )
    sampled = pl.col("rate_sample_size").is_not_null()
    big_enough = (points.abs() >= pl.col("rate_min_points")) | (
        relative.abs().fill_null(0) >= pl.col("rate_min_relative_pct")
    )
    rows = rows.with_columns(
        method=pl.lit("rate"),
        rule=pl.when(sampled).then(pl.lit("survey")).otherwise(pl.lit("pp_threshold")),
        window=pl.lit("1"),
        direction=pl.when(pl.col("current") >= pl.col("previous"))
        .then(pl.lit("up"))
        .otherwise(pl.lit("down")),
        value=pl.col("current"),
        baseline=pl.col("previous"),
        change=pl.col("current") - pl.col("previous"),
        change_pct=relative,
        alpha=pl.col("rate_alpha"),
        n_tests=pl.when(sampled).then(1).otherwise(0),
        fired=pl.when(sampled)
        .then(big_enough)
        .otherwise(points.abs() >= pl.col("rate_pp_threshold"))
        & (pl.col("current") != pl.col("previous")),
        can_lead=pl.lit(True),
        current_den=n,
        previous_den=n,
        provisional=pl.col("provisional"),
    )
    return conform_tests(rows)


def target_tests(frame: pl.DataFrame) -> pl.DataFrame:
    """Targets met or missed in the month (rule-based: no p-value, not in the family count)."""
    rows = frame.filter(pl.col("target").is_not_null() & pl.col("do_target"))
    if rows.height == 0:
        return empty_tests()
    at_least = pl.col("target_comparison") == ">="
    meets = lambda v: pl.when(at_least).then(v >= pl.col("target")).otherwise(v <= pl.col("target"))  # noqa: E731
    rows = rows.with_columns(met=meets(pl.col("value")), was_met=meets(pl.col("value_1_ago")))
    missed = ~pl.col("met")
    met_again = pl.col("met") & (pl.col("was_met") == False)  # noqa: E712
    rows = rows.with_columns(
        method=pl.lit("target"),
        rule=pl.when(missed).then(pl.lit("target_missed")).otherwise(pl.lit("target_met")),
        window=pl.lit("1"),
        # the way the value sits against the target: a miss on an "at least" target is "down"
        direction=pl.when(missed == at_least).then(pl.lit("down")).otherwise(pl.lit("up")),
        baseline=pl.col("target"),
        change=pl.col("value") - pl.col("target"),
        n_tests=pl.lit(0),
        fired=(missed | met_again).fill_null(False),
        can_lead=pl.lit(True),
        months=pl.lit(1, dtype=pl.Int32),
    )
    return conform_tests(rows)
