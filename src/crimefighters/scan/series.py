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

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from crimefighters.config.models import LONDON, Config
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


COMBINATION = ["borough", "measure", "category", "category_group", "family"]


@dataclass(frozen=True)
class Observed:
    """The observations a scan reads, after one pass over them.

    ``combinations``: each distinct (borough, measure, category, category_group, family) with
    its number ``combo``, its ``volume`` (the value summed over every month loaded), its
    ``latest`` month, ``rows`` (its months from ``start`` to ``end``) and ``at_end`` (it has
    the month ``end``). ``rows``: (combo, month, value, denominator, provisional) for the
    months from ``start`` to ``end``.

    Every text comparison the scan makes on categories (priority filters, notifiable, neutral
    categories, major categories) is made once per combination, never per observation row,
    and the rows are then added up by integer keys: text keys made the group-bys and joins
    grow faster than the data (a tenth of a scan at 1x, a third at 10x).
    """

    combinations: pl.DataFrame
    rows: pl.DataFrame  # in combination order: each combination's ``rows`` rows together


def observe(observations: pl.DataFrame, start: date, end: date) -> Observed:
    """Two streamed passes over ``observations``: their combinations, then the rows from
    ``start`` to ``end`` numbered by combination.

    Streamed (Polars' streaming engine) so that neither pass holds more than a batch of rows
    at once beyond its result: one group-by gathering each combination's rows as lists held
    2.5 times the observations at 20x, and took twice as long."""
    in_range = pl.col("month").is_between(start, end)
    combinations = (
        observations.lazy()
        .group_by(COMBINATION)
        .agg(
            volume=pl.col("value").sum(),
            latest=pl.col("month").max(),
            at_end=(pl.col("month") == end).any(),
            rows=in_range.sum().cast(pl.UInt32),
        )
        .collect(engine="streaming")
        .sort(COMBINATION, nulls_last=True)
        .with_row_index("combo")
    )
    rows = (
        observations.lazy()
        .filter(in_range)
        .select(*COMBINATION, "month", "value", "denominator", "provisional")
        .join(combinations.lazy().select("combo", *COMBINATION), on=COMBINATION, nulls_equal=True)
        .select("combo", "month", "value", "denominator", "provisional")
        .collect(engine="streaming")
        .sort("combo", maintain_order=True)
    )
    return Observed(combinations=combinations, rows=rows)


def with_outcomes_provisional(observed: Observed, config: Config) -> Observed:
    """Positive outcomes for recent months undercount (investigations are still open): the
    last ``outcomes.provisional_months`` months of each outcome measure (counted back from
    that measure's latest month loaded) are provisional, whatever source they came from."""
    months = config.outcomes.provisional_months
    outcome_measures = [m.id for m in config.measures if m.family == "positive_outcomes"]
    if months == 0 or not outcome_measures:
        return observed
    combos = observed.combinations
    first = combos.with_columns(_latest=pl.col("latest").max().over("measure")).select(
        "combo",
        _from=pl.when(pl.col("measure").is_in(outcome_measures)).then(
            month_index("_latest") - (months - 1)
        ),
    )
    rows = (
        observed.rows.join(first, on="combo", how="left")
        .with_columns(
            provisional=pl.col("provisional") | (month_index() >= pl.col("_from")).fill_null(False)
        )
        .drop("_from")
    )
    return Observed(combinations=combos, rows=rows)


def month_index(column: str = "month") -> pl.Expr:
    """Months since year 0: consecutive months differ by one."""
    return (
        pl.col(column).dt.year().cast(pl.Int32) * 12 + pl.col(column).dt.month().cast(pl.Int32) - 1
    )


