"""The meeting's edits, each one dialog: an action on a finding, a Gold Group tasking, a note,
an annotation on a month of a series, reporting an action done or dropped, and recording the
meeting itself. Each saves through ``MeetingMemory.write`` (one transaction in the store) and
keeps a draft while open (``FormDialog``)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text

from crimefighters.meeting import Series
from crimefighters.months import month_add
from crimefighters.present import month_name
from crimefighters.tui.screens.forms import Field, FormDialog
from crimefighters.tui.widgets.cells import plain

if TYPE_CHECKING:
    from crimefighters.meeting import Action, Meeting
    from crimefighters.tui.drafts import Drafts
    from crimefighters.tui.memory import MeetingMemory
    from crimefighters.tui.views import SeriesRef


def _about(name: str, area: str, month: date) -> Text:
    return Text.assemble(plain(name, "bold"), f" · {area} · the {month_name(month)} meeting")


def _due(value: str) -> dict:
    """'' (the next meeting), 'YYYY-MM' (that meeting) or 'YYYY-MM-DD' (a date)."""
    value = value.strip()
    if not value:
        return {}
    return {"due_month": value} if len(value) == 7 else {"due_date": value}


def action_dialog(
    memory: MeetingMemory, drafts: Drafts, area: str, month: date, finding_id: str, name: str
) -> FormDialog:
    def save(v: dict):
        return memory.write(
            lambda s: s.add_action(
                finding_id, area, month, v["text"], owner=v["owner"].strip(), **_due(v["due"])
            )
        )

    return FormDialog(
        "Add an action",
        _about(name, area, month),
        [
            Field("text", "What will be done", placeholder="e.g. robbery patrols at the station"),
            Field("owner", "Owner", placeholder="who reports back"),
            Field(
                "due",
                "Due",
                placeholder=f"{month_add(month, 1):%Y-%m} (next), YYYY-MM or YYYY-MM-DD",
            ),
        ],
        save,
        drafts,
        f"action|{area}|{month:%Y-%m}|{finding_id}",
    )


def gold_dialog(
    memory: MeetingMemory,
    drafts: Drafts,
    area: str,
    month: date,
    finding_id: str,
    name: str,
    open_actions: list[Action],
    action: Action | None = None,
) -> FormDialog:
    """Task a finding to a Gold Group, optionally as one of its open actions."""
    choices = [("no action: the finding itself", "")] + [
        (f"action {a.id}: {a.text[:50]}", str(a.id)) for a in open_actions
    ]

    def save(v: dict):
        linked = int(v["action"]) if v.get("action") else None
        return memory.write(
            lambda s: s.task_gold_group(
                finding_id,
                area,
                month,
                v["group"],
                lead=v["lead"].strip(),
                note=v["note"].strip(),
                action_id=linked,
            )
        )

    fields = [
        Field("group", "Gold Group", placeholder="e.g. Robbery Gold"),
        Field("lead", "Lead", placeholder="who leads it"),
        Field("note", "Why (optional)"),
    ]
    if len(choices) > 1:
        fields.append(
            Field("action", "As", "choice", str(action.id) if action else "", choices=choices)
        )
    return FormDialog(
        "Task to a Gold Group",
        _about(name, area, month),
        fields,
        save,
        drafts,
        f"gold|{area}|{month:%Y-%m}|{finding_id}",
        confirm="Task",
    )


def note_dialog(
    memory: MeetingMemory, drafts: Drafts, area: str, month: date, finding_id: str, name: str
) -> FormDialog:
    return FormDialog(
        "Add a note",
        _about(name, area, month),
        [Field("text", "Note")],
        lambda v: memory.write(lambda s: s.add_note(finding_id, area, month, v["text"])),
        drafts,
        f"note|{area}|{month:%Y-%m}|{finding_id}",
    )


def annotate_dialog(
    memory: MeetingMemory, drafts: Drafts, area: str, month: date, ref: SeriesRef
) -> FormDialog:
    """A note on one month of a series, on all its charts; optionally left out of its SPC
    limits (the scan runs again, and the chart shows the point as excluded)."""
    series = Series(area, ref.measure, ref.level, ref.category)  # type: ignore[arg-type]

    def save(v: dict):
        return memory.write(
            lambda s: s.annotate(series, v["month"].strip(), v["text"], bool(v["exclude"]))
        )

    return FormDialog(
        "Annotate a month",
        Text.assemble(
            plain(ref.label, "bold"),
            f" ({ref.level}) · {area}: shown on every chart of this series",
        ),
        [
            Field("month", "Month", value=f"{month:%Y-%m}", placeholder="YYYY-MM", select=True),
            Field(
                "text",
                "What happened",
                placeholder="e.g. Notting Hill Carnival, an operation started",
            ),
            Field("exclude", "Leave it out of the SPC limits", "check", False),
        ],
        save,
        drafts,
        f"annotate|{area}|{month:%Y-%m}|{ref.measure}|{ref.level}|{ref.category}",
    )


def close_action_dialog(
    memory: MeetingMemory, drafts: Drafts, action: Action, month: date, name: str
) -> FormDialog:
    def save(v: dict):
        return memory.write(
            lambda s: s.close_action(action.id, v["status"], v["outcome"].strip(), month)
        )

    return FormDialog(
        f"Action {action.id}: done or dropped",
        Text.assemble(
            plain(action.text, "bold"),
            "\n",
            plain(f"{name} · owner {action.owner or 'none named'} · reported at the "),
            f"{month_name(month)} meeting",
        ),
        [
            Field(
                "status",
                "It was",
                "choice",
                "done",
                choices=[("done", "done"), ("dropped", "dropped")],
            ),
            Field("outcome", "Outcome", placeholder="what was done, or why it was dropped"),
        ],
        save,
        drafts,
        f"close|{action.area}|{month:%Y-%m}|{action.id}",
        confirm="Report",
    )


def meeting_dialog(
    memory: MeetingMemory, drafts: Drafts, area: str, month: date, existing: Meeting | None
) -> FormDialog:
    today = date.today()
    return FormDialog(
        "Record the meeting",
        Text(
            f"{area} · the {month_name(month)} meeting (of {month_name(month)}'s figures)"
            + (" · recording it again corrects it" if existing else "")
        ),
        [
            Field(
                "held_on",
                "Held on",
                value=f"{existing.held_on:%Y-%m-%d}" if existing else f"{today:%Y-%m-%d}",
                placeholder="YYYY-MM-DD",
                select=True,
            ),
            Field("chair", "Chair", value=existing.chair if existing else ""),
        ],
        lambda v: memory.write(
            lambda s: s.record_meeting(area, month, v["held_on"].strip(), chair=v["chair"].strip())
        ),
        drafts,
        f"meeting|{area}|{month:%Y-%m}",
        confirm="Record",
    )
