"""Meeting memory: what each borough's CrimeFighters agreed, and what happened since.

One SQLite file (``meetings.sqlite3`` in the user's data folder unless ``--store``,
``CRIMEFIGHTERS_STORE`` or ``meeting.store`` say otherwise) holds meetings, actions on findings,
Gold Group taskings, notes, annotations on series and analyst-chosen SPC baselines. Headless:
the TUI, the briefing and the CLI all call this API; nothing here imports Textual or Polars.

    with open_store() as store:
        since = store.since_last_meeting("Lambeth", "2026-10")
"""

from crimefighters.meeting.location import STORE_ENV, StoreLocation, resolve_store_location

# The models and the store are imported on first use: asking where the store is (and finding
# there is none yet) costs a command nothing.
_MODELS = (
    "ACTION_STATUSES", "LEVELS", "Action", "ActionStatus", "Annotation", "Baseline", "FindingRecord",
    "GoldTasking", "Level", "Meeting", "Note", "Series", "SinceLastMeeting", "SPCAdjustments",
)  # fmt: skip
_STORE = ("MeetingStore", "open_store", "spc_inputs")


def __getattr__(name: str):
    import importlib

    if name in _MODELS:
        return getattr(importlib.import_module("crimefighters.meeting.models"), name)
    if name in _STORE:
        return getattr(importlib.import_module("crimefighters.meeting.store"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