@dataclass(frozen=True)
class SeriesTable:
    """Every series to scan, numbered. ``keys``: one row per series, ``sid`` its number in the
    order of ``SERIES_KEYS``, with ``priority_id``, ``kind``, ``direction`` and ``_summed``
    (its BCU and London figures are sums of the boroughs'). ``values(keys)``:
    (sid, month, numerator, denominator, value, provisional), one row per series month with
    data, for the series of ``keys`` (every area of their measure, level and category)."""

    keys: pl.DataFrame
    observed: Observed
    sources: pl.DataFrame  # (combo, sid, level): the borough series each combination is in
    bcu: pl.DataFrame  # (area, _bcu)

    def values(self, keys: pl.DataFrame | None = None) -> pl.DataFrame:
        """The monthly values of the series of ``keys`` (all if None): the rows of the
        combinations in them, gathered by position (the rows are in combination order), added
        up by borough series level by level, then by BCU and London."""
        keys = self.keys if keys is None else keys
        boroughs_wanted = keys.filter(pl.col("area_type") == "borough").select("sid")
        sources = self.sources.join(boroughs_wanted, on="sid", how="semi")
        if sources.height == 0:
            return _empty_values()
        counts = self.observed.combinations["rows"].to_numpy().astype(np.int64)
        starts = np.cumsum(counts) - counts
        # level by level, so the rows are never repeated for every level at once (a row is in
        # its minor category, its major category, the total and its priorities); and a level
        # in batches of its series of about VALUE_ROWS rows, so a level that reads every row
        # (the total, the priorities) never gathers and joins them all at once
        frames = []
        for level in sources["level"].unique(maintain_order=True):
            at_level = sources.filter(pl.col("level") == level).drop("level")
            batches = (
                at_level.with_columns(_n=pl.Series(counts[at_level["combo"].to_numpy()]))
                .group_by("sid", maintain_order=True)
                .agg(pl.col("_n").sum())
                .select("sid", _batch=(pl.col("_n").cum_sum() - pl.col("_n")) // VALUE_ROWS)
            )
            for batch in batches.partition_by("_batch", include_key=False, maintain_order=True):
                batch_sources = at_level.join(batch, on="sid", how="semi", maintain_order="left")
                rows = self._rows(batch_sources["combo"], counts, starts)
                frames.append(
                    _borough_values(rows.join(batch_sources, on="combo", maintain_order="left"))
                )
        boroughs = pl.concat(frames)
        values = pl.concat(
            [boroughs, _area_values(boroughs, keys, self.bcu)], how="vertical_relaxed"
        )
        return values.select(
            "sid",
            "month",
            "numerator",
            "denominator",
            value=pl.when(pl.col("denominator").is_not_null() & (pl.col("denominator") > 0))
            .then(pl.col("numerator") / pl.col("denominator"))
            .otherwise(pl.col("numerator")),
            provisional="provisional",
        )

    def _rows(self, combos: pl.Series, counts: np.ndarray, starts: np.ndarray) -> pl.DataFrame:
        """The rows of ``combos``, gathered by position (the rows are in combination order)."""
        wanted = combos.unique().sort().to_numpy()
        n = counts[wanted]
        index = np.repeat(starts[wanted] - (np.cumsum(n) - n), n) + np.arange(n.sum())
        rows = self.observed.rows
        return rows[index] if len(index) < rows.height else rows


VALUE_ROWS = 1_000_000
"""Observation rows joined to their series at once in ``SeriesTable.values`` (a part's series
of one level are summed in batches of about this many rows)."""


def series_table(observed: Observed, config: Config) -> SeriesTable:
    """Every area x measure x level x category series of ``observed``'s rows."""
    bcu = pl.DataFrame(
        {
            "area": [b.name for b in config.geography.boroughs],
            "_bcu": [b.bcu for b in config.geography.boroughs],
        }
    )
    contributions = _contributions(observed.combinations.filter(pl.col("rows") > 0), config)
    if contributions.height == 0:
        empty = pl.DataFrame(schema={"combo": pl.UInt32, "sid": pl.UInt32, "level": pl.String})
        return SeriesTable(keys=_empty_keys(), observed=observed, sources=empty, bcu=bcu)
    borough_keys = contributions.select(_UKEY).unique().with_columns(area_type=pl.lit("borough"))
    with_bcu = borough_keys.join(bcu, on="area", how="left")
    bcu_keys = with_bcu.select(
        pl.col("_bcu").alias("area"), pl.exclude("area", "_bcu")
    ).with_columns(area_type=pl.lit("bcu"))
    london_keys = borough_keys.with_columns(area=pl.lit(LONDON), area_type=pl.lit("london"))
    every = _with_measure_facts(pl.concat([borough_keys, bcu_keys, london_keys]).unique(), config)
    # one row per series; where two spellings of its attributes exist (a minor category
    # under two major categories in two releases), the first in order
    keys = (
        every.sort([*SERIES_KEYS, "priority_id", "_group"], nulls_last=False)
        .unique(SERIES_KEYS, keep="first", maintain_order=True)
        .select(*SERIES_KEYS, "priority_id", "kind", "direction", "_summed")
        .with_row_index("sid")
    )
    sources = contributions.join(
        keys.filter(pl.col("area_type") == "borough").select("sid", *SERIES_KEYS),
        on=[c for c in SERIES_KEYS if c != "area_type"],
    ).select("combo", "sid", "level")
    return SeriesTable(keys=keys, observed=observed, sources=sources, bcu=bcu)


_UKEY = ["area", "measure", "level", "category", "priority_id", "_group"]


def _contributions(combos: pl.DataFrame, config: Config) -> pl.DataFrame:
    """(combo, area, measure, level, category, priority_id, _group): each borough series a
    combination's rows are part of. ``_group``: the major category a minor or major series
    is in (for neutral categories)."""
    levels = set(config.scan.levels)
    parts: list[pl.DataFrame] = []
    none = pl.lit(None, dtype=pl.String)
    if "minor" in levels:
        parts.append(
            combos.select("combo", area="borough", measure="measure", level=pl.lit("minor"), category="category",
                          priority_id=none, _group="category_group")
        )  # fmt: skip
    grouped = combos.filter(pl.col("category_group") != "")
    if "major" in levels and grouped.height:
        parts.append(
            grouped.select("combo", area="borough", measure="measure", level=pl.lit("major"), category="category_group",
                           priority_id=none, _group="category_group")
        )  # fmt: skip
    if "total" in levels and grouped.height:
        parts.append(
            grouped.filter(~is_non_notifiable(config)).select(
                "combo", area="borough", measure="measure", level=pl.lit("total"), category=pl.lit(TOTAL_LABEL),
                priority_id=none, _group=pl.lit(""),
            )
        )  # fmt: skip
    if "priority" in levels:
        matched = _priority_matches(combos, config)
        if matched.height:
            parts.append(
                matched.select("combo", area="borough", measure="measure", level=pl.lit("priority"), category="label",
                               priority_id="priority_id", _group=pl.lit(""))
            )  # fmt: skip
    schema = {"combo": pl.UInt32, "area": pl.String, "measure": pl.String, "level": pl.String, "category": pl.String,
              "priority_id": pl.String, "_group": pl.String}  # fmt: skip
    return pl.concat([p.cast(schema) for p in parts]) if parts else pl.DataFrame(schema=schema)


def _borough_values(rows: pl.DataFrame) -> pl.DataFrame:
    """(sid, month, numerator, denominator, provisional): the rows of each borough series
    month added up; the denominator is missing if any row's is."""
    return (
        rows.group_by("sid", "month")
        .agg(
            numerator=pl.col("value").sum(),
            _denominator=pl.col("denominator").sum(),
            _missing=pl.col("denominator").null_count(),
            provisional=pl.col("provisional").any(),
        )
        .select(
            "sid",
            "month",
            "numerator",
            denominator=pl.when(pl.col("_missing") == 0).then(pl.col("_denominator")),
            provisional="provisional",
        )
    )


def _area_values(boroughs: pl.DataFrame, keys: pl.DataFrame, bcu: pl.DataFrame) -> pl.DataFrame:
    """BCU and London series: sums of counts; pooled rates; mean of published proportions."""
    borough = keys.filter(pl.col("area_type") == "borough").join(bcu, on="area", how="left")
    frames = []
    for area, area_type in (("_bcu", "bcu"), (None, "london")):
        target = keys.filter(pl.col("area_type") == area_type).select(
            pl.col("sid").alias("_to"), "area", "measure", "level", "category"
        )
        mapping = borough.select("sid", "_summed", area=pl.col(area) if area else pl.lit(LONDON), measure="measure",
                                 level="level", category="category")  # fmt: skip
        # (a borough without a BCU has no BCU series)
        mapping = mapping.join(target, on=["area", "measure", "level", "category"]).select(
            "sid", "_to", "_summed"
        )
        agg = (
            boroughs.join(mapping, on="sid")
            .group_by("_to", "month")
            .agg(
                _sum=pl.col("numerator").sum(),
                _mean=pl.col("numerator").mean(),
                _summed=pl.col("_summed").first(),
                _denominator=pl.col("denominator").sum(),
                _missing=pl.col("denominator").null_count(),
                provisional=pl.col("provisional").any(),
            )
            .select(
                sid="_to",
                month="month",
                numerator=pl.when(pl.col("_summed") | (pl.col("_missing") == 0))
                .then(pl.col("_sum"))
                .otherwise(pl.col("_mean")),
                denominator=pl.when(pl.col("_missing") == 0).then(pl.col("_denominator")),
                provisional="provisional",
            )
        )
        frames.append(agg)
    return pl.concat(frames)


def _empty_keys() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"sid": pl.UInt32, "area": pl.String, "area_type": pl.String, "measure": pl.String, "level": pl.String,
                "category": pl.String, "priority_id": pl.String, "kind": pl.String, "direction": pl.String,
                "_summed": pl.Boolean}
    )  # fmt: skip


