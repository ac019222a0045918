"""Meeting memory: what each borough's CrimeFighters agreed, and what happened since.

One SQLite file (``meetings.sqlite3`` in the user's data folder unless ``--store``,
``CRIMEFIGHTERS_STORE`` or ``meeting.store`` say otherwise) holds meetings, actions on findings,
Gold Group taskings, notes, annotations on series and analyst-chosen SPC baselines. Headless:
the TUI, the briefing and the CLI all call this API; nothing here imports Textual or Polars.

    with open_store() as store:
        since = store.since_last_meeting("Lambeth", "2026-10")
"""

from crimefighters.meeting.location import STORE_ENV, StoreLocation, resolve_store_location
from crimefighters.meeting.models import (
    ACTION_STATUSES,
    LEVELS,
    Action,
    ActionStatus,
    Annotation,
    Baseline,
    FindingRecord,
    GoldTasking,
    Level,
    Meeting,
    Note,
    Series,
    SinceLastMeeting,
    SPCAdjustments,
)
from crimefighters.meeting.store import MeetingStore, open_store, spc_inputs

__all__ = [
    "ACTION_STATUSES",
    "LEVELS",
    "STORE_ENV",
    "Action",
    "ActionStatus",
    "Annotation",
    "Baseline",
    "FindingRecord",
    "GoldTasking",
    "Level",
    "Meeting",
    "MeetingStore",
    "Note",
    "SPCAdjustments",
    "Series",
    "SinceLastMeeting",
    "StoreLocation",
    "open_store",
    "resolve_store_location",
    "spc_inputs",
]
