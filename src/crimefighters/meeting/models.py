"""What the meeting store holds, as typed, immutable records.

Months are ``date`` objects on the first of the month (stored as ``YYYY-MM`` text); instants are
timezone-aware UTC ``datetime`` objects. Every record says who made it (the OS user name) and
when. A finding id is the scan's opaque key (e.g. ``Lambeth|recorded_crime|robbery|up``): it is
stored and compared as text, never taken apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Level = Literal["minor", "major", "total", "priority"]
LEVELS: tuple[Level, ...] = ("minor", "major", "total", "priority")

ActionStatus = Literal["open", "done", "dropped"]
ACTION_STATUSES: tuple[ActionStatus, ...] = ("open", "done", "dropped")
CLOSED_STATUSES: tuple[ActionStatus, ...] = ("done", "dropped")


@dataclass(frozen=True)
class Series:
    """One scanned series: an area's measure at one level and category (its display name)."""

    area: str
    measure: str
    level: Level
    category: str

    def __str__(self) -> str:
        return f"{self.area} · {self.measure} · {self.level} · {self.category}"


@dataclass(frozen=True)
class Meeting:
    """One borough's (or BCU's) CrimeFighters for one month of data."""

    id: int
    area: str
    month: date
    held_on: date
    chair: str
    created_at: datetime
    created_by: str
    updated_at: datetime | None
    updated_by: str | None


@dataclass(frozen=True)
class Action:
    """Something the meeting agreed to do about a finding, and what became of it.

    ``due_month`` is the meeting (month of data) at which it is reviewed; ``due_date`` an
    optional calendar deadline. ``closed_month`` is the meeting at which it was reported done
    or dropped.
    """

    id: int
    finding_id: str
    area: str
    month_raised: date
    text: str
    owner: str
    due_month: date
    due_date: date | None
    status: ActionStatus
    outcome: str
    closed_month: date | None
    closed_at: datetime | None
    closed_by: str | None
    created_at: datetime
    created_by: str

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def status_at(self, month: date) -> ActionStatus:
        """The status as the meeting of ``month`` saw it: closed later means open then."""
        if self.closed_month is None or self.closed_month > month:
            return "open"
        return self.status

    def overdue_at(self, month: date) -> bool:
        """Still open at the meeting of ``month`` and due at an earlier one."""
        return self.status_at(month) == "open" and self.due_month < month


@dataclass(frozen=True)
class GoldTasking:
    """A finding (an enduring issue or significant risk) tasked to a Gold Group."""

    id: int
    finding_id: str
    area: str
    month: date
    group: str
    tasked_on: date
    lead: str
    note: str
    action_id: int | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class Note:
    id: int
    finding_id: str
    area: str
    month: date
    text: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class Annotation:
    """A note on one month of one series, shown on its charts.

    ``exclude_from_limits``: the SPC engine leaves this point out when it computes the centre
    line and limits (the point is still drawn and still tested against them).
    """

    id: int
    series: Series
    month: date
    text: str
    exclude_from_limits: bool
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class Baseline:
    """An analyst-chosen period over which a series' SPC centre line and limits are computed.

    The scope is a measure, optionally narrowed to one area and/or one level and category;
    ``None`` means every area, or every level and category of the measure.
    """

    id: int
    measure: str
    area: str | None
    level: Level | None
    category: str | None
    start: date
    end: date
    note: str
    created_at: datetime
    created_by: str

    def applies_to(self, series: Series) -> bool:
        return (
            self.measure == series.measure
            and self.area in (None, series.area)
            and (
                self.level is None or (self.level, self.category) == (series.level, series.category)
            )
        )

    @property
    def specificity(self) -> tuple[bool, bool]:
        """Sort key: a baseline for a category beats one for the measure; an area beats all."""
        return (self.level is not None, self.area is not None)


@dataclass(frozen=True)
class SinceLastMeeting:
    """What a chair needs on opening an area's meeting for ``month``.

    ``previous_month`` is the last recorded meeting before ``month``; when none is recorded, the
    last month before ``month`` at which an action was raised. Statuses are as at ``month``: an
    action closed at a later meeting counts as open here, so replaying an old month is honest.
    """

    area: str
    month: date
    meeting: Meeting | None
    previous: Meeting | None
    previous_month: date | None
    agreed: tuple[Action, ...]
    """actions raised at the previous meeting: what we agreed last time"""
    due: tuple[Action, ...]
    """actions due at this meeting, whatever their status"""
    done: tuple[Action, ...]
    """reported done since the previous meeting (at a later meeting up to this one)"""
    dropped: tuple[Action, ...]
    """dropped since the previous meeting"""
    overdue: tuple[Action, ...]
    """still open and due at an earlier meeting"""
    open: tuple[Action, ...]
    """every action open at this meeting, overdue and due ones included"""
    gold_taskings: tuple[GoldTasking, ...]
    """Gold Group taskings made at the previous meeting"""

    @property
    def first_meeting(self) -> bool:
        """Nothing is known from before this month."""
        return self.previous_month is None


@dataclass(frozen=True)
class FindingRecord:
    """Everything the meetings recorded about one finding, oldest first."""

    finding_id: str
    actions: tuple[Action, ...]
    gold_taskings: tuple[GoldTasking, ...]
    notes: tuple[Note, ...]

    @property
    def tasked(self) -> bool:
        return bool(self.gold_taskings)


@dataclass(frozen=True)
class SPCAdjustments:
    """The store's inputs to the SPC engine: points left out of the limits, chosen baselines.

    ``key`` changes whenever either does: the scan cache must include it in its key.
    """

    excluded: frozenset[tuple[Series, date]]
    baselines: tuple[Baseline, ...]
    key: str

    def excluded_months(self, series: Series) -> frozenset[date]:
        return frozenset(month for s, month in self.excluded if s == series)

    def baseline_for(self, series: Series) -> Baseline | None:
        candidates = [b for b in self.baselines if b.applies_to(series)]
        return max(candidates, key=lambda b: b.specificity, default=None)
