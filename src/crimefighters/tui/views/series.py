"""Tabs of series rather than findings: priorities (with their positive outcome rates), serious
violence, key processes, and the borough's standing against London (context, apart from this
month's changes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
from rich.text import Text

from crimefighters.present import PRIORITY_GROUPS, fmt_value, month_name, state_words
from crimefighters.scan.views import view_rows
from crimefighters.tui.session import headline_series
from crimefighters.tui.views import SeriesRef, Table, cut
from crimefighters.tui.widgets.cells import (
    STATE_COLOUR,
    change_text,
    plain,
    sparkline,
    state_cell,
    value_text,
)

if TYPE_CHECKING:
    from crimefighters.tui.session import Session

# the state and the outcome rate before the changes: at 80 columns they still show
PRIORITY_COLUMNS = (
    "Group",
    "Priority",
    "Latest",
    "State",
    "Outcome rate",
    "Month vs LY",
    "12m vs LY",
    "Findings",
    "Trend (12m)",
)
VIOLENCE_COLUMNS = (
    "Series",
    "Latest",
    "State",
    "Outcome rate",
    "Month vs LY",
    "12m vs LY",
    "Trend (12m)",
    "Data",
)
PROCESS_COLUMNS = (
    "Key process",
    "Latest",
    "Target",
    "12m vs LY",
    "Trend (12m)",
    "State",
    "Assurance",
)
PEER_COLUMNS = ("State", "Series", "Rate (12m)", "London", "z")
KEY_PROCESS_MEASURES = (
    "response_i_compliance",
    "response_s_compliance",
    "positive_outcome_rate",
    "vcop_updated",
    "victim_satisfaction",
    "pas_confidence",
)
NO_DATA = "no data loaded"


def trend(session: Session, area: str, measure: str, level: str, category: str) -> str:
    points = session.result.points
    if points.height == 0:
        return ""
    values = points.filter(
        (pl.col("area") == area)
        & (pl.col("measure") == measure)
        & (pl.col("level") == level)
        & (pl.col("category") == category)
    ).sort("month")["value"]
    return sparkline(values.to_list()[-12:])


def outcome_cell(rate: float | None, state: str | None, provisional: bool | None) -> Text | str:
    """'17.9% ·' with the state's symbol; 'provisional' where the newest months still move."""
    if rate is None:
        return ""
    cell = Text(fmt_value(rate, "proportion"))
    cell.append(" ")
    cell.append_text(state_cell(state))
    if provisional:
        cell.append(" provisional", style="dim")
    return cell


def priorities_table(session: Session, area: str, concerns_only: bool) -> Table:
    frame = session.result.priorities.filter(pl.col("borough") == area).sort("order")
    if concerns_only:
        frame = frame.filter(pl.col("state") == "concern")
    table = Table(PRIORITY_COLUMNS, empty=plain("No priorities to show with these filters."))
    for i, r in enumerate(frame.iter_rows(named=True)):
        key = f"p{i}"
        group = PRIORITY_GROUPS.get(r["group"], r["group"])
        ref = SeriesRef(r["measure"], r["level"], r["category"], r["label"])
        if not r["available"]:
            table.add(
                key,
                (
                    group,
                    cut(r["label"], 32),
                    NO_DATA,
                    state_cell(None, available=False),
                    "",
                    "",
                    "",
                    "",
                    "",
                ),
                plain(
                    f"{r['label']}: no data loaded for {area} in {month_name(session.scan_month)}."
                ),
            )
            continue
        outcome = outcome_cell(
            r["outcome_rate"], r["outcome_rate_state"], r["outcome_rate_provisional"]
        )
        detail = Text.assemble(
            plain(r["label"], "bold"),
            " ",
            state_cell(r["state"], r["special_cause_type"], words=True),
            f" · {value_text(r['value'], r['kind'])} in {month_name(session.scan_month)}",
        )
        if r["outcome_rate"] is not None:
            detail.append(" · positive outcome rate ")
            detail.append_text(Text(outcome.plain) if isinstance(outcome, Text) else Text(outcome))
        if r["findings"]:
            detail.append(
                f"\nPart of {r['findings']} finding{'s' if r['findings'] != 1 else ''} this month (tab 2)."
            )
        if r["note"]:
            detail.append("\n")
            detail.append_text(plain(r["note"], "dim"))
        table.add(
            key,
            (
                group,
                cut(r["label"], 32),
                value_text(r["value"], r["kind"]),
                state_cell(r["state"], r["special_cause_type"], words=True),
                outcome,
                change_text(r["change_1"], r["change_pct_1"], r["kind"]),
                change_text(r["change_12"], r["change_pct_12"], r["kind"]),
                str(r["findings"]),
                trend(session, area, r["measure"], r["level"], r["category"]),
            ),
            detail,
            ref,
        )
    return table


