"""The serious-violence view: knife crime with injury, gun crime, homicide, stop and search and
its arrest rate for one area, read from the scan (nothing computed here).

The serious-violence CrimeFighters "tracks levels of stop search and arrest against prolific
firearms offenders and habitual knife carriers"; these are the published series nearest to it.
Each row says where its data stops: a measure not loaded is "no data loaded", and a measure
whose data ends before the scan month (the homicide file to 2023, stop and search to the last
month downloaded) says so rather than showing the month as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from crimefighters.config.models import Config
from crimefighters.present import month_name, series_name
from crimefighters.scan.runner import ScanResult


@dataclass(frozen=True)
class ViolenceSeries:
    measure: str
    category: str
    outcome_measure: str | None = None  # the positive outcome rate over the same category


SERIOUS_VIOLENCE: tuple[ViolenceSeries, ...] = (
    ViolenceSeries("knife_crime_offences", "Knife crime with injury", "knife_crime_outcome_rate"),
    ViolenceSeries("knife_crime_offences", "Knife crime", "knife_crime_outcome_rate"),
    ViolenceSeries("gun_crime_offences", "Gun crime", "gun_crime_outcome_rate"),
    ViolenceSeries("homicide_victims", "All victims"),
    ViolenceSeries("stop_and_search", "All"),
    ViolenceSeries("stop_and_search_arrest_rate", "All"),
)
LEVEL_PREFERENCE = ("minor", "major", "total", "priority")

COLUMNS: dict[str, pl.DataType] = {
    "label": pl.String(),
    "measure": pl.String(),
    "level": pl.String(),
    "category": pl.String(),
    "kind": pl.String(),
    "unit": pl.String(),
    "available": pl.Boolean(),  # a value for the scan month
    "note": pl.String(),  # why not: "no data loaded", "no data for July 2025: ..."
    "value": pl.Float64(),
    "provisional": pl.Boolean(),
    "state": pl.String(),
    "special_cause_type": pl.String(),
    "change_1": pl.Float64(),
    "change_pct_1": pl.Float64(),
    "change_12": pl.Float64(),
    "change_pct_12": pl.Float64(),
    "outcome_rate": pl.Float64(),
    "outcome_state": pl.String(),
    "outcome_provisional": pl.Boolean(),
}


def serious_violence(
    result: ScanResult, observations: pl.DataFrame, config: Config, area: str
) -> pl.DataFrame:
    """One row per ``SERIOUS_VIOLENCE`` series whose measure is configured, in that order."""
    known = {m.id for m in config.measures}
    month = result.scan_month
    status = result.status.filter(pl.col("area") == area)
    rows = []
    for spec in SERIOUS_VIOLENCE:
        if spec.measure not in known:
            continue
        measure = config.measure(spec.measure)
        row: dict = {c: None for c in COLUMNS}
        row.update(
            label=series_name(measure.id, measure.label, "minor", spec.category),
            measure=spec.measure,
            category=spec.category,
            kind=measure.kind,
            unit=measure.unit,
            available=False,
        )
        own = _series_status(status, spec.measure, spec.category)
        note = _missing(observations, area, spec.measure, month)
        if note or own is None:
            row["note"] = note or f"no data loaded for {spec.category.lower()} in {area}"
            if own is not None:
                row["level"] = own["level"]
            rows.append(row)
            continue
        row.update(
            level=own["level"],
            category=own["category"],
            available=True,
            value=own["value"],
            provisional=own["provisional"],
            state=own["state"],
            special_cause_type=own["special_cause_type"],
            **_changes(result, area, spec.measure, own["level"], own["category"]),
        )
        if spec.outcome_measure in known and not _missing(
            observations, area, spec.outcome_measure, month
        ):
            rate = _series_status(status, spec.outcome_measure, spec.category)
            if rate is not None:
                row.update(
                    outcome_rate=rate["value"],
                    outcome_state=rate["state"],
                    outcome_provisional=rate["provisional"],
                )
        rows.append(row)
    return pl.DataFrame(rows, schema=COLUMNS) if rows else pl.DataFrame(schema=COLUMNS)


def _series_status(status: pl.DataFrame, measure: str, category: str) -> dict | None:
    rows = status.filter(
        (pl.col("measure") == measure) & (pl.col("category").str.to_lowercase() == category.lower())
    )
    for level in LEVEL_PREFERENCE:
        match = rows.filter(pl.col("level") == level)
        if match.height:
            return match.row(0, named=True)
    return None


def _missing(observations: pl.DataFrame, area: str, measure: str, month: date) -> str:
    """'' when the area has data for the measure in ``month``; else why not, in words."""
    rows = observations.filter(pl.col("measure") == measure)
    if rows.height == 0:
        return "no data loaded"
    mine = rows.filter(pl.col("borough") == area)["month"]
    if mine.len() == 0:
        return f"no data loaded for {area}"
    first, last = mine.min(), mine.max()
    if month > last:
        return f"no data for {month_name(month)}: the data loaded ends {month_name(last)}"
    if month < first:
        return f"no data for {month_name(month)}: the data loaded starts {month_name(first)}"
    return ""


def _changes(result: ScanResult, area: str, measure: str, level: str, category: str) -> dict:
    out = {"change_1": None, "change_pct_1": None, "change_12": None, "change_pct_12": None}
    if result.comparisons.height == 0:
        return out
    rows = result.comparisons.filter(
        (pl.col("area") == area)
        & (pl.col("measure") == measure)
        & (pl.col("level") == level)
        & (pl.col("category") == category)
    )
    for r in rows.iter_rows(named=True):
        if r["window"] in ("1", "12"):
            out[f"change_{r['window']}"] = r["change"]
            out[f"change_pct_{r['window']}"] = r["change_pct"]
    return out
