"""crimefighters meeting record | list | gold

The meeting itself, for an analyst preparing the pack without the TUI: record that an area's
meeting was held (so the next one opens on "since the last meeting"), list the meetings and
Gold Group taskings, and task an enduring finding to a Gold Group.
"""

from __future__ import annotations

import sys
from typing import Annotated, Literal

from cyclopts import Parameter

from crimefighters.commands._meeting import (
    arguments,
    emit,
    load_config_from,
    month_text,
    open_store_from,
    plain,
    resolve_area,
    to_csv,
    to_json,
    to_table,
)
from crimefighters.commands._shared import Options
from crimefighters.errors import CrimefightersError

MEETING_FIELDS = ["area", "month", "held_on", "chair", "created_at", "created_by"]
GOLD_FIELDS = ["id", "area", "month", "finding_id", "group", "lead", "tasked_on", "note", "action_id", "created_by"]


def record(
    *,
    area: Annotated[str, Parameter(help="the borough, BCU or London")],
    month: Annotated[str, Parameter(help="the month of data the meeting looked at, YYYY-MM")],
    held_on: Annotated[str | None, Parameter(help="the day it was held, YYYY-MM-DD (default: today)")] = None,
    chair: Annotated[str, Parameter(help="who chaired it")] = "",
    options: Options,
) -> int:
    """Record that an area's meeting was held (again for the same month corrects it)."""
    from datetime import date

    args = arguments(options)
    loaded = load_config_from(args)
    name = resolve_area(area, loaded.config)
    with open_store_from(args, loaded) as store:
        meeting = store.record_meeting(name, month_text(month), held_on or date.today(), chair=chair)
        print(
            f"Meeting of {meeting.area} on the {meeting.month:%B %Y} data, held {meeting.held_on:%d %B %Y}"
            f"{f', chaired by {meeting.chair}' if meeting.chair else ''} ({store.path})"
        )
    return 0


def list_(
    *,
    area: Annotated[str, Parameter(help="the borough, BCU or London")],
    format: Literal["table", "csv", "json"] = "table",
    options: Options,
) -> int:
    """List an area's recorded meetings and its Gold Group taskings."""
    args = arguments(options)
    loaded = load_config_from(args)
    name = resolve_area(area, loaded.config)
    with open_store_from(args, loaded, create=False) as store:
        meetings = [{f: plain(getattr(m, f), month=f == "month") for f in MEETING_FIELDS} for m in store.meetings_for(name)]
        taskings = [{f: plain(getattr(g, f), month=f == "month") for f in GOLD_FIELDS} for g in store.gold_taskings_for(area=name)]
    if format == "json":
        emit(to_json({"meetings": meetings, "gold_taskings": taskings}), None)  # type: ignore[arg-type]
        return 0
    if format == "csv":
        # one table of both kinds, each row saying which it is
        fields = ["kind", *MEETING_FIELDS, *(f for f in GOLD_FIELDS if f not in MEETING_FIELDS)]
        rows = [{"kind": "meeting", **m} for m in meetings] + [{"kind": "gold_tasking", **g} for g in taskings]
        emit(to_csv([{f: r.get(f) for f in fields} for r in rows], fields), None)
        return 0
    if not meetings and not taskings:
        print(f"No meetings or Gold Group taskings recorded for {name}.", file=sys.stderr)
        return 0
    text = ""
    if meetings:
        text += to_table(
            [[m["month"], m["held_on"], m["chair"], m["created_by"]] for m in meetings],
            ["Meeting (data month)", "Held", "Chair", "Recorded by"],
        )
    if taskings:
        text += ("\n" if text else "") + to_table(
            [[g["id"], g["month"], g["group"], g["lead"], g["finding_id"]] for g in taskings],
            ["Gold", "Month", "Group", "Lead", "Finding"],
        )
    emit(text, None)
    return 0


def gold(
    *,
    area: Annotated[str, Parameter(help="the borough, BCU or London")],
    month: Annotated[str, Parameter(help="the meeting's month of data, YYYY-MM")],
    finding: Annotated[str, Parameter(help="the finding's id, as the scan gives it")],
    group: Annotated[str, Parameter(help="the Gold Group's name")],
    lead: Annotated[str, Parameter(help="who leads it")] = "",
    note: Annotated[str, Parameter(help="what the group is asked to do")] = "",
    action: Annotated[int | None, Parameter(help="the action this tasking belongs to, if any")] = None,
    options: Options,
) -> int:
    """Task a finding (an enduring issue or a significant risk) to a Gold Group."""
    args = arguments(options)
    loaded = load_config_from(args)
    name = resolve_area(area, loaded.config)
    if not finding.strip():
        raise CrimefightersError("--finding: expected a finding id from `crimefighters scan`")
    with open_store_from(args, loaded) as store:
        tasking = store.task_gold_group(
            finding, name, month_text(month), group, lead=lead, note=note, action_id=action
        )
        print(
            f"Gold tasking {tasking.id}: {tasking.finding_id} to {tasking.group}"
            f"{f' (lead {tasking.lead})' if tasking.lead else ''} at the {tasking.month:%B %Y} meeting ({store.path})"
        )
    return 0
