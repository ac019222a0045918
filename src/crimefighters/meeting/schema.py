"""The meeting store's schema, as numbered migrations.

Each migration runs in its own transaction and records itself in ``schema_migrations`` (version,
name, when, by whom). Never edit a released migration: add the next one. A store whose newest
applied version is above ``latest_version()`` was written by a newer crimefighters and is left
alone. An older crimefighters that already had the store open keeps writing to it after a newer
one migrates, so a migration adds (tables, nullable or defaulted columns, indexes) and never
renames or drops what older code writes.

Rows are never deleted: removing an annotation or replacing a baseline stamps ``removed_at`` and
``removed_by``, so "why did these limits change?" always has an answer. CHECK constraints make
half a record impossible even if a bug got past the Python checks: a closed action always has
its month, time and user of closing; an open one has none.
"""

from __future__ import annotations

from dataclasses import dataclass

# "CFMS" in the SQLite header (PRAGMA application_id): this file is a crimefighters meeting store.
APPLICATION_ID = 0x43464D53

_MONTH = "GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]'"
_DATE = "GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'"
_STAMP = "GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T*Z'"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


_V1 = (
    f"PRAGMA application_id = {APPLICATION_ID}",
    """
    CREATE TABLE schema_migrations (
        version    INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        applied_by TEXT NOT NULL
    )
    """,
    f"""
    CREATE TABLE meetings (
        id         INTEGER PRIMARY KEY,
        area       TEXT NOT NULL CHECK (area <> ''),
        month      TEXT NOT NULL CHECK (month {_MONTH}),
        held_on    TEXT NOT NULL CHECK (held_on {_DATE}),
        chair      TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL CHECK (created_at {_STAMP}),
        created_by TEXT NOT NULL,
        updated_at TEXT CHECK (updated_at {_STAMP}),
        updated_by TEXT,
        UNIQUE (area, month),
        CHECK ((updated_at IS NULL) = (updated_by IS NULL))
    )
    """,
    f"""
    CREATE TABLE actions (
        id           INTEGER PRIMARY KEY,
        finding_id   TEXT NOT NULL CHECK (finding_id <> ''),
        area         TEXT NOT NULL CHECK (area <> ''),
        month_raised TEXT NOT NULL CHECK (month_raised {_MONTH}),
        text         TEXT NOT NULL CHECK (trim(text) <> ''),
        owner        TEXT NOT NULL DEFAULT '',
        due_month    TEXT NOT NULL CHECK (due_month {_MONTH} AND due_month >= month_raised),
        due_date     TEXT CHECK (due_date {_DATE}),
        status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
        outcome      TEXT NOT NULL DEFAULT '',
        closed_month TEXT CHECK (closed_month {_MONTH} AND closed_month >= month_raised),
        closed_at    TEXT CHECK (closed_at {_STAMP}),
        closed_by    TEXT,
        created_at   TEXT NOT NULL CHECK (created_at {_STAMP}),
        created_by   TEXT NOT NULL,
        CHECK (CASE status
                 WHEN 'open' THEN closed_month IS NULL AND closed_at IS NULL AND closed_by IS NULL
                 ELSE closed_month IS NOT NULL AND closed_at IS NOT NULL AND closed_by IS NOT NULL
               END)
    )
    """,
    "CREATE INDEX actions_by_area ON actions (area, month_raised)",
    "CREATE INDEX actions_by_finding ON actions (finding_id)",
    f"""
    CREATE TABLE gold_taskings (
        id         INTEGER PRIMARY KEY,
        finding_id TEXT NOT NULL CHECK (finding_id <> ''),
        area       TEXT NOT NULL CHECK (area <> ''),
        month      TEXT NOT NULL CHECK (month {_MONTH}),
        group_name TEXT NOT NULL CHECK (trim(group_name) <> ''),
        tasked_on  TEXT NOT NULL CHECK (tasked_on {_DATE}),
        lead       TEXT NOT NULL DEFAULT '',
        note       TEXT NOT NULL DEFAULT '',
        action_id  INTEGER REFERENCES actions (id),
        created_at TEXT NOT NULL CHECK (created_at {_STAMP}),
        created_by TEXT NOT NULL
    )
    """,
    "CREATE INDEX gold_taskings_by_area ON gold_taskings (area, month)",
    "CREATE INDEX gold_taskings_by_finding ON gold_taskings (finding_id)",
    f"""
    CREATE TABLE notes (
        id         INTEGER PRIMARY KEY,
        finding_id TEXT NOT NULL CHECK (finding_id <> ''),
        area       TEXT NOT NULL CHECK (area <> ''),
        month      TEXT NOT NULL CHECK (month {_MONTH}),
        text       TEXT NOT NULL CHECK (trim(text) <> ''),
        created_at TEXT NOT NULL CHECK (created_at {_STAMP}),
        created_by TEXT NOT NULL
    )
    """,
    "CREATE INDEX notes_by_area ON notes (area, month)",
    "CREATE INDEX notes_by_finding ON notes (finding_id)",
    f"""
    CREATE TABLE annotations (
        id                  INTEGER PRIMARY KEY,
        area                TEXT NOT NULL CHECK (area <> ''),
        measure             TEXT NOT NULL CHECK (measure <> ''),
        level               TEXT NOT NULL CHECK (level IN ('minor', 'major', 'total', 'priority')),
        category            TEXT NOT NULL CHECK (category <> ''),
        month               TEXT NOT NULL CHECK (month {_MONTH}),
        text                TEXT NOT NULL CHECK (trim(text) <> ''),
        exclude_from_limits INTEGER NOT NULL CHECK (exclude_from_limits IN (0, 1)),
        created_at          TEXT NOT NULL CHECK (created_at {_STAMP}),
        created_by          TEXT NOT NULL,
        removed_at          TEXT CHECK (removed_at {_STAMP}),
        removed_by          TEXT,
        CHECK ((removed_at IS NULL) = (removed_by IS NULL))
    )
    """,
    "CREATE INDEX annotations_by_series ON annotations (area, measure, level, category, month)",
    f"""
    CREATE TABLE baselines (
        id          INTEGER PRIMARY KEY,
        measure     TEXT NOT NULL CHECK (measure <> ''),
        area        TEXT CHECK (area <> ''),
        level       TEXT CHECK (level IN ('minor', 'major', 'total', 'priority')),
        category    TEXT CHECK (category <> ''),
        start_month TEXT NOT NULL CHECK (start_month {_MONTH}),
        end_month   TEXT NOT NULL CHECK (end_month {_MONTH} AND end_month >= start_month),
        note        TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL CHECK (created_at {_STAMP}),
        created_by  TEXT NOT NULL,
        removed_at  TEXT CHECK (removed_at {_STAMP}),
        removed_by  TEXT,
        CHECK ((level IS NULL) = (category IS NULL)),
        CHECK ((removed_at IS NULL) = (removed_by IS NULL))
    )
    """,
    # one baseline in force per scope; replaced ones are kept, stamped removed
    """
    CREATE UNIQUE INDEX baselines_in_force
        ON baselines (measure, ifnull(area, ''), ifnull(level, ''), ifnull(category, ''))
        WHERE removed_at IS NULL
    """,
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "meetings, actions, Gold Group taskings, notes, annotations, baselines", _V1),
)


def latest_version() -> int:
    """The newest schema this code knows (read at call time, so tests can add a migration)."""
    return MIGRATIONS[-1].version