def violence_table(session: Session, area: str) -> Table:
    """The configured serious-violence view (config/views.yaml): knife and gun crime with their
    positive outcome rates, homicide, stop and search and its arrest rate."""
    view = session.config.views.serious_violence
    result = session.result
    frame = (
        view_rows(view, area, result.scan_month, result.status, result.comparisons, session.dataset.observations, session.config)
        if view is not None
        else None
    )
    table = Table(
        VIOLENCE_COLUMNS,
        note=Text.assemble(
            (view.label if view else "Serious violence", "bold"),
            f", {area}, {month_name(session.scan_month)}" + (f": {view.note}" if view and view.note else "."),
        ),
        empty=plain("No serious-violence view is configured (config/views.yaml)."),
    )
    if frame is None:
        return table
    for i, r in enumerate(frame.iter_rows(named=True)):
        key = f"v{i}"
        if not r["available"]:
            table.add(
                key,
                (
                    cut(r["label"], 48),
                    NO_DATA if r["note"].startswith("no data loaded") else "no data this month",
                    state_cell(None, available=False),
                    "",
                    "",
                    "",
                    "",
                    r["note"],
                ),
                plain(f"{r['label']}: {r['note']}."),
            )
            continue
        value = value_text(r["value"], r["kind"], r["unit"] or "")
        outcome = outcome_cell(r["outcome_rate"], r["outcome_state"], r["outcome_provisional"])
        detail = Text.assemble(
            plain(r["label"], "bold"),
            " ",
            state_cell(r["state"], r["special_cause_type"], words=True),
            f" · {value} in {month_name(session.scan_month)}"
            + (" (provisional)" if r["provisional"] else ""),
        )
        if r["outcome_rate"] is not None:
            detail.append(f" · positive outcome rate {fmt_value(r['outcome_rate'], 'proportion')}")
        table.add(
            key,
            (
                cut(r["label"], 48),
                value,
                state_cell(r["state"], r["special_cause_type"], words=True),
                outcome,
                change_text(r["change_1"], r["change_pct_1"], r["kind"]),
                change_text(r["change_12"], r["change_pct_12"], r["kind"]),
                trend(session, area, r["measure"], r["level"], r["category"]),
                "provisional" if r["provisional"] else "",
            ),
            detail,
            SeriesRef(r["measure"], r["level"], r["category"], r["label"]),
        )
    return table


def processes_table(session: Session, area: str) -> Table:
    result = session.result
    known = {m.id: m for m in session.config.measures}
    table = Table(PROCESS_COLUMNS)
    for i, measure_id in enumerate(m for m in KEY_PROCESS_MEASURES if m in known):
        measure = known[measure_id]
        key = f"k{i}"
        series = headline_series(result, measure_id)
        no_row = (
            cut(measure.label, 40),
            NO_DATA,
            "",
            "",
            "",
            state_cell(None, available=False),
            "",
        )
        if series is None:
            table.add(key, no_row, plain(f"{measure.label}: no data loaded."))
            continue
        level, category = series
        match = (
            (pl.col("area") == area)
            & (pl.col("measure") == measure_id)
            & (pl.col("level") == level)
            & (pl.col("category") == category)
        )
        status = result.status.filter(match)
        if status.height == 0:
            table.add(key, no_row, plain(f"{measure.label}: no data loaded for {area}."))
            continue
        s = status.row(0, named=True)
        twelve = (
            result.comparisons.filter(match & (pl.col("window") == "12"))
            if result.comparisons.height
            else pl.DataFrame()
        )
        change = (
            change_text(twelve["change"][0], twelve["change_pct"][0], s["kind"])
            if twelve.height
            else ""
        )
        target = value_text(s["target"], s["kind"], measure.unit) if s["target"] is not None else ""
        table.add(
            key,
            (
                cut(measure.label, 40),
                value_text(s["value"], s["kind"], measure.unit),
                target,
                change,
                trend(session, area, measure_id, level, category),
                state_cell(s["state"], s["special_cause_type"], words=True),
                (s["assurance"] or "").replace("_", " "),
            ),
            Text.assemble(
                plain(measure.label, "bold"),
                " ",
                state_cell(s["state"], s["special_cause_type"], words=True),
                f" · {value_text(s['value'], s['kind'], measure.unit)} in {month_name(session.scan_month)}",
            ),
            SeriesRef(measure_id, level, category, measure.label),
        )
    return table


def peers_table(session: Session, area: str) -> Table:
    """Where the borough stands against London (12-month rates, funnel limits): context for the
    meeting, kept apart from this month's changes."""
    frame = session.result.peers.filter(pl.col("borough") == area)
    table = Table(
        PEER_COLUMNS,
        note=Text.assemble(
            ("Standing against London", "bold"),
            ": 12-month rates outside London's funnel. Context, not this month's news (a change "
            "of standing this month is a finding).",
        ),
        empty=plain(f"{area} is within London's funnel on every series compared."),
    )
    for i, r in enumerate(frame.iter_rows(named=True)):
        table.add(
            f"s{i}",
            (
                Text(state_words(r["assessment"]), style=STATE_COLOUR.get(r["assessment"], "")),
                cut(r["name"], 44),
                f"{r['rate']:.2f}" if r["rate"] is not None else "",
                f"{r['london_rate']:.2f}" if r["london_rate"] is not None else "",
                f"{r['z']:+.1f}" if r["z"] is not None else "",
            ),
            plain(r["evidence"]),
            SeriesRef(r["measure"], r["level"], r["category"], r["name"]),
        )
    return table
