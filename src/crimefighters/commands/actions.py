"""crimefighters actions list | add | done | export"""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Annotated, Literal

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
from crimefighters.commands._shared import Options, format_for_output
from crimefighters.errors import CrimefightersError

if TYPE_CHECKING:
    from crimefighters.meeting import Action

STATUSES = ("open", "done", "dropped")
MONTH_FIELDS = {"month_raised", "due_month", "closed_month"}
FIELDS = [
    "id", "area", "finding_id", "month_raised", "text", "owner", "due_month", "due_date", "status",
    "outcome", "closed_month", "closed_at", "closed_by", "created_at", "created_by",
]  # fmt: skip


Status = Literal["open", "done", "dropped"]
AreaOption = Annotated[str | None, Parameter(help="only this borough, BCU or London (any spelling)")]
MonthOption = Annotated[str | None, Parameter(help="only actions raised at this month's meeting (YYYY-MM)")]
StatusOption = Annotated[Status | None, Parameter(help="only open, done or dropped actions")]


def list_(
    *,
    area: AreaOption = None,
    month: MonthOption = None,
    status: StatusOption = None,
    format: Literal["table", "csv", "json"] = "table",
    options: Options,
) -> int:
    """List actions agreed at meetings, oldest first, as a table, CSV or JSON."""
    return run_list(arguments(options, area=area, month=month, status=status, format=format))


def add(
    *,
    area: Annotated[str, Parameter(help="the borough, BCU or London")],
    month: Annotated[str, Parameter(help="the meeting's month of data, YYYY-MM")],
    finding: Annotated[str, Parameter(help="the finding's id, as the scan gives it")],
    text: Annotated[str, Parameter(help="what is to be done")],
    owner: Annotated[str, Parameter(help="who will do it")] = "",
    due: Annotated[
        str | None,
        Parameter(help="the meeting it is due at (YYYY-MM) or a date (YYYY-MM-DD); default: next month's"),
    ] = None,
    options: Options,
) -> int:
    """Record an action agreed at an area's meeting on a finding of the scan."""
    return run_add(arguments(options, area=area, month=month, finding=finding, text=text, owner=owner, due=due))


def done(
    id: Annotated[int, Parameter(help="the action's number (see `crimefighters actions list`)")],
    /,
    *,
    note: Annotated[str, Parameter(help="the outcome: what was done, or why it was dropped")] = "",
    dropped: Annotated[bool, Parameter(help="dropped, not done")] = False,
    month: Annotated[
        str | None,
        Parameter(help="the meeting it is reported at (default: the area's latest meeting if held today or later, else the next)"),
    ] = None,
    options: Options,
) -> int:
    """Mark an action done (or dropped), with its outcome."""
    return run_done(arguments(options, id=id, note=note, dropped=dropped, month=month))


def export(
    *,
    output: Annotated[str, Parameter(help="the file to write (atomically)")],
    area: AreaOption = None,
    month: MonthOption = None,
    status: StatusOption = None,
    format: Literal["csv", "json", "table"] = "csv",
    options: Options,
) -> int:
    """Write actions to a CSV or JSON file (an interrupted export leaves the old file whole)."""
    format_for_output(Path(output), format, ("csv", "json", "table"), "csv")
    return run_export(arguments(options, area=area, month=month, status=status, format=format, output=output))


def run_list(args: SimpleNamespace) -> int:
    actions = _selected(args)
    if args.format == "table" and not actions:
        print("No actions match.", file=sys.stderr)
        return 0
    emit(_render(actions, args.format), None)
    return 0


def run_export(args: SimpleNamespace) -> int:
    actions = _selected(args)
    emit(_render(actions, args.format), args.output)
    return 0


def run_add(args: SimpleNamespace) -> int:
    loaded = load_config_from(args)
    area = resolve_area(args.area, loaded.config)
    due_month, due_date = _due(args.due)
    with open_store_from(args, loaded) as store:
        action = store.add_action(
            args.finding,
            area,
            month_text(args.month),
            args.text,
            owner=args.owner,
            due_month=due_month,
            due_date=due_date,
        )
        print(
            f"Action {action.id} for {action.area}, raised at the {action.month_raised:%B %Y} meeting, "
            f"due at the {action.due_month:%B %Y} meeting ({store.path})"
        )
    return 0


def run_done(args: SimpleNamespace) -> int:
    from crimefighters.text_safety import terminal_safe

    status = "dropped" if args.dropped else "done"
    with open_store_from(args, create=False) as store:
        action = store.close_action(args.id, status, args.note, month_text(args.month))
    print(
        f"Action {action.id} {status} at the {action.closed_month:%B %Y} meeting: {terminal_safe(action.text)}"
    )
    return 0


def _selected(args: SimpleNamespace) -> list[Action]:
    loaded = load_config_from(args)
    area = resolve_area(args.area, loaded.config)
    with open_store_from(args, loaded, create=False) as store:
        return store.actions_for(area=area, month=month_text(args.month), status=args.status)


def _due(text: str | None) -> tuple[str | None, str | None]:
    if text is None:
        return None, None
    from datetime import date

    if len(text) == 7:
        return month_text(text, "--due"), None
    if len(text) == 10:
        try:
            return None, date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise CrimefightersError(
        f"--due: expected a meeting month YYYY-MM or a date YYYY-MM-DD; got {text!r}"
    )


def _render(actions: list[Action], fmt: str) -> str:
    records = [
        {k: plain(v, month=k in MONTH_FIELDS) for k, v in asdict(a).items() if k in FIELDS}
        for a in actions
    ]
    if fmt == "json":
        return to_json(records)
    if fmt == "csv":
        return to_csv(records, FIELDS)
    rows = [
        [
            str(a.id),
            a.area,
            f"{a.month_raised:%Y-%m}",
            f"{a.due_date or a.due_month.strftime('%Y-%m')}",
            a.status,
            a.owner or "-",
            a.finding_id,
            a.text + (f" -> {a.outcome}" if a.outcome else ""),
        ]
        for a in actions
    ]
    return to_table(rows, ["id", "area", "raised", "due", "status", "owner", "finding", "action"])
