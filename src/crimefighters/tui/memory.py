"""The TUI's door to the meeting store (``crimefighters.meeting``).

Where: ``--store``, else ``CRIMEFIGHTERS_STORE``, else ``meeting.store`` in the configuration,
else the user's data folder (``resolve_store_location``). Opening the TUI never creates a
store: until the first confirmed edit every read answers "nothing recorded yet". The first
edit creates it; from then on one connection stays open (the store is safe to share between
threads, and every edit is its own committed transaction, on disk before the call returns).

Errors (a damaged or newer store, a bad month) are ``MeetingStoreError`` with one line: the
dialogs show them and keep what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from crimefighters.errors import MeetingStoreError
from crimefighters.meeting import (
    FindingRecord,
    MeetingStore,
    SinceLastMeeting,
    open_store,
    resolve_store_location,
)

if TYPE_CHECKING:
    from datetime import date

    from crimefighters.config import LoadedConfig
    from crimefighters.meeting import Action, Annotation, GoldTasking, Meeting, Series

T = TypeVar("T")


class MeetingMemory:
    def __init__(self, store: Path | None, loaded: LoadedConfig, user: str | None = None):
        self.option = store
        self.loaded = loaded
        self.location = resolve_store_location(store, loaded)
        self.user = user
        self._store: MeetingStore | None = None
        self.problem = ""  # the last error opening the store ("" while it is fine)

    @property
    def path(self) -> Path:
        return self.location.path

    def describe(self) -> str:
        made = "" if self.path.exists() else ", not created yet: the first edit creates it"
        return f"{self.path} ({self.location.source}{made})"

    # --- opening -------------------------------------------------------------------------

    def _open(self, create: bool) -> MeetingStore | None:
        if self._store is not None:
            return self._store
        if not create and not self.path.exists():
            return None
        try:
            self._store = open_store(self.option, loaded=self.loaded, create=create, user=self.user)
        except MeetingStoreError as error:
            self.problem = str(error)
            raise
        self.problem = ""
        return self._store

    def read(self, what: Callable[[MeetingStore], T], empty: T) -> T:
        """``what(store)``, or ``empty`` when there is no store yet or it cannot be read (the
        problem is kept in ``problem`` for the screen to say)."""
        try:
            store = self._open(create=False)
        except MeetingStoreError:
            return empty
        return empty if store is None else what(store)

    def write(self, what: Callable[[MeetingStore], T]) -> T:
        """One confirmed edit; creates the store on the first. Raises MeetingStoreError."""
        store = self._open(create=True)
        assert store is not None
        return what(store)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # --- what the screens read ---------------------------------------------------------------

    def since(self, area: str, month: date) -> SinceLastMeeting | None:
        return self.read(lambda s: s.since_last_meeting(area, month), None)

    def meeting(self, area: str, month: date) -> Meeting | None:
        return self.read(lambda s: s.meeting(area, month), None)

    def actions(self, area: str) -> list[Action]:
        return self.read(lambda s: s.actions_for(area=area), [])

    def gold(self, area: str) -> list[GoldTasking]:
        return self.read(lambda s: s.gold_taskings_for(area=area), [])

    def records(self, area: str) -> dict[str, FindingRecord]:
        """Each finding's actions, taskings and notes in the area (one read of each table)."""

        def read(store: MeetingStore) -> dict[str, FindingRecord]:
            actions, gold, notes = (
                store.actions_for(area=area),
                store.gold_taskings_for(area=area),
                store.notes_for(area=area),
            )
            ids = {x.finding_id for x in (*actions, *gold, *notes)}
            return {
                fid: FindingRecord(
                    fid,
                    tuple(a for a in actions if a.finding_id == fid),
                    tuple(g for g in gold if g.finding_id == fid),
                    tuple(n for n in notes if n.finding_id == fid),
                )
                for fid in ids
            }

        return self.read(read, {})

    def annotations(self, series: Series) -> list[Annotation]:
        return self.read(lambda s: s.annotations_for(series), [])
