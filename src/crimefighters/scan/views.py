"""A view: a fixed set of series (config ``views``) for one area, found or not.

The serious-violence CrimeFighters "tracks levels of stop search and arrest against prolific
firearms offenders and habitual knife carriers": ``config/views.yaml`` lists the published
series nearest to it. For each series: this month's value and SPC state, the month and the 12
months against a year earlier, whether it is part of a finding, and the positive outcome rate
over the same category where the view names one. Nothing is computed here: everything is read
from the scan. A series says where its data stops: a measure not loaded is "no data loaded",
and a measure whose data ends before the scan month (the homicide file to 2023, stop and search
to the last month downloaded) says so rather than showing the month as 0. Read by the TUI and
the briefing, so both show the same rows.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from crimefighters.config.models import Config, View
from crimefighters.present import month_name

VIEW_COLUMNS: dict[str, pl.DataType] = {
    "label": pl.String(), "measure": pl.String(), "level": pl.String(), "category": pl.String(),
    "kind": pl.String(), "unit": pl.String(),
    "available": pl.Boolean(),  # a value for the scan month
    "note": pl.String(),  # why not: "no data loaded", "no data for July 2025: the data loaded ends ..."
    "value": pl.Float64(), "provisional": pl.Boolean(), "state": pl.String(), "special_cause_type": pl.String(),
    "finding_id": pl.String(),
    "change_1": pl.Float64(), "change_pct_1": pl.Float64(),
    "current_12": pl.Float64(), "previous_12": pl.Float64(), "change_12": pl.Float64(), "change_pct_12": pl.Float64(),
    "flagged_12": pl.Boolean(),
    "last_month": pl.Date(),
    "outcome_rate": pl.Float64(), "outcome_state": pl.String(), "outcome_provisional": pl.Boolean(),
}  # fmt: skip
KEYS = ["measure", "level", "category"]


def view_rows(
    view: View,
    area: str,
    scan_month: date,
    status: pl.DataFrame,
    comparisons: pl.DataFrame,
    observations: pl.DataFrame,
    config: Config,
) -> pl.DataFrame:
    """One row per series of ``view`` whose measure is configured, in the view's order."""
    known = {m.id: m for m in config.measures}
    wanted = pl.DataFrame(
        [
            (i, s.label, s.measure, s.level, s.category, known[s.measure].kind, known[s.measure].unit, s.outcome_rate)
            for i, s in enumerate(view.series)
            if s.measure in known
        ],
        schema={
            "_order": pl.Int32, "label": pl.String, "measure": pl.String, "level": pl.String,
            "category": pl.String, "kind": pl.String, "unit": pl.String, "_outcome": pl.String,
        },
        orient="row",
    )
    mine = status.filter(pl.col("area") == area)
    now = mine.select(*KEYS, "value", "provisional", "state", "special_cause_type", "finding_id")
    frame = wanted.join(now, on=KEYS, how="left")
    windows = {
        "1": {"change_1": "change", "change_pct_1": "change_pct"},
        "12": {"current_12": "current", "previous_12": "previous", "change_12": "change",
               "change_pct_12": "change_pct", "flagged_12": "flagged"},
    }  # fmt: skip
    for window, columns in windows.items():
        if comparisons.height:
            part = comparisons.filter((pl.col("area") == area) & (pl.col("window") == window))
            frame = frame.join(part.select(*KEYS, **columns), on=KEYS, how="left")
    outcomes = mine.select(
        _outcome="measure", level="level", category="category", outcome_rate="value",
        outcome_state="state", outcome_provisional="provisional",
    )  # fmt: skip
    frame = frame.join(outcomes, on=["_outcome", "level", "category"], how="left")
    last = _last_months(observations, area, sorted(set(wanted["measure"])), config)
    frame = frame.join(last, on=["measure", "category"], how="left")
    # a month beyond the series' data is not a month of 0: the scan pads counts up to its month
    beyond = pl.col("last_month").is_not_null() & (pl.col("last_month") < scan_month)
    frame = frame.with_columns(available=pl.col("value").is_not_null() & ~beyond)
    frame = frame.with_columns(
        note=pl.when(pl.col("available"))
        .then(pl.lit(None, dtype=pl.String))
        .when(pl.col("last_month").is_not_null() & beyond)
        .then(
            pl.lit(f"no data for {month_name(scan_month)}: the data loaded ends ")
            + pl.col("last_month").map_elements(month_name, return_dtype=pl.String)
        )
        .otherwise(pl.lit(f"no data loaded for {area}")),
        # an outcome rate beyond its own data is not shown either
        outcome_rate=pl.when(pl.col("available")).then(pl.col("outcome_rate")),
    )
    frame = frame.with_columns(
        pl.when(pl.col("available")).then(pl.col(c)).alias(c)
        for c in ("value", "state", "special_cause_type", "change_1", "change_pct_1", "current_12",
                  "previous_12", "change_12", "change_pct_12", "flagged_12", "finding_id")
    )
    return frame.sort("_order").select(
        pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c) for c, t in VIEW_COLUMNS.items()
    )


def _last_months(observations: pl.DataFrame, area: str, measures: list[str], config: Config) -> pl.DataFrame:
    """The last month each series of the view has data for the area (a borough; for a BCU or
    London, any of their boroughs), by category and for the whole measure ("All")."""
    boroughs = [area] if area in config.borough_names() else (config.boroughs_in_bcu(area) or config.borough_names())
    seen = observations.filter(pl.col("measure").is_in(measures) & pl.col("borough").is_in(boroughs))
    by_category = seen.group_by("measure", "category").agg(last_month=pl.col("month").max())
    whole = seen.group_by("measure").agg(last_month=pl.col("month").max()).with_columns(category=pl.lit("All"))
    return pl.concat([by_category, whole.select(by_category.columns)]).unique(["measure", "category"], keep="first")
