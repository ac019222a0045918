"""The London overview matrix: every area against the key measures, with its findings counted.

Rows: London, then each BCU followed by its boroughs (``order``). Columns: the findings of
the month (concerns, improvements, neutral, new) and the state of each key measure's headline
series (``Measure.key``): Total notifiable offences for recorded crime, the single series of a
one-series measure, MOPAC's "good job" question for the PAS. Read by the HTML and XLSX exports
and (later) the TUI's overview; the words for states come from ``crimefighters.present``.
"""

from __future__ import annotations

import polars as pl

from crimefighters.config.models import LONDON, Config
from crimefighters.present import MEASURE_SHORT_LABELS, TOTAL_LABEL, state_cell_text

OVERVIEW_COLUMNS: dict[str, pl.DataType] = {
    "order": pl.Int32(),
    "area": pl.String(),
    "area_type": pl.String(),
    "bcu": pl.String(),
    "concerns": pl.Int32(),
    "improvements": pl.Int32(),
    "neutral": pl.Int32(),
    "new": pl.Int32(),
}


def headline_series(status: pl.DataFrame, measure: str) -> tuple[str, str] | None:
    """The (level, category) a measure is shown by in the overview: TNO, or its single series
    ("All"), or the PAS's "good job" question, else its first series."""
    if measure == "recorded_crime":
        return ("total", TOTAL_LABEL)
    rows = (
        status.filter(pl.col("measure") == measure)
        .select("level", "category")
        .unique()
        .sort("level", "category")
    )
    if rows.height == 0:
        return None
    for preferred in ("all", "good job"):
        for level, category in rows.iter_rows():
            if preferred in category.lower():
                return (level, category)
    return rows.row(0)


def area_order(config: Config) -> list[tuple[str, str, str | None]]:
    """(area, area_type, bcu): London, then each BCU followed by its boroughs."""
    rows: list[tuple[str, str, str | None]] = [(LONDON, "london", None)]
    for bcu in config.bcu_names():
        rows.append((bcu, "bcu", bcu))
        rows += [(b, "borough", bcu) for b in config.boroughs_in_bcu(bcu)]
    return rows


def key_measures(config: Config) -> list[tuple[str, str]]:
    """(measure id, column heading) of the key measures, in configuration order."""
    return [(m.id, MEASURE_SHORT_LABELS.get(m.id, m.label)) for m in config.measures if m.key]


def overview_states(status: pl.DataFrame, config: Config) -> pl.DataFrame:
    """(area, measure, level, category, state, special_cause_type, cell) for each area and key
    measure with data; ``cell`` is the state in words ('! concern')."""
    frames = []
    for measure, _ in key_measures(config):
        series = headline_series(status, measure)
        if series is None:
            continue
        frames.append(
            status.filter(
                (pl.col("measure") == measure)
                & (pl.col("level") == series[0])
                & (pl.col("category") == series[1])
            ).select("area", "measure", "level", "category", "state", "special_cause_type")
        )
    schema = {"area": pl.String, "measure": pl.String, "level": pl.String, "category": pl.String,
              "state": pl.String, "special_cause_type": pl.String}  # fmt: skip
    states = pl.concat(frames) if frames else pl.DataFrame(schema=schema)
    return states.with_columns(
        cell=pl.col("state").map_elements(state_cell_text, return_dtype=pl.String)
    )


def overview_matrix(findings: pl.DataFrame, status: pl.DataFrame, config: Config) -> pl.DataFrame:
    """One row per area (``area_order``): findings counted, then one column per key measure
    (headed by its short label) holding the state in words; '– no data loaded' where the area
    has no data for it."""
    order = area_order(config)
    rows = pl.DataFrame(
        [(i, a, t, b) for i, (a, t, b) in enumerate(order)],
        schema={"order": pl.Int32, "area": pl.String, "area_type": pl.String, "bcu": pl.String},
        orient="row",
    )
    counts = findings.group_by(area="borough").agg(
        concerns=(pl.col("assessment") == "concern").sum(),
        improvements=(pl.col("assessment") == "improvement").sum(),
        neutral=(pl.col("assessment") == "neutral").sum(),
        new=(pl.col("status") == "new").sum(),
    )
    rows = rows.join(counts, on="area", how="left").with_columns(
        [
            pl.col(c).fill_null(0).cast(pl.Int32)
            for c in ("concerns", "improvements", "neutral", "new")
        ]
    )
    states = overview_states(status, config)
    no_data = state_cell_text("no data")
    for measure, heading in key_measures(config):
        cells = states.filter(pl.col("measure") == measure).select(
            "area", pl.col("cell").alias(heading)
        )
        rows = rows.join(cells, on="area", how="left").with_columns(
            pl.col(heading).fill_null(no_data)
        )
    return rows.sort("order")
