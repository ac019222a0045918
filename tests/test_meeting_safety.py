"""The meeting store keeps what it is told, whatever happens around it.

Two processes writing at once lose nothing; a process killed mid-write leaves a sound store with
no half record; a damaged, foreign or newer-schema file is refused in one line and left byte for
byte as it was; a migration backs the store up first and is all or nothing.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crimefighters.errors import MeetingStoreError
from crimefighters.meeting import open_store, schema
from crimefighters.meeting.schema import Migration

WORKER = Path(__file__).parent / "meeting_worker.py"
FINDING = "Lambeth|recorded_crime|robbery|up"


def worker(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def store_with_actions(path: Path, count: int) -> None:
    with open_store(path, user="analyst") as store:
        for i in range(count):
            store.add_action(
                FINDING, "Lambeth", "2026-09", f"action {i}: " + "patrols and leaflets " * 5
            )


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_two_processes_adding_200_actions_each_at_once_leave_400(tmp_path):
    # The store does not exist yet: both processes also create and migrate it at once.
    store = tmp_path / "meetings.sqlite3"
    writers = [worker(str(store), "add", label, "200") for label in ("alice", "bob")]
    for w in writers:
        assert w.stdout.readline().strip() == "ready", w.stderr.read()
    for w in writers:  # both are open before either writes: go together
        w.stdin.write("go\n")
        w.stdin.flush()
    for w in writers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
        assert out.strip() == "done"
    with raw(store) as db:
        rows = db.execute("SELECT created_by, text FROM actions").fetchall()
        versions = db.execute("SELECT version FROM schema_migrations").fetchall()
    assert len(rows) == 400
    for label in ("alice", "bob"):
        assert sorted(text for by, text in rows if by == label) == sorted(
            f"{label} {i}" for i in range(200)
        )
    assert versions == [(1,)]


def test_a_reader_does_not_block_a_writer(tmp_path):
    store_path = tmp_path / "meetings.sqlite3"
    store_with_actions(store_path, 3)
    reader = sqlite3.connect(store_path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM actions").fetchone() == (3,)
    with open_store(store_path) as store:
        store.add_action(FINDING, "Lambeth", "2026-09", "written while a meeting room reads")
        assert len(store.actions_for("Lambeth")) == 4
    # the reader's snapshot is the one it started with
    assert reader.execute("SELECT count(*) FROM actions").fetchone() == (3,)
    reader.execute("COMMIT")
    assert reader.execute("SELECT count(*) FROM actions").fetchone() == (4,)
    reader.close()


def test_kill_9_in_the_middle_of_a_write_loop_leaves_a_sound_store_with_no_half_record(tmp_path):
    store_path = tmp_path / "meetings.sqlite3"
    store_with_actions(store_path, 1)
    looper = worker(str(store_path), "loop")
    acknowledged = -1
    while acknowledged < 60:  # the worker keeps writing while we read: the kill lands mid-loop
        line = looper.stdout.readline()
        assert line, looper.stderr.read()
        acknowledged = int(line)
    looper.send_signal(signal.SIGKILL)
    rest, _ = looper.communicate(timeout=60)
    assert looper.returncode == -signal.SIGKILL
    # every number the worker printed before it died was committed
    acknowledged = max([acknowledged, *(int(line) for line in rest.split())])

    with open_store(store_path) as store:  # opens cleanly: WAL recovery, no error
        assert store.integrity_problems() == []
        loops = [a for a in store.actions_for("Lambeth") if a.text.startswith("loop ")]
        baselines = store.baselines()
        annotations = store.annotations_for("Lambeth")
        taskings = store.gold_taskings_for("Lambeth")
    numbers = [int(a.text.split()[1]) for a in loops]
    # every acknowledged edit is there, at most one more, and nothing in between is missing
    assert numbers == list(range(len(numbers)))
    assert acknowledged + 1 <= len(numbers) <= acknowledged + 2
    for action in loops:
        if action.status == "done":
            assert action.closed_month and action.closed_at and action.closed_by == "looper"
            assert action.outcome == f"closed in iteration {action.text.split()[1]}"
        else:
            assert (action.closed_month, action.closed_at, action.closed_by, action.outcome) == (
                None,
                None,
                None,
                "",
            )
    closed = {int(a.text.split()[1]) for a in loops if a.status == "done"}
    assert {i for i in range(acknowledged + 1) if i % 3 == 0} <= closed
    # replacing a baseline is one transaction: exactly one in force, never none or two
    assert len(baselines) == 1
    assert len(annotations) >= len(range(0, acknowledged + 1, 7))
    assert all(t.action_id in {a.id for a in loops} for t in taskings)
    with raw(store_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert (
            db.execute("SELECT count(*) FROM baselines").fetchone()[0]
            == db.execute("SELECT count(*) FROM baselines WHERE removed_at IS NOT NULL").fetchone()[
                0
            ]
            + 1
        )


def assert_refused_and_untouched(path: Path, expected: str) -> None:
    before = files_in(path.parent)
    with pytest.raises(MeetingStoreError) as error:
        open_store(path)
    message = str(error.value)
    assert "\n" not in message
    assert str(path) in message and expected in message and "left unchanged" in message
    assert files_in(path.parent) == before


def test_a_file_of_random_bytes_is_refused_in_one_line_and_left_as_it_was(tmp_path):
    path = tmp_path / "meetings.sqlite3"
    path.write_bytes(random.Random(10).randbytes(16384))
    assert_refused_and_untouched(path, "not an SQLite database")


def test_a_store_truncated_to_half_is_refused_in_one_line_and_left_as_it_was(tmp_path):
    path = tmp_path / "meetings.sqlite3"
    store_with_actions(path, 400)
    whole = path.read_bytes()
    assert len(whole) > 64 * 1024
    path.write_bytes(whole[: len(whole) // 2])
    assert_refused_and_untouched(path, "damaged")


def test_a_store_cut_off_inside_its_first_page_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "meetings.sqlite3"
    store_with_actions(path, 5)
    path.write_bytes(path.read_bytes()[:50])
    assert_refused_and_untouched(path, "damaged")


def test_a_store_with_a_newer_schema_is_refused_and_never_migrated(tmp_path):
    path = tmp_path / "meetings.sqlite3"
    store_with_actions(path, 3)
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO schema_migrations VALUES (2, 'from the future', '2030-01-01T00:00:00.0Z', 'x')"
        )
    db.close()
    assert_refused_and_untouched(
        path, "schema version 2, newer than this crimefighters understands (1)"
    )


def test_another_programs_sqlite_database_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "meetings.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE contacts (name TEXT)")
        db.execute("INSERT INTO contacts VALUES ('someone')")
    db.close()
    assert_refused_and_untouched(path, "not a crimefighters meeting store")


def test_an_empty_file_is_a_store_whose_creation_never_began(tmp_path):
    path = tmp_path / "meetings.sqlite3"
    path.touch()
    with open_store(path) as store:
        assert store.schema_version == schema.latest_version()


V2 = Migration(
    2, "outcome evidence", ("CREATE TABLE evidence (id INTEGER PRIMARY KEY, action_id INTEGER)",)
)


def test_a_migration_backs_the_store_up_first(tmp_path, monkeypatch):
    path = tmp_path / "meetings.sqlite3"
    store_with_actions(path, 3)
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, V2))
    with open_store(path) as store:
        assert store.schema_version == 2
        assert len(store.actions_for()) == 3
    backups = sorted(tmp_path.glob("meetings.sqlite3.backup-v1-*"))
    assert len(backups) == 1
    with raw(backups[0]) as db:
        # the copy was taken before version 2 ran: it is the version 1 store, whole
        assert db.execute("SELECT max(version) FROM schema_migrations").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM actions").fetchone() == (3,)
        assert db.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'evidence'"
        ).fetchone() == (0,)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with open_store(path):  # nothing pending: no second backup
        pass
    assert len(list(tmp_path.glob("meetings.sqlite3.backup-*"))) == 1


def test_a_new_store_has_nothing_to_back_up(tmp_path):
    with open_store(tmp_path / "meetings.sqlite3"):
        pass
    assert [p.name for p in tmp_path.iterdir()] == ["meetings.sqlite3"]


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "meetings.sqlite3"
    store_with_actions(path, 3)
    broken = Migration(
        2, "broken", ("CREATE TABLE evidence (id INTEGER PRIMARY KEY)", "ALTER TABLE nowhere ADD x")
    )
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    with pytest.raises(
        MeetingStoreError, match=r"migration 2 \(broken\) failed: .*unchanged at schema version 1"
    ):
        open_store(path)
    with raw(path) as db:
        assert db.execute("SELECT max(version) FROM schema_migrations").fetchone() == (1,)
        assert db.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'evidence'"
        ).fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM actions").fetchone() == (3,)


def test_the_store_file_is_in_wal_mode_with_foreign_keys_enforced(tmp_path):
    path = tmp_path / "meetings.sqlite3"
    with open_store(path) as store:
        with raw(path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        with pytest.raises(MeetingStoreError, match="no action 99"):
            store.task_gold_group(FINDING, "Lambeth", "2026-09", "Robbery Gold", action_id=99)
        # the constraint itself, not only the Python check, refuses a tasking of a missing action
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            store._conn.execute(
                "INSERT INTO gold_taskings (finding_id, area, month, group_name, tasked_on, action_id, created_at, "
                "created_by) VALUES ('f', 'Lambeth', '2026-09', 'Gold', '2026-10-01', 99, '2026-10-01T00:00:00.0Z', 'x')"
            )


def test_a_store_is_never_created_when_only_read(tmp_path):
    path = tmp_path / "nowhere" / "meetings.sqlite3"
    with pytest.raises(MeetingStoreError, match="no meeting store here"):
        open_store(path, create=False)
    assert not path.parent.exists()
