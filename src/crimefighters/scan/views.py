"""A view: a fixed set of series (config ``views``) for one area, found or not.

For each series: this month's value, the 12 months against the previous 12, its SPC state and
whether it is part of a finding; where the data stops before the scan month, the last month it
has; where nothing is loaded, that it is not. Read by the TUI and the briefing.
"""

from __future__ import annotations

import polars as pl

from crimefighters.config.models import Config, View

VIEW_COLUMNS = {
    "label": pl.String, "measure": pl.String, "level": pl.String, "category": pl.String, "kind": pl.String,
    "available": pl.Boolean, "value": pl.Float64, "state": pl.String, "finding_id": pl.String,
    "current_12": pl.Float64, "previous_12": pl.Float64, "change_12": pl.Float64, "change_pct_12": pl.Float64,
    "flagged_12": pl.Boolean, "last_month": pl.Date, "note": pl.String,
}  # fmt: skip


def view_rows(view: View, area: str, status: pl.DataFrame, comparisons: pl.DataFrame, observations: pl.DataFrame, config: Config) -> pl.DataFrame:
    wanted = pl.DataFrame(
        [(i, s.label, s.measure, s.level, s.category) for i, s in enumerate(view.series)],
        schema={"_order": pl.Int32, "label": pl.String, "measure": pl.String, "level": pl.String, "category": pl.String},
        orient="row",
    )
    keys = ["measure", "level", "category"]
    now = status.filter(pl.col("area") == area).select(*keys, "kind", "value", "state", "finding_id")
    frame = wanted.join(now, on=keys, how="left")
    if comparisons.height:
        twelve = comparisons.filter((pl.col("area") == area) & (pl.col("window") == "12")).select(
            *keys, current_12="current", previous_12="previous", change_12="change", change_pct_12="change_pct", flagged_12="flagged"
        )
        frame = frame.join(twelve, on=keys, how="left")
    last = _last_months(observations, area, view, config)
    frame = frame.join(last, on=["measure", "category"], how="left").with_columns(available=pl.col("value").is_not_null())
    frame = frame.with_columns(
        note=pl.when(pl.col("available"))
        .then(pl.lit(None, dtype=pl.String))
        .when(pl.col("last_month").is_not_null())
        .then(pl.format("data ends {}", pl.col("last_month").dt.strftime("%B %Y")))
        .otherwise(pl.format("no data loaded for {}", pl.col("label").str.to_lowercase()))
    )
    return frame.sort("_order").select([pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c) for c, t in VIEW_COLUMNS.items()])


def _last_months(observations: pl.DataFrame, area: str, view: View, config: Config) -> pl.DataFrame:
    """The last month each series of the view has data for the area (boroughs; for a BCU or
    London, any of their boroughs)."""
    boroughs = [area] if area in config.borough_names() else (config.boroughs_in_bcu(area) or config.borough_names())
    measures = sorted({s.measure for s in view.series})
    seen = observations.filter(pl.col("measure").is_in(measures) & pl.col("borough").is_in(boroughs))
    by_category = seen.group_by("measure", "category").agg(last_month=pl.col("month").max())
    whole = seen.group_by("measure").agg(last_month=pl.col("month").max()).with_columns(category=pl.lit("All"))
    return pl.concat([by_category, whole.select(by_category.columns)]).unique(["measure", "category"], keep="first")


