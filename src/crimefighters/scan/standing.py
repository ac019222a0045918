"""Standing among peers: each area's 12-month rate and its rank among areas of its kind.

For every series at the scan month, each borough's rate over the rolling 12 months, ranked
among the boroughs, and each BCU's, ranked among the BCUs; London's rate beside them, and the
rate of the area's family of similar boroughs (``geography.families``) with its rank within it.
This is structure, not this month's news: the briefing and the TUI show it as context.

The rate, by what a series counts (``basis``):
- ``per_residents``: counts per ``peer.per`` residents (1,000 by default; the population from
  boroughs.yaml), the 12 months summed. A series needs all 12 months.
- ``pooled``: proportions with a denominator, the 12 months' numerators over their
  denominators (positive outcomes / offences).
- ``mean``: other kinds (published percentages such as the PAS, durations), the mean of the
  values published in the 12 months.

BCU, family and London figures are built from the borough figures the same way (summed counts
over summed populations, summed numerators over summed denominators, the mean of the borough
values), so a BCU's rate is exactly its boroughs' together, and a borough without data (or
without a population) is left out of both sides of the division rather than counted as zero.

Ranks: 1 is the best for a measure with a direction of improvement (the lowest crime rate, the
highest outcome rate); for a neutral series 1 is the highest (``rank_order``). Ties share a rank.
"""

from __future__ import annotations

import polars as pl

from crimefighters.config.models import LONDON, Config

SERIES = ["measure", "level", "category"]
STANDING_COLUMNS: dict[str, pl.DataType] = {
    "area": pl.String(),
    "area_type": pl.String(),
    "measure": pl.String(),
    "level": pl.String(),
    "category": pl.String(),
    "kind": pl.String(),
    "direction": pl.String(),
    "basis": pl.String(),  # per_residents | pooled | mean
    "per": pl.Int64(),  # residents per rate (per_residents only)
    "value": pl.Float64(),  # the area's 12-month rate
    "numerator": pl.Float64(),  # offences in the 12 months, or the summed numerators
    "denominator": pl.Float64(),  # residents, or the summed denominators
    "boroughs": pl.Int32(),  # boroughs behind the figure
    "rank": pl.Int32(),
    "ranked": pl.Int32(),  # areas of the same kind with a figure
    "rank_order": pl.String(),  # best | highest
    "london": pl.Float64(),
    "family": pl.String(),
    "family_value": pl.Float64(),
    "family_rank": pl.Int32(),
    "family_ranked": pl.Int32(),
}


def area_standing(latest: pl.DataFrame, config: Config) -> pl.DataFrame:
    """``latest``: the scan grid at the scan month (every area; only boroughs are read), with
    ``num_12``, ``den_12``, ``obs_12``, ``kind`` and ``direction``. One row per borough and BCU
    series with a 12-month figure."""
    boroughs = _borough_figures(latest, config)
    if boroughs.height == 0:
        return pl.DataFrame(schema=STANDING_COLUMNS)
    bcu_of = {b.name: b.bcu for b in config.geography.boroughs}
    members = config.family_members()
    family_of = {
        a: config.family_of(a, members) for a in [*config.borough_names(), *config.bcu_names()]
    }
    boroughs = boroughs.with_columns(
        bcu=pl.col("area").replace_strict(bcu_of, default=None, return_dtype=pl.String),
        family=pl.col("area").replace_strict(family_of, default=None, return_dtype=pl.String),
    )
    bcus = _combine(boroughs.filter(pl.col("bcu").is_not_null()), "bcu").with_columns(
        area_type=pl.lit("bcu"),
        family=pl.col("area").replace_strict(family_of, default=None, return_dtype=pl.String),
    )
    london = _combine(boroughs.with_columns(_all=pl.lit(LONDON)), "_all").select(
        *SERIES, london="value"
    )
    families = _combine(boroughs.filter(pl.col("family").is_not_null()), "family").select(
        *SERIES, family="area", family_value="value"
    )
    areas = pl.concat(
        [boroughs.drop("bcu").with_columns(area_type=pl.lit("borough")), bcus],
        how="diagonal_relaxed",
    )
    areas = areas.join(london, on=SERIES, how="left").join(
        families, on=[*SERIES, "family"], how="left"
    )
    ascending = pl.col("direction") == "down"
    order = pl.when(ascending).then(pl.col("value")).otherwise(-pl.col("value"))
    areas = areas.with_columns(
        rank=order.rank("min").over(*SERIES, "area_type"),
        ranked=pl.len().over(*SERIES, "area_type"),
        family_rank=pl.when(pl.col("family").is_not_null()).then(
            order.rank("min").over(*SERIES, "area_type", "family")
        ),
        family_ranked=pl.when(pl.col("family").is_not_null()).then(
            pl.len().over(*SERIES, "area_type", "family")
        ),
        rank_order=pl.when(pl.col("direction") == "neutral")
        .then(pl.lit("highest"))
        .otherwise(pl.lit("best")),
    )
    return areas.select([pl.col(c).cast(t) for c, t in STANDING_COLUMNS.items()]).sort(
        "area_type", *SERIES, "rank", "area"
    )


