"""crimefighters actions list | add | done | export"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING

from crimefighters.commands._meeting import (
    emit,
    month_text,
    open_store_from,
    plain,
    resolve_area,
    store_options,
    to_csv,
    to_json,
    to_table,
)
from crimefighters.commands._shared import load_config_from
from crimefighters.errors import CrimefightersError

if TYPE_CHECKING:
    from crimefighters.meeting import Action

STATUSES = ("open", "done", "dropped")
MONTH_FIELDS = {"month_raised", "due_month", "closed_month"}
FIELDS = [
    "id", "area", "finding_id", "month_raised", "text", "owner", "due_month", "due_date", "status",
    "outcome", "closed_month", "closed_at", "closed_by", "created_at", "created_by",
]  # fmt: skip


def register(subparsers, common: argparse.ArgumentParser) -> None:
    store = store_options()
    filters = argparse.ArgumentParser(add_help=False)
    group = filters.add_argument_group("which actions")
    group.add_argument(
        "--area", metavar="NAME", help="only this borough, BCU or London (any spelling)"
    )
    group.add_argument(
        "--month", metavar="YYYY-MM", help="only actions raised at this month's meeting"
    )
    group.add_argument("--status", choices=STATUSES, help="only open, done or dropped actions")

    parser = subparsers.add_parser(
        "actions",
        help="actions agreed at meetings: list, add, mark done, export",
        description="Actions agreed at a borough's CrimeFighters on a finding, who owns them, the "
        "meeting they are due at, and whether they were done. Kept in the meeting store.",
        parents=[common],
    )
    actions = parser.add_subparsers(dest="actions_command", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list", help="list actions, oldest first", parents=[common, store, filters],
        description="List actions, oldest first, as a table, CSV or JSON on standard output.",
    )  # fmt: skip
    listing.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="default: table"
    )
    listing.set_defaults(handler=run_list)

    add = actions.add_parser(
        "add", help="record an action agreed on a finding", parents=[common, store],
        description="Record an action agreed at AREA's meeting for MONTH on a finding of the scan.",
    )  # fmt: skip
    add.add_argument("--area", metavar="NAME", required=True, help="the borough, BCU or London")
    add.add_argument(
        "--month", metavar="YYYY-MM", required=True, help="the meeting's month of data"
    )
    add.add_argument(
        "--finding", metavar="ID", required=True, help="the finding's id, as the scan gives it"
    )
    add.add_argument("--text", required=True, help="what is to be done")
    add.add_argument("--owner", default="", help="who will do it")
    add.add_argument(
        "--due",
        metavar="YYYY-MM|YYYY-MM-DD",
        help="the meeting it is due at, or a date (due at that month's meeting); default: next month's",
    )
    add.set_defaults(handler=run_add)

    done = actions.add_parser(
        "done", help="mark an action done (or dropped), with its outcome", parents=[common, store],
        description="Close an open action as done (or, with --dropped, dropped), with an outcome note.",
    )  # fmt: skip
    done.add_argument("id", type=int, help="the action's number (see `crimefighters actions list`)")
    done.add_argument(
        "--note", default="", help="the outcome: what was done, or why it was dropped"
    )
    done.add_argument("--dropped", action="store_true", help="dropped, not done")
    done.add_argument(
        "--month",
        metavar="YYYY-MM",
        help="the meeting it is reported at (default: the area's latest meeting if it is held "
        "today or later, else the next one)",
    )
    done.set_defaults(handler=run_done)

    export = actions.add_parser(
        "export", help="write actions to a CSV or JSON file", parents=[common, store, filters],
        description="Write actions to FILE (atomically: an interrupted export leaves the old file whole).",
    )  # fmt: skip
    export.add_argument("--output", metavar="FILE", required=True)
    export.add_argument(
        "--format", choices=("csv", "json", "table"), default="csv", help="default: csv"
    )
    export.set_defaults(handler=run_export)


def run_list(args: argparse.Namespace) -> int:
    actions = _selected(args)
    if args.format == "table" and not actions:
        print("No actions match.", file=sys.stderr)
        return 0
    emit(_render(actions, args.format), None)
    return 0


def run_export(args: argparse.Namespace) -> int:
    actions = _selected(args)
    emit(_render(actions, args.format), args.output)
    return 0


def run_add(args: argparse.Namespace) -> int:
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


def run_done(args: argparse.Namespace) -> int:
    from crimefighters.meeting.text import terminal_safe

    status = "dropped" if args.dropped else "done"
    with open_store_from(args, create=False) as store:
        action = store.close_action(args.id, status, args.note, month_text(args.month))
    print(
        f"Action {action.id} {status} at the {action.closed_month:%B %Y} meeting: {terminal_safe(action.text)}"
    )
    return 0


def _selected(args: argparse.Namespace) -> list[Action]:
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
