"""Meeting memory: what the last meeting decided, and what happened since.

Finding ids follow the scan's contract (area|measure|series family|direction) but are opaque
text here. Months are months of data: the "2026-08 meeting" reviews August's figures.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from crimefighters.errors import ConfigError, MeetingStoreError
from crimefighters.meeting import STORE_ENV, Series, open_store, resolve_store_location
from crimefighters.text_safety import neutralise_formula, terminal_safe

ROBBERY = "Lambeth|recorded_crime|robbery|up"
BURGLARY = "Lambeth|recorded_crime|burglary|up"
ASB = "Lambeth|asb_incidents|all|up"
ROBBERY_SERIES = Series("Lambeth", "recorded_crime", "minor", "Robbery of Personal Property")


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "meetings.sqlite3", user="analyst") as opened:
        yield opened


def test_three_meetings_carry_what_was_agreed_and_whether_it_was_done(store):
    # July: robbery and burglary are up; two actions, robbery tasked to a Gold Group
    store.record_meeting("Lambeth", "2026-07", "2026-08-12", chair="Ch Supt Adams")
    patrols = store.add_action(
        ROBBERY, "Lambeth", "2026-07", "Robbery patrols at Brixton station", owner="Insp Bell"
    )
    leaflets = store.add_action(
        BURGLARY, "Lambeth", "2026-07", "Burglary leaflet drop, Streatham", owner="PS Cole"
    )
    gold = store.task_gold_group(
        ROBBERY, "Lambeth", "2026-07", "Robbery Gold", lead="Supt Dale", action_id=patrols.id
    )
    store.add_note(ROBBERY, "Lambeth", "2026-07", "Spike follows the school holidays")

    # August: the borough opens on what July agreed; both actions are due now
    august = store.since_last_meeting("Lambeth", "2026-08")
    assert august.previous.month == date(2026, 7, 1) and august.previous.chair == "Ch Supt Adams"
    assert [a.id for a in august.agreed] == [patrols.id, leaflets.id]
    assert [a.id for a in august.due] == [patrols.id, leaflets.id]
    assert [a.status for a in august.due] == ["open", "open"]
    assert august.overdue == () and august.done == () and august.dropped == ()
    assert august.gold_taskings == (gold,)
    store.record_meeting("Lambeth", "2026-08", "2026-09-10", chair="Ch Supt Adams")
    store.close_action(
        patrols.id, "done", "40 extra patrols; robbery down a third", month="2026-08"
    )

    # September: the leaflets were never done (overdue); the meeting drops them
    september = store.since_last_meeting("Lambeth", "2026-09")
    assert september.previous.month == date(2026, 8, 1)
    assert september.agreed == () and september.due == ()
    assert [a.id for a in september.overdue] == [leaflets.id]
    assert september.done == ()  # reported done at August's meeting, not since
    store.close_action(leaflets.id, "dropped", "burglary back within limits", month="2026-09")
    after = store.since_last_meeting("Lambeth", "2026-09")
    assert (
        [a.id for a in after.dropped] == [leaflets.id] and after.overdue == () and after.open == ()
    )

    # August replayed after September: the leaflets were still open then
    replay = store.since_last_meeting("Lambeth", "2026-08")
    assert [a.status_at(date(2026, 8, 1)) for a in replay.due] == ["done", "open"]
    assert [a.id for a in replay.done] == [patrols.id]


def test_without_recorded_meetings_the_last_meeting_is_where_actions_were_last_raised(store):
    store.add_action(ROBBERY, "Lambeth", "2026-05", "Knife arch at the market")
    store.add_action(ASB, "Lambeth", "2026-06", "Dispersal order on the estate")
    since = store.since_last_meeting("Lambeth", "2026-08")
    assert since.previous is None and since.previous_month == date(2026, 6, 1)
    assert [a.text for a in since.agreed] == ["Dispersal order on the estate"]
    assert [a.text for a in since.overdue] == [
        "Knife arch at the market",
        "Dispersal order on the estate",
    ]
    assert not since.first_meeting
    assert store.since_last_meeting("Lambeth", "2026-05").first_meeting


def test_an_action_is_due_at_the_next_meeting_unless_a_meeting_or_date_is_given(store):
    plain = store.add_action(ROBBERY, "Lambeth", "2026-12", "Review CCTV")
    assert plain.due_month == date(2027, 1, 1) and plain.due_date is None
    dated = store.add_action(ROBBERY, "Lambeth", "2026-12", "Report to Gold", due_date="2027-02-15")
    assert (dated.due_month, dated.due_date) == (date(2027, 2, 1), date(2027, 2, 15))
    later = store.add_action(ROBBERY, "Lambeth", "2026-12", "Evaluate", due_month=date(2027, 3, 1))
    assert later.due_month == date(2027, 3, 1)
    with pytest.raises(MeetingStoreError, match="cannot be due at an earlier one"):
        store.add_action(ROBBERY, "Lambeth", "2026-12", "Too late", due_month="2026-11")


def test_an_action_closed_between_meetings_is_reported_at_the_next_one(store):
    today = date.today()
    store.record_meeting("Lambeth", "2026-07", today - timedelta(days=20))
    action = store.add_action(ROBBERY, "Lambeth", "2026-07", "Patrols")
    closed = store.close_action(action.id, "done")
    assert closed.closed_month == date(2026, 8, 1)


def test_an_action_closed_on_the_day_of_a_meeting_is_reported_at_that_meeting(store):
    store.record_meeting("Lambeth", "2026-07", date.today() - timedelta(days=30))
    action = store.add_action(ROBBERY, "Lambeth", "2026-07", "Patrols")
    store.record_meeting("Lambeth", "2026-08", date.today())
    assert store.close_action(action.id, "done").closed_month == date(2026, 8, 1)


def test_an_action_is_closed_once(store):
    action = store.add_action(ROBBERY, "Lambeth", "2026-07", "Patrols")
    store.close_action(action.id, "done", month="2026-08")
    with pytest.raises(MeetingStoreError, match=r"action 1 is already done .*August 2026.*analyst"):
        store.close_action(action.id, "dropped", month="2026-08")
    with pytest.raises(MeetingStoreError, match="done or dropped; got 'open'"):
        store.close_action(action.id, "open")
    with pytest.raises(MeetingStoreError, match="no action 42"):
        store.close_action(42, "done")
    with pytest.raises(MeetingStoreError, match="cannot be closed at an earlier one"):
        store.close_action(
            store.add_action(ROBBERY, "Lambeth", "2026-07", "x").id, "done", month="2026-06"
        )


def test_every_record_says_who_and_when(tmp_path):
    before = datetime.now(UTC)
    with open_store(tmp_path / "m.sqlite3", user="dc.ellis") as first:
        action = first.add_action(ROBBERY, "Lambeth", "2026-07", "Patrols")
        meeting = first.record_meeting("Lambeth", "2026-07", "2026-08-12", chair="Ch Supt Adams")
    with open_store(tmp_path / "m.sqlite3", user="pc.fry") as second:
        closed = second.close_action(action.id, "done", month="2026-08")
        corrected = second.record_meeting("Lambeth", "2026-07", "2026-08-13", chair="Supt Dale")
    assert action.created_by == "dc.ellis" and closed.closed_by == "pc.fry"
    assert before <= action.created_at <= closed.closed_at <= datetime.now(UTC)
    assert action.created_at.tzinfo is UTC
    assert (corrected.created_by, corrected.updated_by, corrected.chair) == (
        "dc.ellis",
        "pc.fry",
        "Supt Dale",
    )
    assert corrected.created_at == meeting.created_at and corrected.id == meeting.id


def test_the_os_user_is_recorded_by_default(tmp_path):
    import getpass

    with open_store(tmp_path / "m.sqlite3") as store:
        assert store.add_note(ROBBERY, "Lambeth", "2026-07", "seen").created_by == getpass.getuser()


def test_actions_are_listed_by_area_month_raised_status_and_finding(store):
    store.add_action(ROBBERY, "Lambeth", "2026-07", "a")
    store.add_action(BURGLARY, "Lambeth", "2026-08", "b")
    store.add_action("Croydon|recorded_crime|robbery|up", "Croydon", "2026-08", "c")
    store.close_action(1, "done", month="2026-08")
    assert [a.text for a in store.actions_for()] == ["c", "a", "b"]
    assert [a.text for a in store.actions_for("Lambeth")] == ["a", "b"]
    assert [a.text for a in store.actions_for(month="2026-08")] == ["c", "b"]
    assert [a.text for a in store.actions_for("Lambeth", status="open")] == ["b"]
    assert [a.text for a in store.actions_for(finding_id=ROBBERY)] == ["a"]
    with pytest.raises(MeetingStoreError, match="status: expected one of open, done, dropped"):
        store.actions_for(status="closed")


def test_a_finding_record_gathers_its_actions_taskings_and_notes(store):
    action = store.add_action(ROBBERY, "Lambeth", "2026-07", "Patrols")
    store.add_action(BURGLARY, "Lambeth", "2026-07", "Leaflets")
    store.task_gold_group(ROBBERY, "Lambeth", "2026-08", "Robbery Gold", tasked_on="2026-09-11")
    store.add_note(ROBBERY, "Lambeth", "2026-07", "Holiday spike")
    store.add_note(BURGLARY, "Lambeth", "2026-07", "Not this one")
    record = store.finding_record(ROBBERY)
    assert [a.id for a in record.actions] == [action.id]
    assert [(t.group, t.tasked_on) for t in record.gold_taskings] == [
        ("Robbery Gold", date(2026, 9, 11))
    ]
    assert [n.text for n in record.notes] == ["Holiday spike"] and record.tasked
    assert not store.finding_record("Lambeth|nothing|recorded|up").tasked


def test_an_annotation_excluded_from_limits_is_offered_to_the_spc_engine(store):
    carnival = store.annotate(
        ROBBERY_SERIES, "2026-08", "Notting Hill Carnival", exclude_from_limits=True
    )
    store.annotate(ROBBERY_SERIES, "2026-03", "Operation Venice started")
    other = Series("Lambeth", "recorded_crime", "major", "Robbery")
    store.annotate(other, "2026-08", "Carnival weekend")
    assert [a.text for a in store.annotations_for(ROBBERY_SERIES)] == [
        "Operation Venice started",
        "Notting Hill Carnival",
    ]
    assert len(store.annotations_for("Lambeth")) == 3
    assert store.annotations_for("Lambeth", month="2026-08")[0].series == other
    assert store.excluded_months(ROBBERY_SERIES) == {date(2026, 8, 1)}
    assert store.excluded_months(other) == frozenset()
    key = store.spc_adjustments().key
    assert store.spc_adjustments().excluded_months(ROBBERY_SERIES) == {date(2026, 8, 1)}

    store.remove_annotation(carnival.id)
    assert store.excluded_months(ROBBERY_SERIES) == frozenset()
    assert store.spc_adjustments().key != key
    assert [a.text for a in store.annotations_for(ROBBERY_SERIES)] == ["Operation Venice started"]
    with pytest.raises(MeetingStoreError, match="already removed"):
        store.remove_annotation(carnival.id)
    removed = store._conn.execute(
        "SELECT removed_by FROM annotations WHERE id = ?", (carnival.id,)
    ).fetchone()
    assert removed[0] == "analyst"  # kept, stamped: why the limits changed stays answerable


def test_the_most_specific_baseline_in_force_applies_to_a_series(store):
    everywhere = store.set_baseline("recorded_crime", "2023-04", "2025-03", note="pre-CONNECT")
    lambeth = store.set_baseline("recorded_crime", "2024-01", "2025-12", area="Lambeth")
    robbery = store.set_baseline(
        "recorded_crime",
        "2024-06",
        "2025-12",
        level="minor",
        category="Robbery of Personal Property",
    )
    assert store.baseline_for(ROBBERY_SERIES) == robbery
    assert store.baseline_for(Series("Lambeth", "recorded_crime", "major", "Burglary")) == lambeth
    assert (
        store.baseline_for(Series("Croydon", "recorded_crime", "major", "Burglary")) == everywhere
    )
    assert store.baseline_for(Series("Lambeth", "asb_incidents", "minor", "All")) is None

    replaced = store.set_baseline("recorded_crime", "2024-03", "2025-12", area="Lambeth")
    assert store.baseline_for(Series("Lambeth", "recorded_crime", "major", "Burglary")) == replaced
    assert len(store.baselines()) == 3
    store.remove_baseline(replaced.id)
    assert (
        store.baseline_for(Series("Lambeth", "recorded_crime", "major", "Burglary")) == everywhere
    )
    with pytest.raises(MeetingStoreError, match=r"ends .*before it starts"):
        store.set_baseline("recorded_crime", "2025-01", "2024-01")
    with pytest.raises(MeetingStoreError, match="both its level and its category"):
        store.set_baseline("recorded_crime", "2024-01", "2025-01", level="minor")


def test_typed_text_is_kept_exactly_and_bad_input_is_refused(store):
    typed = "Robbery ↑ at Brixton — «Op Venice»\nsecond line"
    assert store.add_note(ROBBERY, "Lambeth", "2026-07", f"  {typed} ").text == typed
    for call, message in [
        (
            lambda: store.add_action(ROBBERY, "Lambeth", "2026-07", "   "),
            "action text: expected some text",
        ),
        (
            lambda: store.add_action(ROBBERY, "Lambeth", "2026-7", "x"),
            "month: expected a month as YYYY-MM",
        ),
        (lambda: store.add_action(ROBBERY, "Lam\nbeth", "2026-07", "x"), "area: expected one line"),
        (
            lambda: store.add_action(ROBBERY, "Lambeth", "2026-07", "x" * 5000),
            "at most 4000 characters",
        ),
        (
            lambda: store.add_action(ROBBERY, "Lambeth", "2026-07", "x", due_date="31/12/2026"),
            "due date: expected a date",
        ),
        (
            lambda: store.record_meeting("Lambeth", "2026-07", "2026-02-30"),
            "held_on: expected a date",
        ),
        (
            lambda: store.annotate(
                Series("Lambeth", "recorded_crime", "ward", "x"), "2026-07", "x"
            ),
            "level: expected",
        ),
    ]:
        with pytest.raises(MeetingStoreError, match=message):
            call()
    assert store.actions_for() == []


def test_typed_text_cannot_act_on_a_terminal_or_a_spreadsheet():
    hostile = "\x1b[2J\x1b]0;owned\x07Patrols\r\u202eevil"
    shown = terminal_safe(hostile)
    assert "\x1b" not in shown and "\r" not in shown and "\u202e" not in shown
    assert shown == "\\x1b[2J\\x1b]0;owned\\x07Patrols\\x0d\\u202eevil"
    assert terminal_safe("two\nlines") == "two lines"
    for formula in ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)"]:
        assert neutralise_formula(formula) == "'" + formula
    assert neutralise_formula("Patrols at Brixton") == "Patrols at Brixton"


def test_the_store_is_found_by_path_then_environment_then_configuration_then_user_folder(
    tmp_path, monkeypatch
):
    from crimefighters.config import load_config

    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "meeting.yaml").write_text("meeting:\n  store: shared/lambeth.sqlite3\n")
    loaded = load_config(config_dir)
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "env.sqlite3"))
    assert (
        resolve_store_location(tmp_path / "given.sqlite3", loaded).path
        == tmp_path / "given.sqlite3"
    )
    assert resolve_store_location(None, loaded).path == tmp_path / "env.sqlite3"
    monkeypatch.delenv(STORE_ENV)
    configured = resolve_store_location(None, loaded)
    assert configured.path == config_dir / "shared" / "lambeth.sqlite3"
    assert configured.source == f"meeting.store in {config_dir / 'meeting.yaml'}:2"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert (
        resolve_store_location(None, load_config()).path
        == tmp_path / "data" / "crimefighters" / "meetings.sqlite3"
    )


def test_the_meeting_configuration_is_validated(tmp_path):
    from crimefighters.config import load_config

    (tmp_path / "meeting.yaml").write_text("meeting:\n  enduring_months: 1\n")
    with pytest.raises(ConfigError, match=r"meeting.yaml:2 meeting.enduring_months"):
        load_config(tmp_path)
    assert load_config().config.meeting.enduring_months == 3


def test_the_meeting_store_never_imports_textual_or_polars():
    code = (
        "import sys, crimefighters.meeting, crimefighters.commands.actions, crimefighters.commands.annotate\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'polars'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
