"""The published comparison tables: each category's total in a window against a year earlier.

As the Met and MOPAC publish them: rolling 12 months against the previous 12, a quarter (3
months) against the same quarter last year, financial year to date against last year, or one
month. A ``Total notifiable offences`` row excludes non-notifiable categories.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from crimefighters.config.models import LONDON, Config
from crimefighters.errors import ScanError
from crimefighters.present import TOTAL_LABEL, WINDOW_LABELS
from crimefighters.scan.grid import window_bounds
from crimefighters.scan.runner import comparison_frame

COMPARE_COLUMNS = [
    "area",
    "category",
    "current_period",
    "previous_period",
    "current",
    "previous",
    "change",
    "change_pct",
    "p_value",
]
LEVELS = {"major": ["major", "total"], "minor": ["minor", "total"], "priority": ["priority"]}


def comparison_table(
    observations: pl.DataFrame,
    config: Config,
    scan_month: date,
    window: str,
    areas: list[str] | None,
    level: str = "major",
    measure: str = "recorded_crime",
) -> pl.DataFrame:
    """One row per area x category (plus a TNO total row), sorted as published.

    ``areas``: borough, BCU or London names (None: London). For ``priority`` each area gets its
    own local and high-harm priorities (a BCU its boroughs' local ones; London every priority).
    """
    if level not in LEVELS:
        raise ScanError(f"--level: expected one of {', '.join(LEVELS)}; got {level!r}")
    if window not in WINDOW_LABELS:
        raise ScanError(f"--window: expected one of 1, 3, 12, fytd; got {window!r}")
    data_months = observations.filter(pl.col("measure") == measure)["month"]
    if data_months.len() == 0:
        raise ScanError(f"no {measure} data loaded")
    current_start, current_end, previous_start, previous_end = window_bounds(window, scan_month)
    if previous_start < data_months.min() or scan_month > data_months.max():
        raise ScanError(
            f"the comparison needs {previous_start:%Y-%m} to {scan_month:%Y-%m}; the loaded {measure} "
            f"data covers {data_months.min():%Y-%m} to {data_months.max():%Y-%m}"
        )
    scoped = config.model_copy(
        update={"scan": config.scan.model_copy(update={"levels": LEVELS[level]})}
    )
    frame = comparison_frame(observations.filter(pl.col("measure") == measure), scoped, scan_month)
    # area names are unique across boroughs, BCUs and London (config.Geography checks)
    wanted = [LONDON] if areas is None else areas
    if frame.height:
        frame = frame.filter((pl.col("window") == window) & pl.col("area").is_in(wanted))
    table = frame
    if table.height == 0:
        return pl.DataFrame(schema={c: pl.String for c in COMPARE_COLUMNS})
    if level == "priority":
        table = _only_own_priorities(table, config, scan_month, areas)
    order = {name: i for i, name in enumerate(wanted)}
    table = table.with_columns(
        current_period=pl.lit(f"{current_start:%Y-%m}..{current_end:%Y-%m}"),
        previous_period=pl.lit(f"{previous_start:%Y-%m}..{previous_end:%Y-%m}"),
        _area=pl.col("area").replace_strict(order, default=len(order)),
        _total=pl.col("category") == TOTAL_LABEL,
    )
    return table.sort("_area", "_total", "category").select(COMPARE_COLUMNS)


def _only_own_priorities(
    table: pl.DataFrame, config: Config, scan_month: date, areas: list[str] | None
) -> pl.DataFrame:
    from crimefighters.scan.priorities import priority_rows

    if areas is None or areas == [LONDON]:
        return table
    keep = [(LONDON, c) for c in table.filter(pl.col("area") == LONDON)["category"]]
    for borough in areas:
        for row in priority_rows(config, borough, scan_month):
            if row["group"] in ("local", "high_harm") and row["level"] == "priority":
                keep.append((borough, row["category"]))
    allowed = pl.DataFrame(keep, schema={"area": pl.String, "category": pl.String}, orient="row")
    return table.join(allowed, on=["area", "category"], how="semi")
