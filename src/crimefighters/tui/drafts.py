"""Drafts of the meeting dialogs: what was typed and not yet saved.

A dialog writes its fields here (atomically, a moment after each change) while it is open, and
deletes the draft when the edit is saved to the meeting store or discarded. If the app is
closed, killed or loses its terminal mid-edit, the next time the same dialog is opened (same
kind, area, month and finding or series) it comes back filled in, and says so. Confirmed edits
are never kept here: they are in the meeting store before the dialog closes.

One small JSON file per dialog, in the user's state folder (``platformdirs``), never beside a
shared store: a draft is one person's unfinished typing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from crimefighters.files import atomic_write_text


def default_drafts_dir() -> Path:
    from platformdirs import user_state_path

    return user_state_path("crimefighters", appauthor=False) / "drafts"


class Drafts:
    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else default_drafts_dir()

    def _path(self, key: str) -> Path:
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.json"

    def load(self, key: str) -> tuple[dict, datetime] | None:
        """(the fields, when they were typed), or None."""
        try:
            saved = json.loads(self._path(key).read_text(encoding="utf-8"))
            if saved.get("key") != key or not isinstance(saved.get("values"), dict):
                return None
            return saved["values"], datetime.fromisoformat(saved["saved_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # no draft, or one that cannot be read: start empty

    def save(self, key: str, values: dict) -> None:
        """Raises OSError when the folder cannot be written (the dialog says so)."""
        document = {"key": key, "saved_at": datetime.now(UTC).isoformat(), "values": values}
        atomic_write_text(self._path(key), json.dumps(document, ensure_ascii=True, indent=1))

    def discard(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
