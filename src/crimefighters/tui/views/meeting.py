"""The meeting's memory in the borough view: "Since the last meeting" (what a borough opens on)
and the Actions tab. Read from the meeting store (``SinceLastMeeting``, ``actions_for``) and
the scan (each action's finding as it stands this month)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import polars as pl
from rich.text import Text

from crimefighters.present import (
    action_status_text,
    finding_id_name,
    month_name,
    series_name,
    state_words,
    status_text,
)
from crimefighters.tui.views import Table, cut
from crimefighters.tui.widgets.cells import STATE_COLOUR, plain

if TYPE_CHECKING:
    from crimefighters.meeting import Action, GoldTasking, SinceLastMeeting
    from crimefighters.tui.session import Session

SINCE_COLUMNS = ("", "Item", "Status", "The finding now", "Owner / lead", "Due")
ACTION_COLUMNS = ("#", "Action", "Status", "Owner", "Due", "Finding", "Raised", "Outcome", "Gold")
# overdue first, then what is due now, still open, done and dropped
ACTION_ORDER = {"overdue": 0, "due now": 1, "open": 2, "done": 3, "dropped": 4}


@dataclass(frozen=True)
class ActionTarget:
    action: Action


@dataclass(frozen=True)
class FindingIdTarget:
    """A row about a finding known by its id (enduring, tasked, resolved)."""

    finding_id: str
    current: bool  # a finding this month (the Findings tab has it)


def finding_name(session: Session, finding_id: str) -> str:
    """A finding's name wherever the scan still knows it: this month's findings, those
    resolved since last month, or the months it looks back on."""
    result = session.result
    for frame in (result.findings, result.resolved):
        row = frame.filter(pl.col("finding_id") == finding_id)
        if row.height:
            return row["name"][0]
    past = result.history.filter(pl.col("finding_id") == finding_id)
    if past.height and {"level", "category"} <= set(past.columns):
        r = past.row(-1, named=True)
        measure = session.config.measure(r["measure"])
        return series_name(measure.id, measure.label, r["level"], r["category"])
    return finding_id_name(finding_id)


def finding_now(session: Session, finding_id: str) -> Text:
    """How the finding stands this month: 'continuing, 2 months, ! concern ↑', 'resolved',
    'not a finding this month'."""
    result = session.result
    now = result.findings.filter(pl.col("finding_id") == finding_id)
    if now.height:
        f = now.row(0, named=True)
        looked_back = session.config.scan.findings.lookback_months
        return Text.assemble(
            f"{status_text(f['status'], f['months_running'], looked_back)}, ",
            (state_words(f["assessment"], f["direction"]), STATE_COLOUR.get(f["assessment"], "")),
        )
    if result.resolved.filter(pl.col("finding_id") == finding_id).height:
        return Text("resolved this month", style=STATE_COLOUR["improvement"])
    return Text("not a finding this month", style=STATE_COLOUR["common cause"])


def action_status(action: Action, month: date) -> str:
    return action_status_text(action.status_at(month), action.due_month, month)


def _due(action: Action) -> str:
    return f"{action.due_date:%d %b %Y}" if action.due_date else month_name(action.due_month)


def action_detail(session: Session, action: Action, gold: list[GoldTasking]) -> Text:
    month = session.scan_month
    text = Text.assemble(
        (f"Action {action.id}", "bold"),
        f" · raised at the {month_name(action.month_raised)} meeting by {action.created_by}"
        f" · {action_status(action, month)}\n",
    )
    text.append_text(plain(action.text))
    text.append("\nOwner: ")
    text.append_text(plain(action.owner or "none named"))
    text.append(f" · due {_due(action)}")
    text.append("\nFinding: ")
    text.append_text(plain(finding_name(session, action.finding_id)))
    text.append(" · now ")
    text.append_text(finding_now(session, action.finding_id))
    if action.status_at(month) != "open":
        text.append(
            f"\n{action.status.capitalize()} at the {month_name(action.closed_month)} meeting"
        )
        text.append(f" by {action.closed_by}")
        if action.outcome:
            text.append(": ")
            text.append_text(plain(action.outcome))
    for g in gold:
        if g.action_id == action.id:
            text.append(f"\nTasked to a Gold Group {g.tasked_on:%d %b %Y}: ")
            text.append_text(plain(g.group))
            if g.lead:
                text.append(", lead ")
                text.append_text(plain(g.lead))
    if action.status_at(month) == "open":
        text.append(
            "\nEnter: report it done or dropped · g: task its finding to a Gold Group", "dim"
        )
    return text


def since_table(
    session: Session,
    area: str,
    since: SinceLastMeeting | None,
    gold: list[GoldTasking],
    store: str,
) -> Table:
    """What the chair sees first: the actions from earlier meetings and what became of them,
    Gold Group taskings, findings resolved since last month, and enduring findings (offered
    for tasking to a Gold Group until they are)."""
    result, config = session.result, session.config
    month = result.scan_month
    table = Table(SINCE_COLUMNS)
    tasked = {g.finding_id: g for g in gold}
    # actions: every one the view knows, once, overdue and due first
    actions: dict[int, Action] = {}
    if since is not None:
        for a in (*since.overdue, *since.due, *since.agreed, *since.done, *since.dropped):
            actions.setdefault(a.id, a)
    ordered = sorted(
        actions.values(),
        key=lambda a: (ACTION_ORDER.get(action_status(a, month).split(" (")[0], 9), a.id),
    )
    for a in ordered:
        status = action_status(a, month)
        outcome = f": {a.outcome}" if a.outcome and status in ("done", "dropped") else ""
        table.add(
            f"a{a.id}",
            (
                "Action",
                cut(a.text, 34),
                Text(cut(status + outcome, 40), style=_status_style(status)),
                Text.assemble(
                    plain(cut(finding_name(session, a.finding_id), 28)),
                    ": ",
                    finding_now(session, a.finding_id),
                ),
                cut(a.owner, 20),
                _due(a),
            ),
            action_detail(session, a, gold),
            ActionTarget(a),
        )
    for g in since.gold_taskings if since is not None else ():
        table.add(
            f"g{g.id}",
            (
                "Gold",
                cut(g.group, 34),
                f"tasked {g.tasked_on:%d %b %Y}",
                Text.assemble(
                    plain(cut(finding_name(session, g.finding_id), 28)),
                    ": ",
                    finding_now(session, g.finding_id),
                ),
                cut(g.lead, 20),
                "",
            ),
            _gold_detail(session, g),
            FindingIdTarget(g.finding_id, _current(session, g.finding_id)),
        )
    for r in result.resolved.filter(pl.col("borough") == area).iter_rows(named=True):
        table.add(
            f"r{r['finding_id']}",
            (
                "Resolved",
                cut(r["name"], 34),
                Text("resolved", style=STATE_COLOUR["improvement"]),
                f"was {state_words(r['assessment'], r['direction'])} to {r['last_month']}",
                "",
                "",
            ),
            Text.assemble(
                plain(r["name"], "bold"),
                f": a finding ({state_words(r['assessment'], r['direction'])}) to "
                f"{month_name(date.fromisoformat(r['last_month'] + '-01'))}, not in "
                f"{month_name(month)}.",
            ),
            FindingIdTarget(r["finding_id"], False),
        )
    looked_back = config.scan.findings.lookback_months
    for f in result.for_area(area).filter(pl.col("enduring")).iter_rows(named=True):
        g = tasked.get(f["finding_id"])
        # a Gold Group is for an enduring problem: the prompt goes with concerns
        if g is not None:
            gold_words = Text.assemble("Gold: ", plain(g.group))
        elif f["assessment"] == "concern":
            gold_words = Text("not tasked: g to task", style="bold #e8710a")
        else:
            gold_words = Text("not tasked", style="dim")
        table.add(
            f"e{f['finding_id']}",
            (
                "Enduring",
                cut(f["name"], 34),
                status_text(f["status"], f["months_running"], looked_back),
                Text.assemble(
                    (
                        state_words(f["assessment"], f["direction"]),
                        STATE_COLOUR.get(f["assessment"], ""),
                    ),
                    " · ",
                    gold_words,
                ),
                cut(g.lead, 20) if g else "",
                "",
            ),
            _enduring_detail(session, f, g),
            FindingIdTarget(f["finding_id"], True),
        )
    enduring_concerns = result.for_area(area).filter(
        pl.col("enduring") & (pl.col("assessment") == "concern")
    )
    untasked = sum(f not in tasked for f in enduring_concerns["finding_id"])
    table.note = _since_note(session, area, since, table, store, untasked)
    table.empty = plain(
        "Nothing carried over: no actions, no Gold Group taskings, nothing resolved or enduring."
    )
    return table


def _current(session: Session, finding_id: str) -> bool:
    return session.result.findings.filter(pl.col("finding_id") == finding_id).height > 0


def _status_style(status: str) -> str:
    if status.startswith("overdue"):
        return STATE_COLOUR["concern"]
    if status == "due now":
        return "bold"
    if status == "done":
        return STATE_COLOUR["improvement"]
    return ""


def _gold_detail(session: Session, g: GoldTasking) -> Text:
    text = Text.assemble(("Gold Group ", "bold"), plain(g.group, "bold"))
    text.append(
        f" · tasked {g.tasked_on:%d %b %Y} at the {month_name(g.month)} meeting by {g.created_by}"
    )
    if g.lead:
        text.append("\nLead: ")
        text.append_text(plain(g.lead))
    if g.note:
        text.append("\n")
        text.append_text(plain(g.note))
    text.append("\nFinding: ")
    text.append_text(plain(finding_name(session, g.finding_id)))
    text.append(" · now ")
    text.append_text(finding_now(session, g.finding_id))
    return text


def _enduring_detail(session: Session, f: dict, g: GoldTasking | None) -> Text:
    months = session.config.meeting.enduring_months
    text = Text.assemble(
        plain(f["name"], "bold"),
        f": a finding for {f['months_running']} months running ({months} or more is enduring).\n",
    )
    text.append_text(plain(f["evidence"]))
    if g is None and f["assessment"] == "concern":
        text.append(
            "\nNot tasked to a Gold Group: g tasks it (a group, a lead); Enter shows the finding.",
            "bold",
        )
    elif g is None:
        text.append("\nNot tasked to a Gold Group (g tasks it); Enter shows the finding.")
    else:
        text.append(f"\nTasked to a Gold Group {g.tasked_on:%d %b %Y}: ")
        text.append_text(plain(g.group))
    return text


def _since_note(
    session: Session,
    area: str,
    since: SinceLastMeeting | None,
    table: Table,
    store: str,
    untasked: int,
) -> Text:
    month = session.scan_month
    counts = {"due now": 0, "overdue": 0, "done": 0, "dropped": 0}
    for target in table.targets.values():
        if isinstance(target, ActionTarget):
            word = action_status(target.action, month).split(" (")[0]
            if word in counts:
                counts[word] += 1
    resolved = sum(k.startswith("r") for k in table.keys)
    enduring = [k for k in table.keys if k.startswith("e")]
    if since is None:
        head = Text.assemble(
            ("Nothing recorded yet", "bold"),
            f" for {area}: actions, Gold Group taskings and notes are kept in ",
            plain(store),
            ".",
        )
    elif since.previous_month is None:
        head = Text.assemble(("First meeting on record", "bold"), f" for {area}.")
    else:
        previous = month_name(since.previous_month)
        held = f", held {since.previous.held_on:%d %b %Y}" if since.previous is not None else ""
        head = Text.assemble(("Since the last meeting", "bold"), f" ({previous}{held}): ")
        head.append(
            f"{counts['due now']} action{'s' if counts['due now'] != 1 else ''} due, "
            f"{counts['done']} done, {counts['overdue']} overdue, {counts['dropped']} dropped."
        )
    head.append(
        f" {resolved} finding{'s' if resolved != 1 else ''} resolved; {len(enduring)} enduring"
        + (
            f" ({untasked} concern{'s' if untasked != 1 else ''} not tasked to a Gold Group)"
            if untasked
            else ""
        )
        + "."
    )
    return head


def actions_table(
    session: Session, area: str, actions: list[Action], gold: list[GoldTasking], store: str
) -> Table:
    """Every action on the area's findings, newest meeting first."""
    month = session.scan_month
    table = Table(
        ACTION_COLUMNS,
        empty=plain(f"No actions recorded for {area}. On a finding (tab 2): a adds one."),
    )
    tasked = {g.action_id for g in gold if g.action_id is not None}
    for a in sorted(actions, key=lambda a: (a.month_raised, a.id), reverse=True):
        if a.month_raised > month:
            continue  # raised at a later meeting than the one on screen
        status = action_status(a, month)
        table.add(
            f"a{a.id}",
            (
                str(a.id),
                cut(a.text, 34),
                Text(status, style=_status_style(status)),
                cut(a.owner, 18),
                _due(a),
                cut(finding_name(session, a.finding_id), 24),
                f"{a.month_raised:%Y-%m}",
                cut(a.outcome if a.status_at(month) != "open" else "", 30),
                "Gold" if a.id in tasked else "",
            ),
            action_detail(session, a, gold),
            ActionTarget(a),
        )
    open_now = sum(a.status_at(month) == "open" for a in actions if a.month_raised <= month)
    table.note = Text.assemble(
        (f"{len(table.keys)} action{'s' if len(table.keys) != 1 else ''}", "bold"),
        f" recorded for {area} to {month_name(month)}, {open_now} open · Enter: report done or "
        "dropped · g: Gold Group · kept in ",
        plain(store),
    )
    return table