def _borough_figures(latest: pl.DataFrame, config: Config) -> pl.DataFrame:
    """Each borough series' 12-month numerator, denominator and rate, by its basis."""
    population = {b.name: float(b.population) for b in config.geography.boroughs if b.population}
    per = {m.id: config.settings_for(m.id).peer.per for m in config.measures}
    rows = latest.filter(pl.col("area_type") == "borough").with_columns(
        population=pl.col("area").replace_strict(population, default=None, return_dtype=pl.Float64),
        per=pl.col("measure").replace_strict(per, default=1000, return_dtype=pl.Int64),
        basis=pl.when(pl.col("kind") == "count")
        .then(pl.lit("per_residents"))
        .when(pl.col("den_12").is_not_null() & (pl.col("den_12") > 0))
        .then(pl.lit("pooled"))
        .otherwise(pl.lit("mean")),
    )
    complete = (
        pl.when(pl.col("basis") == "per_residents")
        .then((pl.col("obs_12") == 12) & pl.col("population").is_not_null())
        .otherwise(pl.col("obs_12") > 0)
    )
    rows = rows.filter(complete).with_columns(
        # a stock's figure is its average level over the 12 months, not their sum
        numerator=pl.when(pl.col("stock").fill_null(False))
        .then(pl.col("num_12") / pl.col("obs_12"))
        .otherwise(pl.col("num_12")),
        denominator=pl.when(pl.col("basis") == "per_residents")
        .then(pl.col("population"))
        .when(pl.col("basis") == "pooled")
        .then(pl.col("den_12"))
        .otherwise(pl.col("obs_12").cast(pl.Float64)),
        boroughs=pl.lit(1, dtype=pl.Int32),
    )
    return rows.select(
        "area", *SERIES, "kind", "direction", "basis", "per", "numerator", "denominator", "boroughs"
    ).with_columns(value=_rate())


def _rate() -> pl.Expr:
    """Numerator over denominator, per ``per`` residents for counts. For the ``mean`` basis the
    numerator is the sum of the values and the denominator the number of them."""
    scale = pl.when(pl.col("basis") == "per_residents").then(pl.col("per")).otherwise(1)
    return pl.when(pl.col("denominator") > 0).then(
        pl.col("numerator") / pl.col("denominator") * scale
    )


def _combine(boroughs: pl.DataFrame, by: str) -> pl.DataFrame:
    """Borough figures added up by ``by`` (a BCU, a family, London). For the ``mean`` basis
    each borough's mean counts once (the mean of the borough values, as BCU series are)."""
    mean_basis = pl.col("basis").first() == "mean"
    return (
        boroughs.group_by(by, *SERIES)
        .agg(
            pl.col("kind").first(),
            pl.col("direction").first(),
            pl.col("basis").first(),
            pl.col("per").first(),
            numerator=pl.when(mean_basis)
            .then((pl.col("numerator") / pl.col("denominator")).sum())
            .otherwise(pl.col("numerator").sum()),
            denominator=pl.when(mean_basis)
            .then(pl.len().cast(pl.Float64))
            .otherwise(pl.col("denominator").sum()),
            boroughs=pl.len().cast(pl.Int32),
        )
        .rename({by: "area"})
        .with_columns(value=_rate())
    )
