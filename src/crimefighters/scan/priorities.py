"""Each area's priorities and how they are doing, exception or not.

For every borough: ASB and its volume priorities (``local``), the pan-London ``high_harm``
priorities, and this month's ``theme``s, in that order. A BCU holds its boroughs' local
priorities (each once, in the order its boroughs list them; ``note`` says whose), London every
borough's. Each priority comes each with the latest value, the change
against last year for the month, 3 and 12 months (with p-values), the SPC state, and the number
of this month's findings it is part of.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from crimefighters.config.models import LONDON, Config

PRIORITY_COLUMNS: dict[str, pl.DataType] = {
    "borough": pl.String(),
    "group": pl.String(),
    "order": pl.Int32(),
    "priority_id": pl.String(),
    "label": pl.String(),
    "measure": pl.String(),
    "level": pl.String(),
    "category": pl.String(),
    "kind": pl.String(),
    "direction": pl.String(),
    "value": pl.Float64(),
    "state": pl.String(),
    "special_cause_type": pl.String(),
    "mean": pl.Float64(),
    "lpl": pl.Float64(),
    "upl": pl.Float64(),
    "change_1": pl.Float64(),
    "change_pct_1": pl.Float64(),
    "p_value_1": pl.Float64(),
    "change_3": pl.Float64(),
    "change_pct_3": pl.Float64(),
    "p_value_3": pl.Float64(),
    "change_12": pl.Float64(),
    "change_pct_12": pl.Float64(),
    "p_value_12": pl.Float64(),
    "findings": pl.Int32(),
    "finding_id": pl.String(),
    "available": pl.Boolean(),
    "note": pl.String(),
    # the positive outcome rate over the same filters (PriorityDefinition.outcome_rate)
    "outcome_rate_measure": pl.String(),
    "outcome_rate": pl.Float64(),
    "outcome_rate_state": pl.String(),
    "outcome_rate_provisional": pl.Boolean(),
    "area_type": pl.String(),  # borough | bcu | london (``borough`` holds the area's name)
}


def local_priority_holders(config: Config, area: str) -> dict[str, list[str]]:
    """The local priorities of an area -> the boroughs that chose them, in order: a borough's
    own, a BCU's boroughs', London's every borough's (ASB, always local, first)."""
    holders: dict[str, list[str]] = {}
    for borough in config.boroughs_of(area):
        for pid in config.local_priorities(borough):
            holders.setdefault(pid, []).append(borough)
    return holders


def priority_rows(config: Config, borough: str, scan_month: date) -> list[dict]:
    """What an area's priority panel lists, in order, resolved to series keys. ``borough``: a
    borough, a BCU or London."""
    rows: list[dict] = []
    order = 0
    seen: set[tuple[str, str]] = set()
    area_type = config.area_type(borough)
    holders = local_priority_holders(config, borough)

    def add(group: str, item_id: str) -> None:
        nonlocal order
        if (group, item_id) in seen:
            return
        seen.add((group, item_id))
        try:
            p = config.priority(item_id)
            rows.append({"group": group, "order": order, "priority_id": p.id, "label": p.label, "measure": p.measure, "level": "priority", "category": p.label, "note": _note(p.note, group, holders.get(p.id), area_type), "outcome_rate_measure": p.outcome_rate})
        except KeyError:
            m = config.measure(item_id)
            level = "total" if m.id == "recorded_crime" else "minor"
            category = "Total notifiable offences" if level == "total" else "All"
            rows.append({"group": group, "order": order, "priority_id": m.id, "label": m.label, "measure": m.id, "level": level, "category": category, "note": m.description, "outcome_rate_measure": None})
        order += 1

    for pid in holders:
        add("local", pid)
    for pid in config.priorities.high_harm:
        add("high_harm", pid)
    for theme in config.themes_for(scan_month):
        add("theme", theme)
    return rows


def _note(note: str, group: str, holders: list[str] | None, area_type: str) -> str:
    """A BCU's or London's local priority says which boroughs chose it."""
    if group != "local" or area_type == "borough" or not holders:
        return note
    return f"local priority of {', '.join(holders)}"


def priority_status(
    status: pl.DataFrame,
    comparisons: pl.DataFrame,
    tests: pl.DataFrame,
    config: Config,
    scan_month: date,
    boroughs: list[str] | None = None,
) -> pl.DataFrame:
    names = boroughs or [*config.borough_names(), *config.bcu_names(), LONDON]
    wanted = []
    for borough in names:
        for row in priority_rows(config, borough, scan_month):
            wanted.append({"borough": borough, **row})
    if not wanted:
        return pl.DataFrame(schema=PRIORITY_COLUMNS)
    frame = pl.DataFrame(wanted).with_columns(
        pl.col("order").cast(pl.Int32),
        area_type=pl.col("borough").replace_strict(
            {n: config.area_type(n) for n in names}, return_dtype=pl.String
        ),
    )
    keys = ["borough", "measure", "level", "category"]
    latest = status.select(
        borough=pl.col("area"),
        measure=pl.col("measure"),
        level=pl.col("level"),
        category=pl.col("category"),
        kind=pl.col("kind"),
        direction=pl.col("direction"),
        value=pl.col("value"),
        state=pl.col("state"),
        special_cause_type=pl.col("special_cause_type"),
        mean=pl.col("mean"),
        lpl=pl.col("lpl"),
        upl=pl.col("upl"),
    )
    frame = frame.join(latest, on=keys, how="left")
    rates = status.filter(pl.col("level") == "priority").select(
        borough=pl.col("area"), outcome_rate_measure=pl.col("measure"), category=pl.col("category"),
        outcome_rate=pl.col("value"), outcome_rate_state=pl.col("state"), outcome_rate_provisional=pl.col("provisional"),
    )
    frame = frame.with_columns(pl.col("outcome_rate_measure").cast(pl.String)).join(
        rates, on=["borough", "outcome_rate_measure", "category"], how="left"
    )
    if comparisons.height:
        boroughs_cmp = comparisons
        for window in ("1", "3", "12"):
            w = boroughs_cmp.filter(pl.col("window") == window).select(
                borough=pl.col("area"),
                measure=pl.col("measure"),
                level=pl.col("level"),
                category=pl.col("category"),
                **{
                    f"change_{window}": pl.col("change"),
                    f"change_pct_{window}": pl.col("change_pct"),
                    f"p_value_{window}": pl.col("p_value"),
                },
            )
            frame = frame.join(w, on=keys, how="left")
    if tests.height:
        member = tests.filter(pl.col("role").is_in(["lead", "support"]))
        counts = member.group_by(keys).agg(
            findings=pl.col("finding_id").n_unique().cast(pl.Int32),
            finding_id=pl.col("finding_id").sort_by("score", descending=True).first(),
        )
        frame = frame.join(counts, on=keys, how="left")
    frame = frame.with_columns(available=pl.col("value").is_not_null())
    if "findings" in frame.columns:
        frame = frame.with_columns(pl.col("findings").fill_null(0))
    frame = frame.with_columns(
        state=pl.when(pl.col("available"))
        .then(pl.col("state").fill_null("not charted"))
        .otherwise(pl.lit("no data"))
    )
    out = frame.select(
        [
            pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
            for c, t in PRIORITY_COLUMNS.items()
        ]
    )
    return out.with_columns(pl.col("findings").fill_null(0)).sort("borough", "order")
