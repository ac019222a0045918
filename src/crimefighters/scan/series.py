"""Monthly series to scan: one per area x measure x level x category.

Levels for recorded crime: ``minor`` (each published category), ``major`` (category groups),
``total`` (Total Notifiable Offences) and ``priority`` (each Police and Crime Plan priority,
a configured filter over categories per data-format family). Other measures have their own
categories at the ``minor`` level.

Areas: each borough, plus BCU and London aggregates (``area_type`` says which) so every view
can compare a borough with its BCU and London from the same frame.

For proportions with a denominator the analysed ``value`` is numerator / denominator; the
numerator and denominator are kept for the two-proportion tests.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from crimefighters.config.models import Config
from crimefighters.data.categories import canonical_map, is_non_notifiable
from crimefighters.months import month_add, months_between  # noqa: F401  (re-exported)
from crimefighters.present import TOTAL_LABEL

SERIES_KEYS = ["area", "area_type", "measure", "level", "category"]


def history_start(config: Config, scan_month: date) -> date:
    """Earliest month any method needs: SPC window, a year before FYTD, seasonal years."""
    spc = config.scan.spc.window
    seasonal = 12 * config.scan.seasonal.years
    yoy = 24 + 12  # rolling 12 vs the previous 12, and FYTD a year earlier
    return month_add(scan_month, -max(spc, seasonal, yoy) - 1)


def build_series(
    observations: pl.DataFrame, config: Config, scan_month: date, start: date | None = None
) -> pl.DataFrame:
    """Long frame of monthly values for every series, areas included, up to ``scan_month``."""
    start = start or history_start(config, scan_month)
    obs = observations.filter(pl.col("month").is_between(start, scan_month))
    if obs.height == 0:
        return _empty()
    levels = set(config.scan.levels)
    parts: list[pl.DataFrame] = []
    base = obs.select(
        "month",
        "borough",
        "measure",
        "category",
        "category_group",
        "family",
        "value",
        "denominator",
        "provisional",
    )
    if "minor" in levels:
        parts.append(
            _aggregate(
                base.with_columns(
                    level=pl.lit("minor"),
                    priority_id=pl.lit(None, dtype=pl.String),
                    _group=pl.col("category_group"),
                )
            )
        )
    grouped = base.filter(pl.col("category_group") != "")
    if "major" in levels and grouped.height:
        parts.append(
            _aggregate(
                grouped.with_columns(
                    category=pl.col("category_group"),
                    level=pl.lit("major"),
                    priority_id=pl.lit(None, dtype=pl.String),
                    _group=pl.col("category_group"),
                )
            )
        )
    if "total" in levels and grouped.height:
        notifiable = grouped.filter(~is_non_notifiable(config))
        parts.append(
            _aggregate(
                notifiable.with_columns(
                    category=pl.lit(TOTAL_LABEL),
                    level=pl.lit("total"),
                    priority_id=pl.lit(None, dtype=pl.String),
                    _group=pl.lit(""),
                )
            )
        )
    if "priority" in levels:
        parts.extend(_priority_parts(base, config))
    boroughs = (
        pl.concat([p for p in parts if p.height], how="vertical_relaxed") if parts else _empty()
    )
    if boroughs.height == 0:
        return _empty()
    boroughs = boroughs.with_columns(area=pl.col("borough"), area_type=pl.lit("borough")).drop(
        "borough"
    )
    areas = _area_aggregates(boroughs, config)
    series = pl.concat([boroughs, areas], how="vertical_relaxed")
    # Unsorted on purpose: every consumer groups or sorts what it needs (sorting ~150k rows on
    # five text keys cost a fifth of a scan).
    return _attach_measure_facts(series, config)


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "area": pl.String,
            "area_type": pl.String,
            "measure": pl.String,
            "level": pl.String,
            "category": pl.String,
            "priority_id": pl.String,
            "month": pl.Date,
            "numerator": pl.Float64,
            "denominator": pl.Float64,
            "value": pl.Float64,
            "provisional": pl.Boolean,
            "kind": pl.String,
            "direction": pl.String,
        }
    )


def _aggregate(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.group_by(
        "borough", "measure", "level", "category", "priority_id", "_group", "month"
    ).agg(
        numerator=pl.col("value").sum(),
        denominator=pl.when(pl.col("denominator").is_null().any())
        .then(pl.lit(None, dtype=pl.Float64))
        .otherwise(pl.col("denominator").sum()),
        provisional=pl.col("provisional").any(),
    )


def _priority_matches(base: pl.DataFrame, config: Config) -> pl.DataFrame:
    """Each observation row once per priority that selects it: a join on (measure, family,
    category name), with ``priority_id`` and ``label``."""
    rules = []
    whole_measure = []
    for p in config.priorities.definitions:
        # the priority's own measure, and the positive outcome rate over the same filters
        measures = [p.measure] if p.outcome_rate is None else [p.measure, p.outcome_rate]
        if not p.filters:
            whole_measure.extend((p.id, p.label, m) for m in measures)
            continue
        for family, spec in p.filters.items():
            for field, names in (("minor", spec.minor), ("major", spec.major)):
                for name in _casefolded(names, config):
                    rules.extend((p.id, p.label, m, family, field, name) for m in measures)
    rule_schema = {
        "priority_id": pl.String,
        "label": pl.String,
        "measure": pl.String,
        "family": pl.String,
        "field": pl.String,
        "name": pl.String,
    }
    rules_frame = pl.DataFrame(rules, schema=rule_schema, orient="row")
    rows = (
        base.drop("priority_id", strict=False)
        .with_row_index("_row")
        .with_columns(
            _minor=pl.col("category").str.to_lowercase(),
            _major=pl.col("category_group").str.to_lowercase(),
        )
    )
    matched = []
    for field, column in (("minor", "_minor"), ("major", "_major")):
        spec = rules_frame.filter(pl.col("field") == field).select(
            "priority_id", "label", "measure", "family", pl.col("name").alias(column)
        )
        matched.append(rows.join(spec, on=["measure", "family", column]))
    for pid, label, measure in whole_measure:
        matched.append(
            rows.filter(pl.col("measure") == measure).with_columns(
                priority_id=pl.lit(pid), label=pl.lit(label)
            )
        )
    both = pl.concat(
        [m.select(*rows.columns, "priority_id", "label") for m in matched], how="vertical_relaxed"
    )
    # a row matched by both a minor and a major name counts once
    return both.unique(["_row", "priority_id"]).drop("_row", "_minor", "_major")


def _priority_parts(base: pl.DataFrame, config: Config) -> list[pl.DataFrame]:
    both = _priority_matches(base, config)
    if both.height == 0:
        return []
    return [
        _aggregate(
            both.with_columns(
                category=pl.col("label"), level=pl.lit("priority"), _group=pl.lit("")
            ).drop("label")
        )
    ]


def membership(observations: pl.DataFrame, config: Config) -> pl.DataFrame:
    """Which series contain which: (measure, level, category) -> (container_level,
    container_category), for minor categories within their major category and within each
    priority that selects them, and major categories within those priorities. The total
    contains every notifiable category and is handled apart (it would join every event)."""
    base = observations.select("measure", "category", "category_group", "family").unique()
    schema = {
        "measure": pl.String,
        "level": pl.String,
        "category": pl.String,
        "container_level": pl.String,
        "container_category": pl.String,
    }
    parts = [
        base.filter(pl.col("category_group") != "").select(
            "measure",
            level=pl.lit("minor"),
            category="category",
            container_level=pl.lit("major"),
            container_category="category_group",
        )
    ]
    matched = _priority_matches(base.with_columns(value=pl.lit(0.0)), config)
    if matched.height:
        parts.append(
            matched.select(
                "measure",
                level=pl.lit("minor"),
                category="category",
                container_level=pl.lit("priority"),
                container_category="label",
            )
        )
        parts.append(
            matched.filter(pl.col("category_group") != "").select(
                "measure",
                level=pl.lit("major"),
                category="category_group",
                container_level=pl.lit("priority"),
                container_category="label",
            )
        )
    return pl.concat([p.cast(schema) for p in parts]).unique()


def priority_rows(rows: pl.DataFrame, priority, config: Config) -> pl.DataFrame:
    """The rows of ``priority``'s measure that its per-family filters select (all, if none)."""
    rows = rows.filter(pl.col("measure") == priority.measure)
    if not priority.filters:
        return rows
    condition = pl.lit(False)
    for family, spec in priority.filters.items():
        match = pl.col("category").str.to_lowercase().is_in(
            _casefolded(spec.minor, config)
        ) | pl.col("category_group").str.to_lowercase().is_in(_casefolded(spec.major, config))
        condition = condition | ((pl.col("family") == family) & match)
    return rows.filter(condition)


