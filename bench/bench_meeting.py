"""Meeting memory: the store after simulated years of meetings, and the time to open a borough.

    python bench/bench_meeting.py [--years 1] [--runs 9] [--store PATH]

Simulates every borough's monthly CrimeFighters through the public API, one transaction per
edit as the TUI and CLI make them (so each edit pays its fsync). Per borough and meeting:

- the meeting itself (date held, chair);
- 5 actions on findings (text ~120 characters, an owner); 80% due at the next meeting, the rest
  in two or three months, 30% with a calendar date;
- every action due at the meeting is closed there: 70% done, 10% dropped (with an outcome note
  of ~80 characters), 20% carried over and closed at the following meeting (80% done);
- 3 notes on findings (~160 characters);
- 2 annotations on series (~40 characters), a quarter of them excluded from the SPC limits,
  one in twenty later removed;
- a Gold Group tasking at every third meeting; an SPC baseline set (replacing the last) every
  third meeting.

Then "opening a borough" is what the TUI will do on a borough's first screen: open the store
(header check, quick_check, WAL, migrations check), since_last_meeting, actions_for and
annotations_for the borough, close. Median of --runs, each with a new connection.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from crimefighters.config import load_config
from crimefighters.meeting import Series, open_store

WORDS = ["robbery", "patrols", "Brixton", "station", "knife", "arch", "dispersal", "order", "estate", "leaflets", "burglary", "hotspot", "CCTV", "review", "schools", "officers", "licensing", "premises", "night-time", "economy", "victims", "repeat", "offenders", "IOM", "cohort", "warrants", "test", "purchase", "retailers", "shoplifting", "partnership", "council", "lighting", "youth"]
MEASURES = ("recorded_crime", "asb_incidents", "positive_outcomes", "response_i_compliance")
CATEGORIES = (
    "Robbery of Personal Property",
    "Res Burglary of a Home",
    "Shoplifting",
    "Violence with Injury",
)


def sentence(rng: random.Random, characters: int) -> str:
    words: list[str] = []
    while len(" ".join(words)) < characters:
        words.append(rng.choice(WORDS))
    return " ".join(words).capitalize()


def month_add(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def simulate(
    path: Path, boroughs: list[str], months: list[date], seed: int = 2026
) -> dict[str, int]:
    rng = random.Random(seed)
    counts = dict.fromkeys(
        (
            "meetings",
            "actions",
            "closed",
            "notes",
            "annotations",
            "removed",
            "taskings",
            "baselines",
        ),
        0,
    )
    with open_store(path, user="bench") as store:
        for i, month in enumerate(months):
            for borough in boroughs:
                held = month_add(month, 1) + timedelta(days=rng.randint(7, 20))
                store.record_meeting(
                    borough, month, held, chair=f"Ch Supt {rng.choice(WORDS).title()}"
                )
                counts["meetings"] += 1
                for action in store.actions_for(borough, status="open"):
                    if action.due_month > month:
                        continue
                    roll = rng.random()
                    carried = action.due_month == month and roll >= 0.8
                    if carried:
                        continue
                    status = (
                        "done" if roll < (0.8 if action.due_month < month else 0.7) else "dropped"
                    )
                    store.close_action(action.id, status, sentence(rng, 80), month=month)
                    counts["closed"] += 1
                for _ in range(5):
                    measure, category = rng.choice(MEASURES), rng.choice(CATEGORIES)
                    finding = f"{borough}|{measure}|{category.lower()}|{rng.choice(('up', 'down'))}"
                    later = rng.random() >= 0.8
                    due = month_add(month, rng.choice((2, 3)) if later else 1)
                    due_date = (
                        due + timedelta(days=rng.randint(0, 27)) if rng.random() < 0.3 else None
                    )
                    action = store.add_action(
                        finding, borough, month, sentence(rng, 120), owner=f"Insp {rng.choice(WORDS).title()}",
                        due_month=due, due_date=due_date,
                    )  # fmt: skip
                    counts["actions"] += 1
                    if rng.random() < 0.6:
                        store.add_note(finding, borough, month, sentence(rng, 160))
                        counts["notes"] += 1
                if i % 3 == 0:
                    store.task_gold_group(
                        finding,
                        borough,
                        month,
                        f"{category} Gold",
                        lead="Supt Dale",
                        action_id=action.id,
                    )
                    counts["taskings"] += 1
                    store.set_baseline(
                        "recorded_crime", month_add(month, -24), month_add(month, -1), area=borough
                    )
                    counts["baselines"] += 1
                for _ in range(2):
                    series = Series(borough, "recorded_crime", "minor", rng.choice(CATEGORIES))
                    note = store.annotate(
                        series, month, sentence(rng, 40), exclude_from_limits=rng.random() < 0.25
                    )
                    counts["annotations"] += 1
                    if rng.random() < 0.05:
                        store.remove_annotation(note.id)
                        counts["removed"] += 1
    return counts


def open_borough(path: Path, borough: str, month: date) -> dict[str, float]:
    t0 = time.perf_counter()
    store = open_store(path, create=False)
    t1 = time.perf_counter()
    since = store.since_last_meeting(borough, month)
    t2 = time.perf_counter()
    actions = store.actions_for(borough)
    t3 = time.perf_counter()
    notes = store.annotations_for(borough)
    t4 = time.perf_counter()
    store.close()
    assert since.previous is not None and actions and notes
    return {
        "open": t1 - t0,
        "since": t2 - t1,
        "actions": t3 - t2,
        "annotations": t4 - t3,
        "total": t4 - t0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument(
        "--store",
        metavar="PATH",
        help="keep the simulated store here (default: a temporary folder)",
    )
    args = parser.parse_args()

    boroughs = load_config().config.borough_names()
    first = date(2025, 4, 1)
    months = [month_add(first, i) for i in range(12 * args.years)]
    folder = Path(tempfile.mkdtemp(prefix="bench-meeting-"))
    path = Path(args.store) if args.store else folder / "meetings.sqlite3"
    if path.exists():
        sys.exit(f"{path} exists: give a new path")

    t0 = time.perf_counter()
    counts = simulate(path, boroughs, months)
    elapsed = time.perf_counter() - t0
    edits = (
        counts["meetings"]
        + counts["actions"]
        + counts["closed"]
        + counts["notes"]
        + counts["annotations"]
    )
    edits += counts["removed"] + counts["taskings"] + counts["baselines"]
    size = path.stat().st_size
    print(
        f"{len(boroughs)} boroughs x {len(months)} meetings: "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items())
    )
    print(f"store: {size / 1024:,.0f} KiB ({size:,} bytes) at {path}")
    print(
        f"simulation: {edits:,} edits in {elapsed:.1f} s ({elapsed / edits * 1000:.2f} ms an edit, fsync included)"
    )

    last = months[-1]
    runs = [open_borough(path, "Lambeth", last) for _ in range(args.runs)]
    print(f"open a borough (Lambeth, {last:%Y-%m}), median of {args.runs}:")
    for part in ("open", "since", "actions", "annotations", "total"):
        print(f"  {part:12} {statistics.median(r[part] for r in runs) * 1000:7.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
