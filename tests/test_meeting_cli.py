"""`crimefighters actions` and `crimefighters annotate`: preparing the pack without the TUI."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from crimefighters.cli import main
from crimefighters.meeting import Series, open_store

ROBBERY = "Lambeth|recorded_crime|robbery|up"


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "meetings.sqlite3"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def add(capsys, store_path, *extra: str) -> tuple[int, str, str]:
    return run(
        capsys, "actions", "add", "--store", str(store_path), "--area", "lambeth", "--month", "2026-07",
        "--finding", ROBBERY, *extra,
    )  # fmt: skip


def test_an_analyst_adds_lists_closes_and_exports_actions(capsys, store_path, tmp_path):
    code, out, _ = add(
        capsys, store_path, "--text", "Robbery patrols at Brixton", "--owner", "Insp Bell"
    )
    assert code == 0
    assert (
        out
        == f"Action 1 for Lambeth, raised at the July 2026 meeting, due at the August 2026 meeting ({store_path})\n"
    )
    add(capsys, store_path, "--text", "Leaflets", "--due", "2026-09-30")

    code, out, _ = run(capsys, "actions", "list", "--store", str(store_path))
    lines = out.splitlines()
    assert lines[0].split() == [
        "id",
        "area",
        "raised",
        "due",
        "status",
        "owner",
        "finding",
        "action",
    ]
    assert lines[1].split()[:6] == ["1", "Lambeth", "2026-07", "2026-08", "open", "Insp"]
    assert lines[2].split()[:5] == ["2", "Lambeth", "2026-07", "2026-09-30", "open"]

    code, out, _ = run(
        capsys,
        "actions",
        "done",
        "1",
        "--note",
        "40 extra patrols",
        "--month",
        "2026-08",
        "--store",
        str(store_path),
    )
    assert (code, out) == (
        0,
        "Action 1 done at the August 2026 meeting: Robbery patrols at Brixton\n",
    )
    code, out, _ = run(capsys, "actions", "done", "2", "--dropped", "--store", str(store_path))
    assert out.startswith("Action 2 dropped at the August 2026 meeting")

    code, out, _ = run(
        capsys,
        "actions",
        "list",
        "--status",
        "done",
        "--format",
        "json",
        "--store",
        str(store_path),
    )
    [record] = json.loads(out)
    assert record["id"] == 1 and record["outcome"] == "40 extra patrols"
    assert (record["month_raised"], record["due_month"], record["closed_month"]) == (
        "2026-07",
        "2026-08",
        "2026-08",
    )
    assert record["created_at"].endswith("Z")

    target = tmp_path / "pack" / "actions.csv"
    code, _, err = run(
        capsys,
        "actions",
        "export",
        "--output",
        str(target),
        "--area",
        "Lambeth",
        "--store",
        str(store_path),
    )
    assert code == 0 and err == f"wrote {target}\n"
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [(r["id"], r["status"], r["due_date"]) for r in rows] == [
        ("1", "done", ""),
        ("2", "dropped", "2026-09-30"),
    ]
    assert [p.name for p in target.parent.iterdir()] == ["actions.csv"]  # no temporary file left


def test_typed_text_is_shown_inert_in_tables_and_guarded_in_csv(capsys, store_path):
    add(capsys, store_path, "--text", '=HYPERLINK("http://evil")\x1b[31m red', "--owner", "@boss")
    _, table, _ = run(capsys, "actions", "list", "--store", str(store_path))
    assert "\x1b" not in table and "\\x1b[31m red" in table
    _, out, _ = run(capsys, "actions", "list", "--format", "csv", "--store", str(store_path))
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["text"] == '\'=HYPERLINK("http://evil")\\x1b[31m red' and row["owner"] == "'@boss"
    _, out, _ = run(capsys, "actions", "list", "--format", "json", "--store", str(store_path))
    assert (
        "\x1b" not in out and json.loads(out)[0]["text"] == '=HYPERLINK("http://evil")\x1b[31m red'
    )
    with sqlite3.connect(store_path) as db:  # stored exactly as typed
        assert (
            db.execute("SELECT text FROM actions").fetchone()[0]
            == '=HYPERLINK("http://evil")\x1b[31m red'
        )
    db.close()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--area", "Lambeht", "--month", "2026-07", "--finding", ROBBERY, "--text", "x"],
            "--area: unknown area 'Lambeht'",
        ),
        (
            ["--area", "Lambeth", "--month", "July", "--finding", ROBBERY, "--text", "x"],
            "--month: expected YYYY-MM; got 'July'",
        ),
        (
            [
                "--area",
                "Lambeth",
                "--month",
                "2026-07",
                "--finding",
                ROBBERY,
                "--text",
                "x",
                "--due",
                "next week",
            ],
            "--due: expected",
        ),
        (
            ["--area", "Lambeth", "--month", "2026-07", "--finding", ROBBERY, "--text", " "],
            "action text: expected some text",
        ),
    ],
)
def test_a_bad_action_is_refused_in_one_line_with_exit_code_2(capsys, store_path, argv, message):
    code, out, err = run(capsys, "actions", "add", "--store", str(store_path), *argv)
    assert code == 2 and out == ""
    assert err.startswith("crimefighters: error: ") and message in err and err.count("\n") == 1


def test_closing_a_missing_or_closed_action_says_which(capsys, store_path):
    add(capsys, store_path, "--text", "Patrols")
    assert (
        run(capsys, "actions", "done", "1", "--month", "2026-08", "--store", str(store_path))[0]
        == 0
    )
    code, _, err = run(capsys, "actions", "done", "1", "--store", str(store_path))
    assert code == 2 and "action 1 is already done (at the August 2026 meeting" in err
    code, _, err = run(capsys, "actions", "done", "7", "--store", str(store_path))
    assert code == 2 and f"no action 7 in {store_path}" in err


def test_listing_a_store_that_does_not_exist_creates_nothing(capsys, tmp_path):
    missing = tmp_path / "typo.sqlite3"
    code, _, err = run(capsys, "actions", "list", "--store", str(missing))
    assert (
        code == 2
        and err
        == f"crimefighters: error: {missing}: no meeting store here (--store); nothing has been recorded yet\n"
    )
    assert not missing.exists()


def test_a_damaged_store_is_one_line_and_exit_code_2_at_the_cli(capsys, store_path):
    add(capsys, store_path, "--text", "Patrols")
    store_path.write_bytes(store_path.read_bytes()[:2000])
    before = store_path.read_bytes()
    for argv in (["actions", "list"], ["actions", "done", "1"], ["annotate", "list"]):
        code, out, err = run(capsys, *argv, "--store", str(store_path))
        assert (
            code == 2
            and out == ""
            and err.count("\n") == 1
            and "the meeting store is damaged" in err
        )
    assert store_path.read_bytes() == before


def test_a_newer_store_is_one_line_and_exit_code_2_at_the_cli(capsys, store_path):
    add(capsys, store_path, "--text", "Patrols")
    with sqlite3.connect(store_path) as db:
        db.execute(
            "INSERT INTO schema_migrations VALUES (7, 'future', '2031-01-01T00:00:00.0Z', 'x')"
        )
    db.close()
    code, _, err = add(capsys, store_path, "--text", "More")
    assert code == 2 and "schema version 7, newer than this crimefighters understands (1)" in err


def test_an_analyst_annotates_a_month_and_leaves_it_out_of_the_limits(capsys, store_path):
    code, out, _ = run(
        capsys, "annotate", "add", "--store", str(store_path), "--area", "Lambeth", "--measure", "recorded_crime",
        "--level", "minor", "--category", "robbery of personal property", "--month", "2026-08",
        "--text", "Notting Hill Carnival", "--exclude-from-limits",
    )  # fmt: skip
    assert code == 0
    assert out == (
        "Annotation 1 on Lambeth · recorded_crime · minor · Robbery of Personal Property, August 2026; "
        "left out of the SPC limits\n"
    )
    series = Series("Lambeth", "recorded_crime", "minor", "Robbery of Personal Property")
    with open_store(store_path) as store:
        from datetime import date

        assert store.excluded_months(series) == {date(2026, 8, 1)}

    code, out, _ = run(
        capsys,
        "annotate",
        "list",
        "--area",
        "Lambeth",
        "--format",
        "csv",
        "--store",
        str(store_path),
    )
    row = next(csv.DictReader(io.StringIO(out)))
    assert (row["category"], row["month"], row["exclude_from_limits"]) == (
        "Robbery of Personal Property",
        "2026-08",
        "True",
    )

    code, out, _ = run(capsys, "annotate", "remove", "1", "--store", str(store_path))
    assert code == 0 and out.startswith("Removed annotation 1")
    code, out, err = run(capsys, "annotate", "list", "--store", str(store_path))
    assert (code, out, err) == (0, "", "No annotations match.\n")


def test_a_misspelt_series_is_refused_with_what_the_data_has(capsys, store_path):
    code, _, err = run(
        capsys, "annotate", "add", "--store", str(store_path), "--area", "Lambeth", "--measure", "recorded_crime",
        "--level", "minor", "--category", "robbery", "--month", "2026-08", "--text", "Carnival",
    )  # fmt: skip
    assert code == 2
    assert err == (
        "crimefighters: error: --category: no series 'robbery' for Lambeth recorded_crime at level minor in "
        "2026-08; did you mean 'Robbery of Business Property' or 'Robbery of Personal Property'?\n"
    )
    assert not store_path.exists()


def test_an_analyst_records_the_meeting_and_a_gold_tasking_that_the_next_meeting_sees(capsys, store_path):
    store = str(store_path)
    code, out, _ = run(capsys, "meeting", "record", "--store", store, "--area", "lambeth", "--month", "2026-07",
                       "--held-on", "2026-08-12", "--chair", "Ch Supt Ames")  # fmt: skip
    assert code == 0 and "Meeting of Lambeth on the July 2026 data, held 12 August 2026" in out
    code, out, _ = run(capsys, "meeting", "gold", "--store", store, "--area", "Lambeth", "--month", "2026-07",
                       "--finding", ROBBERY, "--group", "Robbery Gold", "--lead", "Supt Dale")  # fmt: skip
    assert code == 0 and "to Robbery Gold (lead Supt Dale)" in out
    code, out, _ = run(capsys, "meeting", "list", "--store", store, "--area", "Lambeth", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["kind"], r["month"]) for r in rows] == [("meeting", "2026-07"), ("gold_tasking", "2026-07")]
    assert rows[1]["group"] == "Robbery Gold" and rows[1]["finding_id"] == ROBBERY
    with open_store(store_path, create=False) as db:
        since = db.since_last_meeting("Lambeth", "2026-08")
    assert since.previous is not None and since.previous.chair == "Ch Supt Ames"
    assert [g.group for g in since.gold_taskings] == ["Robbery Gold"]


def test_a_meeting_for_an_unknown_area_or_month_is_refused_in_one_line(capsys, store_path):
    code, _, err = run(capsys, "meeting", "record", "--store", str(store_path), "--area", "Gotham", "--month", "2026-07")
    assert code == 2 and err.startswith("crimefighters: error: --area: unknown area 'Gotham'") and err.count("\n") == 1
    code, _, err = run(capsys, "meeting", "gold", "--store", str(store_path), "--area", "Lambeth", "--month", "2026-13",
                       "--finding", ROBBERY, "--group", "Gold")  # fmt: skip
    assert code == 2 and err == "crimefighters: error: --month: expected YYYY-MM; got '2026-13'\n"
