"""Where the meeting store lives.

First of: a path given by the caller (``--store``), the ``CRIMEFIGHTERS_STORE`` environment
variable, the configuration's ``meeting.store`` (relative to the YAML file that sets it), and
``meetings.sqlite3`` in the user's data folder (platformdirs: ``~/.local/share/crimefighters``
on Linux, ``%LOCALAPPDATA%\\crimefighters`` on Windows).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crimefighters.config import LoadedConfig

STORE_ENV = "CRIMEFIGHTERS_STORE"
STORE_FILENAME = "meetings.sqlite3"


@dataclass(frozen=True)
class StoreLocation:
    path: Path
    source: str
    """where the path came from, for messages: '--store', 'CRIMEFIGHTERS_STORE', a config file"""


def resolve_store_location(
    path: str | os.PathLike | None = None, loaded: LoadedConfig | None = None
) -> StoreLocation:
    if path is not None and str(path) != "":
        return StoreLocation(_expand(path), "--store")
    from_env = os.environ.get(STORE_ENV)
    if from_env:
        return StoreLocation(_expand(from_env), STORE_ENV)
    configured = loaded.config.meeting.store if loaded is not None else None
    if configured:
        file, line = loaded.provenance.get(("meeting", "store"), (".", 0))
        store = _expand(configured)
        if not store.is_absolute():
            store = Path(file).parent / store
        return StoreLocation(store, f"meeting.store in {file}:{line}")
    from platformdirs import user_data_path

    return StoreLocation(
        user_data_path("crimefighters", appauthor=False) / STORE_FILENAME, "the default location"
    )


def _expand(path: str | os.PathLike) -> Path:
    return Path(os.path.expandvars(os.path.expanduser(os.fspath(path))))