def _casefolded(names: list[str], config: Config) -> list[str]:
    mapping = canonical_map(names, config)
    return sorted({mapping[n].lower() for n in names} | {n.lower() for n in names})


def _area_aggregates(boroughs: pl.DataFrame, config: Config) -> pl.DataFrame:
    """BCU and London series: sums of counts; pooled rates; mean of published proportions."""
    bcu = pl.DataFrame(
        {
            "area": [b.name for b in config.geography.boroughs],
            "bcu": [b.bcu for b in config.geography.boroughs],
        }
    )
    with_bcu = boroughs.join(bcu, on="area", how="left")
    kinds = {m.id: m.kind for m in config.measures}
    summed_measures = [m for m, k in kinds.items() if k == "count"]
    frames = []
    for area_col, area_type in (("bcu", "bcu"), (None, "london")):
        keys = ["measure", "level", "category", "priority_id", "_group", "month"]
        group = [area_col, *keys] if area_col else keys
        agg = with_bcu.group_by(group).agg(
            numerator=pl.when(
                pl.col("measure").first().is_in(summed_measures)
                | pl.col("denominator").is_not_null().all()
            )
            .then(pl.col("numerator").sum())
            .otherwise(pl.col("numerator").mean()),
            denominator=pl.when(pl.col("denominator").is_null().any())
            .then(pl.lit(None, dtype=pl.Float64))
            .otherwise(pl.col("denominator").sum()),
            provisional=pl.col("provisional").any(),
            boroughs=pl.len(),
        )
        if area_col:
            agg = agg.rename({area_col: "area"})
        else:
            agg = agg.with_columns(area=pl.lit("London"))
        frames.append(
            agg.with_columns(area_type=pl.lit(area_type)).drop("boroughs").select(boroughs.columns)
        )
    return pl.concat(frames, how="vertical_relaxed")


