"""The briefing's meeting section: what the last meeting agreed, what became of it, and whether
the numbers moved since. Built from the meeting store's ``SinceLastMeeting`` and the scan result
(nothing is computed here; the finding's status and values come from the scan).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from crimefighters.present import fmt_change, fmt_value, month_name, status_text

if TYPE_CHECKING:
    from crimefighters.config.models import Config
    from crimefighters.meeting import GoldTasking, SinceLastMeeting
    from crimefighters.scan.result import ScanResult


@dataclass(frozen=True)
class MeetingView:
    """What the store says about one area at one month: for the briefing and the TUI."""

    since: SinceLastMeeting
    gold: tuple[GoldTasking, ...] = field(default_factory=tuple)


def read_meeting_views(areas: list[str], month, store: str | None, loaded) -> dict[str, MeetingView]:
    """The meeting views of some areas, or {} when there is no store yet (never creates one)."""
    from crimefighters.meeting import open_store, resolve_store_location

    if not resolve_store_location(store, loaded).path.exists():
        return {}
    with open_store(store, loaded=loaded, create=False) as db:
        return {
            area: MeetingView(since=db.since_last_meeting(area, month), gold=tuple(db.gold_taskings_for(area=area)))
            for area in areas
        }


def meeting_section(result: ScanResult, config: Config, area: str, view: MeetingView | None) -> dict[str, Any]:
    """Actions from the last meeting with their status and the numbers since; Gold Group
    taskings; the area's enduring findings and whether they are tasked."""
    tasked = {g.finding_id: g for g in (view.gold if view else ())}
    enduring = [
        {
            "title": f["name"],
            "status": status_text(f["status"], f["months_running"], config.scan.findings.lookback_months),
            "assessment": f["assessment"],
            "gold": f"tasked to {tasked[f['finding_id']].group} ({tasked[f['finding_id']].tasked_on:%d %b %Y})"
            if f["finding_id"] in tasked
            else "not tasked to a Gold Group",
        }
        for f in result.for_area(area).filter(pl.col("enduring")).iter_rows(named=True)
    ]
    months = config.meeting.enduring_months
    if view is None:
        return {"recorded": False, "actions": [], "enduring": enduring, "enduring_months": months, "gold": [], "previous": ""}
    since = view.since
    month = result.scan_month
    seen: dict[int, Any] = {}
    for action in (*since.agreed, *since.due, *since.overdue, *since.done, *since.dropped):
        seen.setdefault(action.id, action)
    actions = [_action_row(a, result, config, month) for a in sorted(seen.values(), key=lambda a: (a.month_raised, a.id))]
    return {
        "recorded": True,
        "previous": month_name(since.previous_month) if since.previous_month else "",
        "actions": actions,
        "enduring": enduring,
        "enduring_months": months,
        "gold": [
            {"group": g.group, "lead": g.lead, "tasked_on": f"{g.tasked_on:%d %b %Y}", "finding": _finding_name(g.finding_id, result, config)}
            for g in since.gold_taskings
        ],
    }


def _action_row(action, result: ScanResult, config: Config, month) -> dict[str, Any]:
    status = action.status_at(month)
    if status == "open" and action.overdue_at(month):
        status = "overdue"
    return {
        "id": action.id,
        "text": action.text,
        "owner": action.owner or "",
        "raised": month_name(action.month_raised),
        "due": f"{action.due_date:%d %b %Y}" if action.due_date else month_name(action.due_month),
        "status": status,
        "outcome": action.outcome or "",
        "finding": _finding_name(action.finding_id, result, config),
        "since": _since(action, result, config),
    }


def _finding_name(finding_id: str, result: ScanResult, config: Config) -> str:
    for frame in (result.findings, result.resolved):
        row = frame.filter(pl.col("finding_id") == finding_id)
        if row.height:
            return row["name"][0]
    past = result.history.filter(pl.col("finding_id") == finding_id)
    if past.height:
        from crimefighters.present import series_name

        r = past.row(-1, named=True)
        measure = config.measure(r["measure"])
        return series_name(measure.id, measure.label, r["level"], r["category"])
    return finding_id.split("|")[2].replace("_", " ").capitalize() if finding_id.count("|") == 3 else finding_id


def _since(action, result: ScanResult, config: Config) -> str:
    """'still a finding (continuing, 3 months); 281 in August 2026, 240 in September 2026
    (-41 (-14.6%), better month on month)', or 'resolved this month; ...'."""
    now = result.findings.filter(pl.col("finding_id") == action.finding_id)
    if now.height:
        f = now.row(0, named=True)
        state = f"still a finding ({status_text(f['status'], f['months_running'], config.scan.findings.lookback_months)})"
    elif result.resolved.filter(pl.col("finding_id") == action.finding_id).height:
        state = "resolved this month"
    else:
        state = "no longer a finding"
    past = result.history.filter(pl.col("finding_id") == action.finding_id).sort("month")
    if past.height == 0:
        return state
    series = past.row(-1, named=True)
    match = (
        (pl.col("area") == series["area"]) & (pl.col("measure") == series["measure"])
        & (pl.col("level") == series["level"]) & (pl.col("category") == series["category"])
    )  # fmt: skip
    then = result.points.filter(match & (pl.col("month") == action.month_raised)) if result.points.height else result.points
    current = result.status.filter(match)
    if current.height == 0 or then.height == 0 or action.month_raised >= result.scan_month:
        return state
    kind, unit = current["kind"][0], config.measure(series["measure"]).unit
    before, after = then["value"][0], current["value"][0]
    change = after - before
    pct = (change / before * 100) if before else None
    improve = current["direction"][0]
    # one month against one month: say which way that is, so a monthly rise in a series whose
    # finding is a 3-month improvement is not read as the finding reversing
    verdict = (
        ""
        if improve not in ("up", "down") or change == 0
        else ", better" if (change > 0) == (improve == "up") else ", worse"
    )
    return (
        f"{state}; {fmt_value(before, kind, unit)} in {month_name(action.month_raised)}, "
        f"{fmt_value(after, kind, unit)} in {month_name(result.scan_month)} "
        f"({fmt_change(change, pct, kind)}{verdict} month on month)"
    )
