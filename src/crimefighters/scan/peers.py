"""Peers: each borough's rate against London's, with funnel limits.

Counts are compared per resident over the rolling 12 months (``peer.per`` residents, the
population from boroughs.yaml): expected E = London rate x population, z = (O - E) / sqrt(E).
Proportions with a denominator use binomial limits: z = (p - p_London) / sqrt(p_L (1 - p_L) / n).
Limits at 95% (z = 1.959964) and 99.8% (z = 3.090232), centred on London.

With ``overdispersion`` (Spiegelhalter 2005) the spread between boroughs beyond chance is
estimated from the 10%-winsorised z-scores, phi = mean(z^2); where phi > 1 the limits widen by
sqrt(phi), so only boroughs unusual beyond the usual spread are flagged.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from crimefighters.config.models import Config, PeerSettings


def funnel(sums: pl.DataFrame, config: Config, settings: PeerSettings) -> pl.DataFrame:
    """One row per borough series with rate, London rate, z and funnel flags.

    ``sums`` comes from ``yoy.window_sums`` for one window (boroughs and London rows).
    """
    population = {b.name: b.population for b in config.geography.boroughs if b.population}
    boroughs = sums.filter(pl.col("area_type") == "borough")
    london = sums.filter(pl.col("area_type") == "london").select(
        "measure",
        "level",
        "category",
        london_num=pl.col("current_num"),
        london_den=pl.col("current_den"),
        london_has_den=pl.col("has_den"),
    )
    frame = boroughs.join(london, on=["measure", "level", "category"])
    if frame.height == 0:
        return frame
    total_population = float(sum(population.values())) or 1.0
    counts = pl.col("kind") == "count"
    proportions = (pl.col("kind") == "proportion") & pl.col("has_den") & pl.col("london_has_den")
    frame = frame.filter(counts | proportions).with_columns(
        population=pl.col("area").replace_strict(population, default=None, return_dtype=pl.Float64)
    )
    frame = frame.filter(~counts | pl.col("population").is_not_null())
    per = float(settings.per)
    frame = frame.with_columns(
        rate=pl.when(counts)
        .then(pl.col("current_num") / pl.col("population") * per)
        .otherwise(pl.col("current_num") / pl.col("current_den")),
        london_rate=pl.when(counts)
        .then(pl.col("london_num") / total_population * per)
        .otherwise(pl.col("london_num") / pl.col("london_den")),
    )
    expected = pl.col("london_num") / total_population * pl.col("population")
    p_l = pl.col("london_num") / pl.col("london_den")
    z = (
        pl.when(counts)
        .then(pl.when(expected > 0).then((pl.col("current_num") - expected) / expected.sqrt()))
        .otherwise(
            pl.when((p_l > 0) & (p_l < 1)).then(
                (pl.col("rate") - p_l) / (p_l * (1 - p_l) / pl.col("current_den")).sqrt()
            )
        )
    )
    frame = frame.with_columns(z=z)
    if settings.overdispersion:
        frame = frame.join(
            _phi(frame), on=["measure", "level", "category"], how="left"
        ).with_columns(z=pl.col("z") / pl.col("phi").clip(lower_bound=1.0).sqrt())
    else:
        frame = frame.with_columns(phi=pl.lit(1.0))
    return frame.with_columns(
        funnel_95=pl.col("z").abs() > settings.z95,
        funnel_998=pl.col("z").abs() > settings.z998,
    )


def _phi(frame: pl.DataFrame) -> pl.DataFrame:
    """Spiegelhalter's over-dispersion factor per series, from 10%-winsorised z-scores."""
    rows = []
    for (measure, level, category), group in frame.group_by(["measure", "level", "category"]):
        z = group["z"].drop_nulls().to_numpy()
        if len(z) < 5:
            rows.append((measure, level, category, 1.0))
            continue
        low, high = np.quantile(z, [0.1, 0.9])
        w = np.clip(z, low, high)
        rows.append((measure, level, category, float(np.mean(w**2))))
    return pl.DataFrame(
        rows,
        schema={"measure": pl.String, "level": pl.String, "category": pl.String, "phi": pl.Float64},
        orient="row",
    )