def _attach_measure_facts(series: pl.DataFrame, config: Config) -> pl.DataFrame:
    """Kind, direction of improvement and the analysed value of every series.

    Direction: a priority's own ``direction`` wins; then ``categories.neutral`` (drug and
    weapon possession offences rise with proactive policing); then the measure's."""
    kinds = {m.id: m.kind for m in config.measures}
    directions = {m.id: m.direction for m in config.measures}
    priority_directions = {p.id: p.direction for p in config.priorities.definitions if p.direction}
    priority_measures = {p.id: p.measure for p in config.priorities.definitions}
    # A priority's direction is for its own measure, not for its outcome rate beside it.
    own_measure = pl.col("priority_id").replace_strict(priority_measures, default=None, return_dtype=pl.String) == pl.col("measure")
    neutral = [n.casefold() for n in config.categories.neutral]
    neutral_category = pl.col("category").str.to_lowercase().is_in(neutral) | pl.col("_group").str.to_lowercase().is_in(neutral)
    return series.with_columns(
        kind=pl.col("measure").replace_strict(kinds, default="count"),
        direction=pl.coalesce(
            pl.when(own_measure).then(pl.col("priority_id").replace_strict(priority_directions, default=None, return_dtype=pl.String)),
            pl.when(neutral_category.fill_null(False)).then(pl.lit("neutral")),
            pl.col("measure").replace_strict(directions, default="neutral"),
        ),
        value=pl.when(pl.col("denominator").is_not_null() & (pl.col("denominator") > 0))
        .then(pl.col("numerator") / pl.col("denominator"))
        .otherwise(pl.col("numerator")),
    ).drop("_group")

