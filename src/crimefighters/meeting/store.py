"""The meeting store: one SQLite file that carries a borough's meetings from month to month.

Opening a store checks, before anything is written, that the file is an SQLite database, that
SQLite finds it intact (``PRAGMA quick_check``), that it is a crimefighters meeting store, and
that its schema is not newer than this code. Any failure is one ``MeetingStoreError`` line and
the file is left byte for byte as it was. Then the store is put in WAL mode (readers never block
the writer), foreign keys are switched on, and pending migrations run, each in its own
transaction, after a backup taken with SQLite's backup API.

Every edit is one short ``BEGIN IMMEDIATE`` transaction, committed with ``synchronous=FULL``
before the call returns: a confirmed edit survives the process being killed or the machine
losing power. Two processes writing at once queue on SQLite's lock (up to
``BUSY_TIMEOUT_SECONDS``), so nothing is lost.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crimefighters.errors import MeetingStoreError
from crimefighters.meeting import schema
from crimefighters.meeting.location import StoreLocation, resolve_store_location
from crimefighters.meeting.models import (
    ACTION_STATUSES,
    CLOSED_STATUSES,
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

if TYPE_CHECKING:
    from crimefighters.config import LoadedConfig

BUSY_TIMEOUT_SECONDS = 10.0
MAX_TEXT = 4000
_SQLITE_MAGIC = b"SQLite format 3\x00"

Month = date | str


def open_store(
    path: str | os.PathLike | None = None,
    *,
    loaded: LoadedConfig | None = None,
    create: bool = True,
    user: str | None = None,
) -> MeetingStore:
    """Open (creating and migrating as needed) the meeting store.

    ``path`` beats ``CRIMEFIGHTERS_STORE``, which beats ``meeting.store`` in ``loaded``, which
    beats the user's data folder. ``create=False`` refuses a store that does not exist yet.
    ``user`` is recorded as who made each change (default: the OS user name).
    """
    return MeetingStore(resolve_store_location(path, loaded), create=create, user=user)


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no USER variable and no passwd entry (some containers)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


class MeetingStore:
    """A connection to one meeting store. Close it (or use ``with``) when done.

    Safe to share between threads (each call holds a lock); open one per process.
    """

    def __init__(self, location: StoreLocation, *, create: bool = True, user: str | None = None):
        self.location = location
        self.path = location.path
        self.user = user or os_user()
        self._lock = threading.RLock()
        self._conn = _connect(location, create)
        try:
            self.schema_version = _migrate(self._conn, self.path, self.user)
        except BaseException:
            self._conn.close()
            raise

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> MeetingStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MeetingStore({str(self.path)!r}, schema {self.schema_version})"

    # -- meetings --------------------------------------------------------------------------

    def record_meeting(
        self, area: str, month: Month, held_on: date | str, chair: str = ""
    ) -> Meeting:
        """Record that ``area``'s meeting on ``month`` was held; again for the same month corrects it."""
        area, month_text = _name(area, "area"), _month(month, "month")
        held, chair = _date(held_on, "held_on"), _text(chair, "chair", required=False)
        now = _now()
        with self._writing() as db:
            db.execute(
                "INSERT INTO meetings (area, month, held_on, chair, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (area, month) DO UPDATE SET held_on = excluded.held_on, "
                "chair = excluded.chair, updated_at = ?, updated_by = ?",
                (area, month_text, held, chair, now, self.user, now, self.user),
            )
            row = db.execute(
                "SELECT * FROM meetings WHERE area = ? AND month = ?", (area, month_text)
            ).fetchone()
        return _meeting(row)

    def meeting(self, area: str, month: Month) -> Meeting | None:
        with self._reading() as db:
            row = db.execute(
                "SELECT * FROM meetings WHERE area = ? AND month = ?",
                (area, _month(month, "month")),
            ).fetchone()
        return _meeting(row) if row else None

    def meetings_for(self, area: str) -> list[Meeting]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT * FROM meetings WHERE area = ? ORDER BY month", (area,)
            ).fetchall()
        return [_meeting(r) for r in rows]

    # -- actions ---------------------------------------------------------------------------

    def add_action(
        self,
        finding_id: str,
        area: str,
        month: Month,
        text: str,
        owner: str = "",
        due_month: Month | None = None,
        due_date: date | str | None = None,
    ) -> Action:
        """An action agreed at ``area``'s meeting on ``month`` about ``finding_id``.

        Due at the meeting of ``due_month``; with only ``due_date``, at the meeting for that
        date's month; with neither, at the next month's meeting.
        """
        finding_id, area = _name(finding_id, "finding id"), _name(area, "area")
        raised = _month(month, "month")
        text, owner = _text(text, "action text"), _text(owner, "owner", required=False)
        deadline = _date(due_date, "due date") if due_date is not None else None
        if due_month is not None:
            due = _month(due_month, "due month")
        elif deadline is not None:
            due = deadline[:7]
        else:
            due = _month(_month_add(_as_month(raised), 1), "due month")
        if due < raised:
            raise MeetingStoreError(
                f"an action raised at the {_show(raised)} meeting cannot be due at an earlier one ({_show(due)})"
            )
        with self._writing() as db:
            cursor = db.execute(
                "INSERT INTO actions (finding_id, area, month_raised, text, owner, due_month, due_date, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (finding_id, area, raised, text, owner, due, deadline, _now(), self.user),
            )
            row = db.execute("SELECT * FROM actions WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _action(row)

    def close_action(
        self, action_id: int, status: ActionStatus, note: str = "", month: Month | None = None
    ) -> Action:
        """Report an open action done or dropped, with an outcome note, at the meeting of ``month``.

        Without ``month``: the area's latest recorded meeting if it is held today or later, else
        the meeting after the latest one known (see ``_reporting_month``).
        """
        if status not in CLOSED_STATUSES:
            raise MeetingStoreError(f"an action is closed as done or dropped; got {status!r}")
        note = _text(note, "outcome note", required=False)
        with self._writing() as db:
            action = self._get_action(db, action_id)
            if not action.is_open:
                raise MeetingStoreError(
                    f"action {action_id} is already {action.status} "
                    f"(at the {_show(action.closed_month)} meeting, by {action.closed_by})"
                )
            if month is None:
                closed = _month(self._reporting_month(db, action), "month")
            else:
                closed = _month(month, "month")
            if closed < _month(action.month_raised, "month"):
                raise MeetingStoreError(
                    f"action {action_id} was raised at the {_show(action.month_raised)} meeting; "
                    f"it cannot be closed at an earlier one ({_show(closed)})"
                )
            db.execute(
                "UPDATE actions SET status = ?, outcome = ?, closed_month = ?, closed_at = ?, closed_by = ? WHERE id = ?",
                (status, note, closed, _now(), self.user, action_id),
            )
            return self._get_action(db, action_id)

    def action(self, action_id: int) -> Action:
        with self._reading() as db:
            return self._get_action(db, action_id)

    def actions_for(
        self,
        area: str | None = None,
        month: Month | None = None,
        status: ActionStatus | None = None,
        finding_id: str | None = None,
    ) -> list[Action]:
        """Actions, oldest first; narrowed to an area, the month raised, a status, a finding."""
        if status is not None and status not in ACTION_STATUSES:
            raise MeetingStoreError(
                f"status: expected one of {', '.join(ACTION_STATUSES)}; got {status!r}"
            )
        where, params = _where(
            area=area,
            month_raised=_month(month, "month") if month is not None else None,
            status=status,
            finding_id=finding_id,
        )
        with self._reading() as db:
            rows = db.execute(
                f"SELECT * FROM actions{where} ORDER BY area, month_raised, id", params
            ).fetchall()
        return [_action(r) for r in rows]

    def since_last_meeting(self, area: str, month: Month) -> SinceLastMeeting:
        """What the chair sees first on opening ``area`` for ``month``: see ``SinceLastMeeting``."""
        this = _month(month, "month")
        with self._reading() as db:
            meeting = db.execute(
                "SELECT * FROM meetings WHERE area = ? AND month = ?", (area, this)
            ).fetchone()
            previous = db.execute(
                "SELECT * FROM meetings WHERE area = ? AND month < ? ORDER BY month DESC LIMIT 1",
                (area, this),
            ).fetchone()
            if previous is not None:
                previous_month = previous["month"]
            else:
                previous_month = db.execute(
                    "SELECT max(month_raised) FROM actions WHERE area = ? AND month_raised < ?",
                    (area, this),
                ).fetchone()[0]
            # Only the actions this view can show: open at this month, closed since the previous
            # meeting, due now or raised last time (not years of closed ones).
            actions = [
                _action(r)
                for r in db.execute(
                    "SELECT * FROM actions WHERE area = ? AND month_raised <= ? AND (closed_month IS NULL "
                    "OR closed_month > ifnull(?, '') OR due_month = ? OR month_raised IS ?) "
                    "ORDER BY month_raised, id",
                    (area, this, previous_month, this, previous_month),
                )
            ]
            taskings = (
                db.execute(
                    "SELECT * FROM gold_taskings WHERE area = ? AND month = ? ORDER BY id",
                    (area, previous_month),
                ).fetchall()
                if previous_month
                else []
            )
        now = _as_month(this)
        before = _as_month(previous_month) if previous_month else None

        def closed_since(action: Action, status: str) -> bool:
            return action.status_at(now) == status and (
                before is None or action.closed_month > before
            )

        return SinceLastMeeting(
            area=area,
            month=now,
            meeting=_meeting(meeting) if meeting else None,
            previous=_meeting(previous) if previous else None,
            previous_month=before,
            agreed=tuple(a for a in actions if a.month_raised == before),
            due=tuple(a for a in actions if a.due_month == now),
            done=tuple(a for a in actions if closed_since(a, "done")),
            dropped=tuple(a for a in actions if closed_since(a, "dropped")),
            overdue=tuple(a for a in actions if a.overdue_at(now)),
            open=tuple(a for a in actions if a.status_at(now) == "open"),
            gold_taskings=tuple(_tasking(r) for r in taskings),
        )

    # -- Gold Group, notes, findings -------------------------------------------------------

    def task_gold_group(
        self,
        finding_id: str,
        area: str,
        month: Month,
        group: str,
        lead: str = "",
        note: str = "",
        tasked_on: date | str | None = None,
        action_id: int | None = None,
    ) -> GoldTasking:
        """Task a finding to a Gold Group at ``area``'s meeting on ``month`` (optionally as an action)."""
        values = (
            _name(finding_id, "finding id"),
            _name(area, "area"),
            _month(month, "month"),
            _text(group, "Gold Group name"),
            _date(tasked_on if tasked_on is not None else _today(), "date tasked"),
            _text(lead, "lead", required=False),
            _text(note, "note", required=False),
            action_id,
        )
        with self._writing() as db:
            if action_id is not None:
                self._get_action(db, action_id)
            cursor = db.execute(
                "INSERT INTO gold_taskings (finding_id, area, month, group_name, tasked_on, lead, note, action_id, "
                "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, _now(), self.user),
            )
            row = db.execute(
                "SELECT * FROM gold_taskings WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
        return _tasking(row)

    def gold_taskings_for(
        self, area: str | None = None, finding_id: str | None = None
    ) -> list[GoldTasking]:
        where, params = _where(area=area, finding_id=finding_id)
        with self._reading() as db:
            rows = db.execute(
                f"SELECT * FROM gold_taskings{where} ORDER BY month, id", params
            ).fetchall()
        return [_tasking(r) for r in rows]

    def add_note(self, finding_id: str, area: str, month: Month, text: str) -> Note:
        values = (
            _name(finding_id, "finding id"),
            _name(area, "area"),
            _month(month, "month"),
            _text(text, "note"),
        )
        with self._writing() as db:
            cursor = db.execute(
                "INSERT INTO notes (finding_id, area, month, text, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
                (*values, _now(), self.user),
            )
            row = db.execute("SELECT * FROM notes WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _note(row)

    def notes_for(self, area: str | None = None, finding_id: str | None = None) -> list[Note]:
        where, params = _where(area=area, finding_id=finding_id)
        with self._reading() as db:
            rows = db.execute(f"SELECT * FROM notes{where} ORDER BY month, id", params).fetchall()
        return [_note(r) for r in rows]

    def finding_record(self, finding_id: str) -> FindingRecord:
        """Every action, Gold Group tasking and note on one finding, oldest first."""
        with self._reading() as db:
            actions = db.execute(
                "SELECT * FROM actions WHERE finding_id = ? ORDER BY month_raised, id",
                (finding_id,),
            )
            actions = tuple(_action(r) for r in actions)
            taskings = db.execute(
                "SELECT * FROM gold_taskings WHERE finding_id = ? ORDER BY month, id", (finding_id,)
            )
            taskings = tuple(_tasking(r) for r in taskings)
            notes = tuple(
                _note(r)
                for r in db.execute(
                    "SELECT * FROM notes WHERE finding_id = ? ORDER BY month, id", (finding_id,)
                )
            )
        return FindingRecord(finding_id, actions, taskings, notes)

    # -- annotations -----------------------------------------------------------------------

    def annotate(
        self, series: Series, month: Month, text: str, exclude_from_limits: bool = False
    ) -> Annotation:
        """A note on one month of a series, shown on its charts; optionally left out of its limits."""
        series = _series(series)
        values = (
            series.area,
            series.measure,
            series.level,
            series.category,
            _month(month, "month"),
            _text(text, "annotation"),
        )
        with self._writing() as db:
            cursor = db.execute(
                "INSERT INTO annotations (area, measure, level, category, month, text, exclude_from_limits, "
                "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, int(bool(exclude_from_limits)), _now(), self.user),
            )
            row = db.execute(
                "SELECT * FROM annotations WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
        return _annotation(row)

    def remove_annotation(self, annotation_id: int) -> Annotation:
        """Take an annotation off the charts (the record is kept, stamped removed)."""
        with self._writing() as db:
            row = db.execute("SELECT * FROM annotations WHERE id = ?", (annotation_id,)).fetchone()
            if row is None:
                raise MeetingStoreError(f"no annotation {annotation_id} in {self.path}")
            if row["removed_at"] is not None:
                raise MeetingStoreError(
                    f"annotation {annotation_id} was already removed (by {row['removed_by']} at {row['removed_at']})"
                )
            db.execute(
                "UPDATE annotations SET removed_at = ?, removed_by = ? WHERE id = ?",
                (_now(), self.user, annotation_id),
            )
        return _annotation(row)

    def annotations_for(
        self,
        target: Series | str | None = None,
        measure: str | None = None,
        month: Month | None = None,
    ) -> list[Annotation]:
        """Annotations in force on a series, or on every series of an area (and measure), by month."""
        if isinstance(target, Series):
            filters: dict[str, Any] = {
                "area": target.area,
                "measure": target.measure,
                "level": target.level,
                "category": target.category,
            }
        else:
            filters = {"area": target, "measure": measure}
        filters["month"] = _month(month, "month") if month is not None else None
        where, params = _where(**filters)
        where = f"{where} AND removed_at IS NULL" if where else " WHERE removed_at IS NULL"
        with self._reading() as db:
            rows = db.execute(
                f"SELECT * FROM annotations{where} ORDER BY area, measure, level, category, month, id",
                params,
            ).fetchall()
        return [_annotation(r) for r in rows]

    def excluded_months(self, series: Series) -> frozenset[date]:
        """Months of ``series`` the SPC engine leaves out of its centre line and limits."""
        return frozenset(a.month for a in self.annotations_for(series) if a.exclude_from_limits)

    # -- SPC baselines ---------------------------------------------------------------------

    def set_baseline(
        self,
        measure: str,
        start: Month,
        end: Month,
        area: str | None = None,
        level: Level | None = None,
        category: str | None = None,
        note: str = "",
    ) -> Baseline:
        """Compute SPC limits for this scope from ``start``..``end``; replaces the one in force."""
        if (level is None) != (category is None):
            raise MeetingStoreError(
                "a baseline for one series needs both its level and its category"
            )
        if level is not None and level not in LEVELS:
            raise MeetingStoreError(f"level: expected one of {', '.join(LEVELS)}; got {level!r}")
        scope = (
            _name(measure, "measure"),
            _name(area, "area") if area is not None else None,
            level,
            _name(category, "category") if category is not None else None,
        )
        first, last = _month(start, "baseline start"), _month(end, "baseline end")
        if last < first:
            raise MeetingStoreError(
                f"the baseline ends ({_show(last)}) before it starts ({_show(first)})"
            )
        note, now = _text(note, "note", required=False), _now()
        with self._writing() as db:
            db.execute(
                f"UPDATE baselines SET removed_at = ?, removed_by = ? WHERE {_SCOPE} AND removed_at IS NULL",
                (now, self.user, *scope),
            )
            cursor = db.execute(
                "INSERT INTO baselines (measure, area, level, category, start_month, end_month, note, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*scope, first, last, note, now, self.user),
            )
            row = db.execute("SELECT * FROM baselines WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _baseline(row)

    def remove_baseline(self, baseline_id: int) -> Baseline:
        """Go back to the configured SPC window for this scope (the record is kept)."""
        with self._writing() as db:
            row = db.execute("SELECT * FROM baselines WHERE id = ?", (baseline_id,)).fetchone()
            if row is None or row["removed_at"] is not None:
                raise MeetingStoreError(f"no baseline {baseline_id} in force in {self.path}")
            db.execute(
                "UPDATE baselines SET removed_at = ?, removed_by = ? WHERE id = ?",
                (_now(), self.user, baseline_id),
            )
        return _baseline(row)

    def baselines(self) -> list[Baseline]:
        """Every baseline in force."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT * FROM baselines WHERE removed_at IS NULL ORDER BY measure, area, level, category"
            ).fetchall()
        return [_baseline(r) for r in rows]

    def baseline_for(self, series: Series) -> Baseline | None:
        """The baseline in force for a series: its own, else its measure's in its area, else its
        measure's everywhere (a category-specific one beats an area-wide one)."""
        return self.spc_adjustments().baseline_for(_series(series))

    def spc_adjustments(self) -> SPCAdjustments:
        """Everything the SPC engine takes from the store, in one read, with a cache key."""
        with self._reading() as db:
            excluded = db.execute(
                "SELECT DISTINCT area, measure, level, category, month FROM annotations "
                "WHERE exclude_from_limits = 1 AND removed_at IS NULL ORDER BY 1, 2, 3, 4, 5"
            ).fetchall()
            baselines = db.execute(
                "SELECT * FROM baselines WHERE removed_at IS NULL ORDER BY measure, area, level, category"
            ).fetchall()
        digest = hashlib.sha256()
        for row in excluded:
            digest.update(repr(tuple(row)).encode())
        for row in baselines:
            digest.update(
                repr(
                    (
                        row["measure"],
                        row["area"],
                        row["level"],
                        row["category"],
                        row["start_month"],
                        row["end_month"],
                    )
                ).encode()
            )
        return SPCAdjustments(
            excluded=frozenset((Series(r[0], r[1], r[2], r[3]), _as_month(r[4])) for r in excluded),
            baselines=tuple(_baseline(r) for r in baselines),
            key=digest.hexdigest()[:16],
        )

    # -- checks ----------------------------------------------------------------------------

    def integrity_problems(self) -> list[str]:
        """``PRAGMA integrity_check`` and ``foreign_key_check``: empty when the store is sound."""
        with self._reading() as db:
            problems = [r[0] for r in db.execute("PRAGMA integrity_check") if r[0] != "ok"]
            problems += [
                f"{r[0]} row {r[1]} refers to a missing {r[2]}"
                for r in db.execute("PRAGMA foreign_key_check")
            ]
        return problems

    # -- internals -------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        with self._lock, _translated(self.path):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """One snapshot for the whole read (WAL: it never waits for, or blocks, a writer)."""
        with self._lock, _translated(self.path):
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                if self._conn.in_transaction:
                    self._conn.execute("COMMIT")

    def _get_action(self, db: sqlite3.Connection, action_id: int) -> Action:
        row = db.execute("SELECT * FROM actions WHERE id = ?", (action_id,)).fetchone()
        if row is None:
            raise MeetingStoreError(f"no action {action_id} in {self.path}")
        return _action(row)

    def _reporting_month(self, db: sqlite3.Connection, action: Action) -> date:
        """The meeting at which a change made now is reported: the area's latest recorded
        meeting if it is held today or later, else the month after the latest meeting known
        (recorded, or where an action was raised); never before the action was raised."""
        meeting = db.execute(
            "SELECT month, held_on FROM meetings WHERE area = ? ORDER BY month DESC LIMIT 1",
            (action.area,),
        ).fetchone()
        raised = db.execute(
            "SELECT max(month_raised) FROM actions WHERE area = ?", (action.area,)
        ).fetchone()[0]
        if (
            meeting is not None
            and meeting["month"] >= raised
            and date.fromisoformat(meeting["held_on"]) >= _today()
        ):
            return max(_as_month(meeting["month"]), action.month_raised)
        known = max(m for m in (meeting["month"] if meeting else None, raised) if m)
        return max(_month_add(_as_month(known), 1), action.month_raised)


# --- opening and migrating ------------------------------------------------------------------


def _connect(location: StoreLocation, create: bool) -> sqlite3.Connection:
    """A connection to a store that is sound and not newer than this code, or MeetingStoreError."""
    path = location.path
    if path.is_dir():
        raise MeetingStoreError(
            f"{path}: is a folder; expected a meeting store file ({location.source})"
        )
    if path.exists():
        _check_header(path)
    elif not create:
        raise MeetingStoreError(
            f"{path}: no meeting store here ({location.source}); nothing has been recorded yet"
        )
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MeetingStoreError(
                f"{path}: cannot create the meeting store's folder: {exc.strerror}"
            ) from None
    try:
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise MeetingStoreError(f"{path}: cannot open the meeting store: {exc}") from None
    conn.row_factory = sqlite3.Row
    try:
        with _translated(path):
            _when_not_busy(lambda: _prepare(conn, path))
    except BaseException:
        conn.close()
        raise
    return conn


def _prepare(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("BEGIN")  # one snapshot: another process may be creating the store right now
    try:
        _check_contents(conn, path)
    finally:
        conn.execute("COMMIT")
    # Only now that the file is known to be ours and understood may anything be written.
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode != "wal":
        raise MeetingStoreError(
            f"{path}: SQLite could not put the store in WAL mode (got {mode!r})"
        )
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")


def _when_not_busy(step: Callable[[], None]) -> None:
    """Run ``step``, again while SQLite answers "locked" without waiting, up to the busy timeout.

    Two processes opening a new store at once can each hold a read lock while asking for the
    write lock that switching to WAL needs; SQLite refuses one at once rather than deadlock.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    pause = 0.005
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _check_header(path: Path) -> None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise MeetingStoreError(f"{path}: cannot read the meeting store: {exc.strerror}") from None
    # An empty file is a store whose creation never got as far as its first page.
    if head and head != _SQLITE_MAGIC:
        raise MeetingStoreError(
            f"{path}: not a meeting store (not an SQLite database: it starts {head[:8]!r}); it was left unchanged"
        )


def _check_contents(conn: sqlite3.Connection, path: Path) -> None:
    problems = [r[0] for r in conn.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise _damaged(path, problems[0])
    version = _schema_version(conn, path)
    if version > schema.latest_version():
        raise MeetingStoreError(
            f"{path}: the meeting store has schema version {version}, newer than this crimefighters "
            f"understands ({schema.latest_version()}); upgrade crimefighters to use it. It was left unchanged"
        )


def _schema_version(conn: sqlite3.Connection, path: Path) -> int:
    application_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if application_id == 0 and not tables:
        return 0
    if application_id != schema.APPLICATION_ID:
        raise MeetingStoreError(
            f"{path}: an SQLite database, but not a crimefighters meeting store; it was left unchanged"
        )
    if "schema_migrations" not in tables:
        raise _damaged(path, "its table of schema versions is missing")
    return conn.execute("SELECT ifnull(max(version), 0) FROM schema_migrations").fetchone()[0]


def _damaged(path: Path, detail: object) -> MeetingStoreError:
    return MeetingStoreError(
        f"{path}: the meeting store is damaged (SQLite: {detail}); it was left unchanged. "
        f"Restore a backup (the newest {path.name}.backup-* beside it) or move it aside to start afresh"
    )


def _migrate(conn: sqlite3.Connection, path: Path, user: str) -> int:
    """Apply every pending migration, each in its own transaction, after one backup."""
    backed_up = False
    for migration in schema.MIGRATIONS:
        version: int | str = "unknown"
        with _translated(path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated while this one waited for the lock.
                version = _schema_version(conn, path)
                if version > schema.latest_version():
                    raise MeetingStoreError(
                        f"{path}: another crimefighters moved the store to schema version {version}, "
                        f"newer than this one understands ({schema.latest_version()}); upgrade crimefighters"
                    )
                if version >= migration.version:
                    conn.execute("COMMIT")
                    continue
                if version > 0 and not backed_up:
                    _backup(path, version)
                    backed_up = True
                for statement in migration.statements:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at, applied_by) VALUES (?, ?, ?, ?)",
                    (migration.version, migration.name, _now(), user),
                )
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise MeetingStoreError(
                        f"{path}: migration {migration.version} ({migration.name}) failed: {exc}; "
                        f"the store is unchanged at schema version {version}"
                    ) from None
                raise
    return _schema_version(conn, path)


def backup_path(path: Path, version: int, when: datetime) -> Path:
    """Where the backup taken before migrating a store from ``version`` goes: beside it."""
    return path.with_name(f"{path.name}.backup-v{version}-{when:%Y%m%dT%H%M%S%f}Z")


def _backup(path: Path, version: int) -> Path:
    """A consistent copy of the store (SQLite backup API), written atomically beside it."""
    from crimefighters.files import atomic_write

    target = backup_path(path, version, datetime.now(UTC))

    def copy(tmp: Path) -> None:
        # The caller holds the write lock, and SQLite cannot back up through a connection that
        # is writing; a second connection reads the same committed pages (WAL: readers are not
        # blocked), and nobody can commit in between.
        source = sqlite3.connect(path)
        copy_conn = sqlite3.connect(tmp)
        try:
            source.backup(copy_conn)
            # a backup is one self-contained file, not a WAL database needing -wal/-shm files
            copy_conn.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy_conn.close()
            source.close()

    atomic_write(target, copy)
    return target


@contextmanager
def _translated(path: Path) -> Iterator[None]:
    """SQLite's errors as one line a user can act on."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise MeetingStoreError(
                f"{path}: the meeting store is busy (another crimefighters held it for over "
                f"{BUSY_TIMEOUT_SECONDS:.0f} s); nothing was written, try again"
            ) from None
        if "readonly" in text:
            raise MeetingStoreError(
                f"{path}: the meeting store is read-only here; nothing was written"
            ) from None
        if "disk" in text and "full" in text:
            raise MeetingStoreError(f"{path}: the disk is full; nothing was written") from None
        raise MeetingStoreError(f"{path}: {text}") from None
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, exc) from None


# --- values in and out ----------------------------------------------------------------------

_SCOPE = "measure = ? AND area IS ? AND level IS ? AND category IS ?"


def _today() -> date:
    """The local calendar day (meetings are held, and deadlines set, in local time)."""
    return date.today()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _month(value: Month, field: str) -> str:
    """A month (date or 'YYYY-MM') -> 'YYYY-MM'."""
    from crimefighters.config.models import parse_month

    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.year:04d}-{value.month:02d}"
    try:
        parsed = parse_month(value)
    except ValueError:
        raise MeetingStoreError(f"{field}: expected a month as YYYY-MM; got {value!r}") from None
    return f"{parsed:%Y-%m}"


def _date(value: date | str, field: str) -> str:
    """A day (date or 'YYYY-MM-DD') -> 'YYYY-MM-DD'."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise MeetingStoreError(f"{field}: expected a date as YYYY-MM-DD; got {value!r}")


def _text(value: str, field: str, required: bool = True) -> str:
    if not isinstance(value, str):
        raise MeetingStoreError(f"{field}: expected text; got {value!r}")
    value = value.strip()
    if required and not value:
        raise MeetingStoreError(f"{field}: expected some text; got nothing")
    if len(value) > MAX_TEXT:
        raise MeetingStoreError(f"{field}: at most {MAX_TEXT} characters; got {len(value)}")
    return value


def _name(value: str, field: str) -> str:
    value = _text(value, field)
    if "\n" in value or "\r" in value:
        raise MeetingStoreError(f"{field}: expected one line; got {value!r}")
    return value


def _series(series: Series) -> Series:
    if not isinstance(series, Series):
        raise MeetingStoreError(f"expected a Series; got {series!r}")
    if series.level not in LEVELS:
        raise MeetingStoreError(f"level: expected one of {', '.join(LEVELS)}; got {series.level!r}")
    return Series(
        _name(series.area, "area"),
        _name(series.measure, "measure"),
        series.level,
        _name(series.category, "category"),
    )


def _show(month: date | str | None) -> str:
    """'2026-09' or date(2026, 9, 1) -> 'September 2026'."""
    if month is None:
        return "unknown"
    return f"{month if isinstance(month, date) else _as_month(month):%B %Y}"


def _as_month(text: str) -> date:
    return date(int(text[:4]), int(text[5:7]), 1)


def _month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _stamp(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text)  # 'Z' is read as UTC (Python 3.11)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _where(**filters: Any) -> tuple[str, list[Any]]:
    used = {column: value for column, value in filters.items() if value is not None}
    if not used:
        return "", []
    return " WHERE " + " AND ".join(f"{column} = ?" for column in used), list(used.values())


def _meeting(row: sqlite3.Row) -> Meeting:
    return Meeting(
        id=row["id"],
        area=row["area"],
        month=_as_month(row["month"]),
        held_on=date.fromisoformat(row["held_on"]),
        chair=row["chair"],
        created_at=_stamp(row["created_at"]),
        created_by=row["created_by"],
        updated_at=_stamp(row["updated_at"]),
        updated_by=row["updated_by"],
    )


def _action(row: sqlite3.Row) -> Action:
    return Action(
        id=row["id"],
        finding_id=row["finding_id"],
        area=row["area"],
        month_raised=_as_month(row["month_raised"]),
        text=row["text"],
        owner=row["owner"],
        due_month=_as_month(row["due_month"]),
        due_date=_day(row["due_date"]),
        status=row["status"],
        outcome=row["outcome"],
        closed_month=_as_month(row["closed_month"]) if row["closed_month"] else None,
        closed_at=_stamp(row["closed_at"]),
        closed_by=row["closed_by"],
        created_at=_stamp(row["created_at"]),
        created_by=row["created_by"],
    )


def _tasking(row: sqlite3.Row) -> GoldTasking:
    return GoldTasking(
        id=row["id"],
        finding_id=row["finding_id"],
        area=row["area"],
        month=_as_month(row["month"]),
        group=row["group_name"],
        tasked_on=date.fromisoformat(row["tasked_on"]),
        lead=row["lead"],
        note=row["note"],
        action_id=row["action_id"],
        created_at=_stamp(row["created_at"]),
        created_by=row["created_by"],
    )


def _note(row: sqlite3.Row) -> Note:
    return Note(
        id=row["id"],
        finding_id=row["finding_id"],
        area=row["area"],
        month=_as_month(row["month"]),
        text=row["text"],
        created_at=_stamp(row["created_at"]),
        created_by=row["created_by"],
    )


def _annotation(row: sqlite3.Row) -> Annotation:
    return Annotation(
        id=row["id"],
        series=Series(row["area"], row["measure"], row["level"], row["category"]),
        month=_as_month(row["month"]),
        text=row["text"],
        exclude_from_limits=bool(row["exclude_from_limits"]),
        created_at=_stamp(row["created_at"]),
        created_by=row["created_by"],
    )


def _baseline(row: sqlite3.Row) -> Baseline:
    return Baseline(
        id=row["id"],
        measure=row["measure"],
        area=row["area"],
        level=row["level"],
        category=row["category"],
        start=_as_month(row["start_month"]),
        end=_as_month(row["end_month"]),
        note=row["note"],
        created_at=_stamp(row["created_at"]),
        created_by=row["created_by"],
    )


def spc_inputs(path: str | os.PathLike | None = None, *, loaded: LoadedConfig | None = None):
    """What the store tells the scan (months left out of SPC limits, chosen baselines), or
    None when there is no store yet: ``crimefighters.scan.adjustments.SPCInputs``."""
    from crimefighters.scan.adjustments import SPCInputs

    location = resolve_store_location(path, loaded)
    if not location.path.exists():
        return None
    with MeetingStore(location, create=False) as store:
        adjustments = store.spc_adjustments()
    if not adjustments.excluded and not adjustments.baselines:
        return None
    return SPCInputs.from_store(adjustments)
