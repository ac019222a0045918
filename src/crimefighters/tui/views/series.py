"""Tabs of series rather than findings: priorities (with their positive outcome rates), serious
violence, key processes, and the area's standing among its peers and against London (context,
apart from this month's changes: ``ScanResult.standing`` and the peer funnel)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
from rich.text import Text

from crimefighters.config.models import LONDON
from crimefighters.present import (
    PRIORITY_GROUPS,
    STANDING_BASIS,
    fmt_rate,
    fmt_value,
    month_name,
    ordinal,
    rank_text,
    state_words,
)
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
KEY_PROCESS_MEASURES = (
    "response_i_compliance",
    "response_s_compliance",
    "positive_outcome_rate",
    "vcop_updated",
    "victim_satisfaction",
    "pas_confidence",
)
NO_DATA = "no data loaded"


def key_process_series(session: Session) -> list[tuple]:
    """(measure, (measure id, level, category)) of each key process the scan has, in order:
    the series the Processes tab shows."""
    known = {m.id: m for m in session.config.measures}
    out = []
    for measure_id in KEY_PROCESS_MEASURES:
        if measure_id not in known:
            continue
        series = headline_series(session.result, measure_id)
        if series is not None:
            out.append((known[measure_id], (measure_id, *series)))
    return out


def standing_of(session: Session, area: str) -> dict[tuple, dict]:
    """The area's standing among its peers, by (measure, level, category)."""
    frame = session.result.standing
    if frame.height == 0:
        return {}
    return {
        (r["measure"], r["level"], r["category"]): r
        for r in frame.filter(pl.col("area") == area).iter_rows(named=True)
    }


def standing_text(s: dict | None, unit: str = "") -> Text:
    """'6.41 per 1,000 residents, 12 months, 10th best of 32 · London 4.52 · Inner London
    5.10, 7th best of 13'; empty without a standing."""
    if s is None or s["value"] is None:
        return Text()
    rate = lambda x: fmt_rate(x, s["basis"], s["kind"], unit)  # noqa: E731
    text = Text.assemble(
        ("Standing: ", "bold"),
        f"{rate(s['value'])} ({STANDING_BASIS[s['basis']].format(per=s['per'] or 1000)}), ",
        (rank_text(s["rank"], s["ranked"], s["rank_order"]), "bold"),
        f" · London {rate(s['london'])}",
    )
    if s["family"]:
        text.append(" · ")
        text.append_text(plain(s["family"]))
        text.append(f" {rate(s['family_value'])}")
        if s["family_rank"] is not None:
            text.append(
                f", {rank_text(s['family_rank'], s['family_ranked'], s['rank_order'])} in it"
            )
    return text


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
    standing = standing_of(session, area)
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
        line = standing_text(
            standing.get((r["measure"], r["level"], r["category"])),
            session.config.measure(r["measure"]).unit,
        )
        if line.plain:
            detail.append("\n")
            detail.append_text(line)
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
        view_rows(
            view,
            area,
            result.scan_month,
            result.status,
            result.comparisons,
            session.dataset.observations,
            session.config,
        )
        if view is not None
        else None
    )
    table = Table(
        VIOLENCE_COLUMNS,
        note=Text.assemble(
            (view.label if view else "Serious violence", "bold"),
            f", {area}, {month_name(session.scan_month)}"
            + (f": {view.note}" if view and view.note else "."),
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
    standing = standing_of(session, area)
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
                f" · {value_text(s['value'], s['kind'], measure.unit)} in {month_name(session.scan_month)}\n",
                standing_text(standing.get((measure_id, level, category)), measure.unit),
            ),
            SeriesRef(measure_id, level, category, measure.label),
        )
    return table


