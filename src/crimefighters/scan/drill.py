"""Drill-down frames for one series: its chart, its windows, what it is made of, its peers.

Everything here reads frames the scan already computed (or sums observations); the TUI and
the briefing show these and compute nothing themselves.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from crimefighters.config.models import LONDON, Config
from crimefighters.data.categories import is_non_notifiable
from crimefighters.scan.result import ScanResult
from crimefighters.scan.series import month_add, priority_rows


def _key(area: str, measure: str, level: str, category: str) -> pl.Expr:
    return (
        (pl.col("area") == area)
        & (pl.col("measure") == measure)
        & (pl.col("level") == level)
        & (pl.col("category") == category)
    )


def series_points(
    result: ScanResult, area: str, measure: str, level: str, category: str
) -> pl.DataFrame:
    """The SPC chart: month, value, mean, limits, point type (empty if not charted)."""
    if result.points.height == 0:
        return pl.DataFrame()
    return (
        result.points.filter(_key(area, measure, level, category))
        .select(
            "month",
            "value",
            "mean",
            "lpl",
            "upl",
            "point_type",
            "special_cause_type",
            "provisional",
            "kind",
        )
        .sort("month")
    )


def comparison_windows(
    result: ScanResult, area: str, measure: str, level: str, category: str
) -> pl.DataFrame:
    """Month, 3, 12 and FYTD against the same window a year earlier, with p-values."""
    if result.comparisons.height == 0:
        return pl.DataFrame()
    order = {"1": 0, "3": 1, "12": 2, "fytd": 3}
    return (
        result.comparisons.filter(_key(area, measure, level, category))
        .select(
            "window",
            "current_start",
            "current",
            "previous",
            "change",
            "change_pct",
            "p_value",
            "flagged",
            "provisional",
            "kind",
            "break_note",
        )
        .with_columns(_o=pl.col("window").replace_strict(order, default=9))
        .sort("_o")
        .drop("_o")
    )


def _members(
    observations: pl.DataFrame,
    config: Config,
    borough: str,
    measure: str,
    level: str,
    category: str,
) -> pl.DataFrame:
    """The observation rows that make up a series, for one area (a BCU's or London's: those
    of their boroughs, as their series are the sums of their boroughs')."""
    boroughs = config.boroughs_of(borough)
    rows = observations.filter(pl.col("borough").is_in(boroughs) & (pl.col("measure") == measure))
    if level == "minor":
        return rows.filter(pl.col("category") == category)
    if level == "major":
        return rows.filter(pl.col("category_group") == category)
    if level == "total":
        return rows.filter((pl.col("category_group") != "") & ~is_non_notifiable(config))
    priority = next(
        (p for p in config.priorities.definitions if p.label == category and p.measure == measure),
        None,
    )
    return rows if priority is None else priority_rows(rows, priority, config)


def breakdown(
    observations: pl.DataFrame,
    config: Config,
    borough: str,
    measure: str,
    level: str,
    category: str,
    scan_month: date,
) -> pl.DataFrame:
    """Minor categories inside a series: this month, the last 12 months and the 12 before
    (``borough``: any area; a BCU's or London's categories summed over their boroughs)."""
    rows = _members(observations, config, borough, measure, level, category)
    return _window_table(rows, ["category_group", "category"], scan_month)


def ward_breakdown(
    wards: pl.DataFrame,
    config: Config,
    borough: str,
    measure: str,
    level: str,
    category: str,
    scan_month: date,
) -> pl.DataFrame:
    """Wards of the area (a BCU's: its boroughs') for the same series (empty when no ward
    file is loaded)."""
    if wards.height == 0:
        return pl.DataFrame()
    rows = _members(
        wards.with_columns(family=pl.lit("mps_new")), config, borough, measure, level, category
    )
    return _window_table(rows, ["ward", "ward_code"], scan_month)


def _window_table(rows: pl.DataFrame, keys: list[str], scan_month: date) -> pl.DataFrame:
    if rows.height == 0:
        return pl.DataFrame()
    start12 = month_add(scan_month, -11)
    prev_start, prev_end = month_add(scan_month, -23), month_add(scan_month, -12)
    table = rows.group_by(keys).agg(
        this_month=pl.col("value").filter(pl.col("month") == scan_month).sum(),
        last_12=pl.col("value").filter(pl.col("month").is_between(start12, scan_month)).sum(),
        previous_12=pl.col("value").filter(pl.col("month").is_between(prev_start, prev_end)).sum(),
    )
    return (
        table.with_columns(
            change=pl.col("last_12") - pl.col("previous_12"),
            change_pct=pl.when(pl.col("previous_12") > 0).then(
                (pl.col("last_12") - pl.col("previous_12")) / pl.col("previous_12") * 100
            ),
        )
        .filter((pl.col("last_12") > 0) | (pl.col("previous_12") > 0))
        .sort("last_12", descending=True)
    )


def area_comparison(
    result: ScanResult, config: Config, borough: str, measure: str, level: str, category: str
) -> pl.DataFrame:
    """The area beside its peers: a borough beside the other boroughs of its BCU, the BCU
    and London; a BCU beside its boroughs and London; London beside the BCUs."""
    kind = config.area_type(borough)
    if kind == "london":
        areas = [*config.bcu_names(), LONDON]
    elif kind == "bcu":
        areas = [*config.boroughs_in_bcu(borough), borough, LONDON]
    else:
        bcu = config.bcu_of(borough)
        areas = [*config.boroughs_in_bcu(bcu), bcu, LONDON] if bcu else [borough, LONDON]
    status = result.status.filter(
        pl.col("area").is_in(areas)
        & (pl.col("measure") == measure)
        & (pl.col("level") == level)
        & (pl.col("category") == category)
    ).select("area", "area_type", "value", "state", "mean", "kind")
    twelve = result.comparisons.filter(
        pl.col("area").is_in(areas)
        & (pl.col("measure") == measure)
        & (pl.col("level") == level)
        & (pl.col("category") == category)
        & (pl.col("window") == "12")
    ).select(
        "area",
        last_12=pl.col("current"),
        previous_12=pl.col("previous"),
        change_12=pl.col("change"),
        change_pct_12=pl.col("change_pct"),
        p_value_12=pl.col("p_value"),
    )
    order = {"borough": 0, "bcu": 1, "london": 2}
    return (
        status.join(twelve, on="area", how="left")
        .with_columns(
            _o=pl.col("area_type").replace_strict(order, default=9), _self=pl.col("area") != borough
        )
        .sort("_o", "_self", "area")
        .drop("_o", "_self")
    )