def _empty_values() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"sid": pl.UInt32, "month": pl.Date, "numerator": pl.Float64, "denominator": pl.Float64,
                "value": pl.Float64, "provisional": pl.Boolean}
    )  # fmt: skip


def build_series(
    observations: pl.DataFrame, config: Config, scan_month: date, start: date | None = None
) -> pl.DataFrame:
    """Long frame of monthly values for every series, areas included, up to ``scan_month``:
    SERIES_KEYS, priority_id, month, numerator, denominator, value, provisional, kind and
    direction."""
    start = start or history_start(config, scan_month)
    table = series_table(observe(observations, start, scan_month), config)
    return table.values().join(table.keys.drop("_summed"), on="sid").drop("sid")


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


def _with_measure_facts(keys: pl.DataFrame, config: Config) -> pl.DataFrame:
    """Kind, direction of improvement and whether area figures are sums, for every series.

    Direction: a priority's own ``direction`` wins; then ``categories.neutral`` (drug and
    weapon possession offences rise with proactive policing); then the measure's."""
    kinds = {m.id: m.kind for m in config.measures}
    directions = {m.id: m.direction for m in config.measures}
    priority_directions = {p.id: p.direction for p in config.priorities.definitions if p.direction}
    priority_measures = {p.id: p.measure for p in config.priorities.definitions}
    # A priority's direction is for its own measure, not for its outcome rate beside it.
    own_measure = pl.col("priority_id").replace_strict(
        priority_measures, default=None, return_dtype=pl.String
    ) == pl.col("measure")
    neutral = [n.casefold() for n in config.categories.neutral]
    neutral_category = pl.col("category").str.to_lowercase().is_in(neutral) | pl.col(
        "_group"
    ).str.to_lowercase().is_in(neutral)
    return keys.with_columns(
        kind=pl.col("measure").replace_strict(kinds, default="count"),
        direction=pl.coalesce(
            pl.when(own_measure).then(
                pl.col("priority_id").replace_strict(
                    priority_directions, default=None, return_dtype=pl.String
                )
            ),
            pl.when(neutral_category.fill_null(False)).then(pl.lit("neutral")),
            pl.col("measure").replace_strict(directions, default="neutral"),
        ),
        # counts are summed over boroughs; so are proportions whose denominators are all known
        _summed=pl.col("measure").is_in([m for m, k in kinds.items() if k == "count"]),
    )