def peers_table(session: Session, area: str) -> Table:
    """The area's standing among its peers (``ScanResult.standing``): for each priority and
    key process, its 12-month rate, its rank among the 32 boroughs (or the 12 BCUs), London's
    rate, its family's rate and its rank in the family; then, for a borough, every other series
    outside London's funnel. Context for the meeting, kept apart from this month's changes."""
    config, result = session.config, session.result
    kind = config.area_type(area)
    if kind == "london":
        return _london_standing(session)
    standing = standing_of(session, area)
    funnel = {
        (r["measure"], r["level"], r["category"]): r
        for r in result.peers.filter(pl.col("borough") == area).iter_rows(named=True)
    }
    family = config.family_of(area)
    peers = len(config.bcu_names()) if kind == "bcu" else len(config.borough_names())
    columns = ("Series", "Rate (12m)", "Rank", "London")
    labels: tuple[str, ...] = ("Series", "Rate (12m)", f"Rank of {peers}", "London")
    if family:
        columns += ("Family", "Family rank")
        labels += (family, "Rank in it")
    if kind == "borough":
        columns += ("vs London", "z")
        labels += ("vs London", "z")
    note = Text.assemble(
        ("Standing among peers", "bold"),
        f": the 12 months to {month_name(session.scan_month)}, ranked among the "
        f"{peers} {'BCUs' if kind == 'bcu' else 'boroughs'} (1st = best; for a series with no "
        "better direction, the highest)",
    )
    if family:
        members = sum(1 for f in config.family_members().values() if f == family)
        note.append(", beside London and ")
        note.append_text(plain(family))
        note.append(f" ({members} boroughs, geography.families)")
    else:
        note.append(" and beside London")
        if kind == "bcu":
            note.append(f" ({area} spans two families of boroughs: no family figure)")
    note.append(
        ". Context, not this month's news: a change of standing this month is a finding."
        if kind == "borough"
        else ". Context, not this month's news."
    )
    table = Table(
        columns,
        note=note,
        empty=plain(f"No standing for {area}: no series with 12 months of data."),
        labels=labels,
    )
    listed: set[tuple] = set()
    rows: list[tuple[str, tuple, str]] = []
    priorities = result.priorities.filter(pl.col("borough") == area).sort("order")
    for p in priorities.iter_rows(named=True):
        series = (p["measure"], p["level"], p["category"])
        if series not in listed:
            listed.add(series)
            rows.append((p["label"], series, PRIORITY_GROUPS.get(p["group"], p["group"])))
    for measure, series in key_process_series(session):
        if series not in listed:
            listed.add(series)
            rows.append((measure.label, series, "key process"))
    for series, r in funnel.items():
        if series not in listed:
            listed.add(series)
            rows.append((r["name"], series, "outside London's funnel"))
    for i, (label, series, why) in enumerate(rows):
        s = standing.get(series)
        f = funnel.get(series)
        unit = config.measure(series[0]).unit
        if s is None and f is None:
            cells: tuple = (cut(label, 40), "n/a", "", "")
            cells += ("", "") if family else ()
            cells += ("", "") if kind == "borough" else ()
            table.add(
                f"s{i}",
                cells,
                plain(
                    f"{label} ({why}): no 12-month rate for {area} (fewer than 12 months of data, or no population)."
                ),
                SeriesRef(*series, label),
            )
            continue
        rate = (lambda x, s=s, unit=unit: fmt_rate(x, s["basis"], s["kind"], unit)) if s else None
        cells = (
            cut(label, 40),
            rate(s["value"]) if s else "n/a",
            f"{ordinal(s['rank'])} {s['rank_order']}" if s and s["rank"] is not None else "",
            rate(s["london"]) if s else "",
        )
        if family:
            cells += (
                rate(s["family_value"]) if s and s["family"] else "",
                f"{ordinal(s['family_rank'])} {s['rank_order']}"
                if s and s["family_rank"] is not None
                else "",
            )
        if kind == "borough":
            cells += (
                Text(state_words(f["assessment"]), style=STATE_COLOUR.get(f["assessment"], ""))
                if f
                else Text("within", style=STATE_COLOUR["common cause"]),
                f"{f['z']:+.1f}" if f and f["z"] is not None else "",
            )
        detail = Text.assemble(plain(label, "bold"), f" ({why})\n")
        detail.append_text(standing_text(s, unit))
        if f:
            detail.append("\nAgainst London's funnel: ", "bold")
            detail.append_text(plain(f["evidence"]))
        elif kind == "borough" and s is not None:
            detail.append(
                "\nWithin London's funnel (its 12-month rate is as London's, allowing for chance)."
            )
        table.add(f"s{i}", cells, detail, SeriesRef(*series, label))
    return table


def _london_standing(session: Session) -> Table:
    """London's view of standing: for each of its priorities and key processes, London's
    12-month rate and the boroughs ranked first and last."""
    config, result = session.config, session.result
    boroughs = (
        result.standing.filter(pl.col("area_type") == "borough")
        if result.standing.height
        else result.standing
    )
    table = Table(
        ("Series", "London (12m)", "Ranked 1st", "Ranked last"),
        note=Text.assemble(
            ("London and its boroughs", "bold"),
            f": the 12 months to {month_name(session.scan_month)}, London's rate and the "
            "boroughs ranked first (the best; for a series with no better direction, the "
            "highest) and last. Each borough's standing is in its own view.",
        ),
        empty=plain("No standing: no series with 12 months of data."),
    )
    listed: set[tuple] = set()
    rows: list[tuple[str, tuple]] = []
    for p in (
        result.priorities.filter(pl.col("borough") == LONDON).sort("order").iter_rows(named=True)
    ):
        series = (p["measure"], p["level"], p["category"])
        if series not in listed:
            listed.add(series)
            rows.append((p["label"], series))
    for measure, series in key_process_series(session):
        if series not in listed:
            listed.add(series)
            rows.append((measure.label, series))
    for i, (label, series) in enumerate(rows):
        ranked = (
            boroughs.filter(
                (pl.col("measure") == series[0])
                & (pl.col("level") == series[1])
                & (pl.col("category") == series[2])
            ).sort("rank", "area")
            if boroughs.height
            else boroughs
        )
        unit = config.measure(series[0]).unit
        if ranked.height == 0:
            table.add(
                f"s{i}",
                (cut(label, 40), "n/a", "", ""),
                plain(f"{label}: no 12-month rate."),
                SeriesRef(*series, label),
            )
            continue
        first, last = ranked.row(0, named=True), ranked.row(-1, named=True)
        rate = lambda x, s=first, unit=unit: fmt_rate(x, s["basis"], s["kind"], unit)  # noqa: E731
        detail = Text.assemble(
            plain(label, "bold"),
            f"\nLondon {rate(first['london'])} "
            f"({STANDING_BASIS[first['basis']].format(per=first['per'] or 1000)}); "
            f"{ranked.height} boroughs ranked:",
        )
        for r in ranked.iter_rows(named=True):
            detail.append(f"\n  {ordinal(r['rank'])} ")
            detail.append_text(plain(r["area"]))
            detail.append(f" {rate(r['value'])}")
        table.add(
            f"s{i}",
            (
                cut(label, 40),
                rate(first["london"]),
                Text.assemble(plain(first["area"]), f" {rate(first['value'])}"),
                Text.assemble(plain(last["area"]), f" {rate(last['value'])}"),
            ),
            detail,
            SeriesRef(*series, label),
        )
    return table
