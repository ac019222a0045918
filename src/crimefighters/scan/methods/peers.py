"""Peers: each borough's rolling 12-month rate against London's, with funnel limits.

Counts per resident (``peer.per`` residents, the population from boroughs.yaml): expected
E = London rate x population, z = (O - E) / sqrt(E). Proportions with a denominator:
z = (p - p_London) / sqrt(p_L (1 - p_L) / n). Limits at 95% and 99.8%, centred on London.
London is the boroughs that have data for the series: a file of four boroughs is compared
with those four, never divided by all 32 boroughs' population.

With ``overdispersion`` (Spiegelhalter 2005) the usual spread between boroughs beyond chance
is estimated from the 10%-winsorised z-scores, phi = mean(z^2); where phi > 1 the limits
widen by sqrt(phi), so only boroughs unusual beyond that spread are flagged.

Standing against London is structure (Westminster's daytime population), not this month's
news: it is shown as context. A change of standing is a test that can make a finding: from
inside the 95% limits last month to beyond the flagging limit now, or back from beyond the
flagging limit to inside the 95% limits (the band between is hysteresis, so a borough sitting
on the line does not flip in and out every month).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from crimefighters.config.models import Config
from crimefighters.scan.methods import conform_tests, empty_tests
from crimefighters.scan.stats import two_sided_normal_p

GROUP = ["measure", "level", "category", "asof"]


def funnel(rows: pl.DataFrame, config: Config) -> pl.DataFrame:
    """One row per borough series and month: rate, London rate, z, phi and the funnel flags.

    ``rows``: borough series at the months wanted with ``num_12``, ``den_12``, ``obs_12`` and the
    peer settings (``peer_*``) joined.
    """
    population = {b.name: float(b.population) for b in config.geography.boroughs if b.population}
    rows = rows.filter(pl.col("obs_12") == 12).with_columns(
        population=pl.col("area").replace_strict(population, default=None, return_dtype=pl.Float64)
    )
    counts = pl.col("kind") == "count"
    proportions = (
        (pl.col("kind") == "proportion") & pl.col("den_12").is_not_null() & (pl.col("den_12") > 0)
    )
    rows = rows.filter((counts & pl.col("population").is_not_null()) | proportions)
    if rows.height == 0:
        return rows
    rows = rows.with_columns(
        london_num=pl.col("num_12").sum().over(GROUP),
        london_den=pl.when(counts)
        .then(pl.col("population"))
        .otherwise(pl.col("den_12"))
        .sum()
        .over(GROUP),
        boroughs=pl.len().over(GROUP),
    )
    per = pl.col("peer_per").cast(pl.Float64)
    p_l = pl.col("london_num") / pl.col("london_den")
    rows = rows.with_columns(
        rate=pl.when(counts)
        .then(pl.col("num_12") / pl.col("population") * per)
        .otherwise(pl.col("num_12") / pl.col("den_12")),
        london_rate=pl.when(counts).then(p_l * per).otherwise(p_l),
    )
    expected = p_l * pl.col("population")
    z = (
        pl.when(counts)
        .then(pl.when(expected > 0).then((pl.col("num_12") - expected) / expected.sqrt()))
        .otherwise(
            pl.when((p_l > 0) & (p_l < 1)).then(
                (pl.col("rate") - p_l) / (p_l * (1 - p_l) / pl.col("den_12")).sqrt()
            )
        )
    )
    rows = rows.with_columns(z=z)
    phi = _phi(rows)
    rows = rows.join(phi, on=GROUP, how="left").with_columns(
        phi_peer=pl.when(pl.col("peer_overdispersion"))
        .then(pl.col("phi_peer").fill_null(1.0))
        .otherwise(1.0)
    )
    rows = rows.with_columns(z=pl.col("z") / pl.col("phi_peer").clip(lower_bound=1.0).sqrt())
    return rows.with_columns(
        funnel_95=pl.col("z").abs() > pl.col("peer_z95"),
        funnel_998=pl.col("z").abs() > pl.col("peer_z998"),
    ).with_columns(
        outside=pl.when(pl.col("peer_flag_at") == "funnel_95")
        .then(pl.col("funnel_95"))
        .otherwise(pl.col("funnel_998"))
    )


def _phi(rows: pl.DataFrame) -> pl.DataFrame:
    """Spiegelhalter's over-dispersion factor per series and month, from winsorised z-scores."""
    z = pl.col("z").drop_nulls()
    low, high = z.quantile(0.1), z.quantile(0.9)
    return (
        rows.group_by(GROUP)
        .agg(phi_peer=z.clip(low, high).pow(2).mean(), _n=z.len())
        .with_columns(phi_peer=pl.when(pl.col("_n") >= 5).then(pl.col("phi_peer")).otherwise(1.0))
        .drop("_n")
    )


def peer_tests(standing: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Standing (context, never a finding) and changes of standing since the month before."""
    if standing.height == 0:
        return empty_tests()
    before = previous.select(
        "sid",
        asof=pl.col("asof").dt.offset_by("1mo"),
        was_outside=pl.col("outside"),
        was_inside=~pl.col("funnel_95"),
    )
    rows = standing.join(before, on=["sid", "asof"], how="left")
    changed = (pl.col("outside") & pl.col("was_inside")) | (
        ~pl.col("funnel_95") & pl.col("was_outside")
    )
    changed = changed.fill_null(False)
    p = two_sided_normal_p(rows["z"].fill_null(0.0).to_numpy())
    rows = rows.with_columns(p_value=pl.Series(np.asarray(p), dtype=pl.Float64))
    rows = rows.with_columns(
        method=pl.lit("peer"),
        rule=pl.when(changed).then(pl.lit("standing_changed")).otherwise(pl.lit("funnel")),
        window=pl.lit("12"),
        # a move back inside the limits is a move towards London
        direction=pl.when((pl.col("z") > 0) == (~changed | pl.col("outside")))
        .then(pl.lit("up"))
        .otherwise(pl.lit("down")),
        value=pl.col("rate"),
        baseline=pl.col("london_rate"),
        change=pl.col("rate") - pl.col("london_rate"),
        change_pct=pl.when(pl.col("london_rate") != 0).then(
            (pl.col("rate") / pl.col("london_rate") - 1) * 100
        ),
        n_tests=pl.lit(0),
        fired=pl.col("outside") | changed,
        can_lead=changed,
        phi=pl.col("phi_peer"),
        months=pl.lit(12, dtype=pl.Int32),
        note=pl.when(changed & pl.col("outside"))
        .then(pl.lit("newly outside the London funnel this month"))
        .when(changed)
        .then(pl.lit("back inside the London funnel this month")),
    )
    return conform_tests(rows)
