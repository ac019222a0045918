"""A separate process writing to a meeting store, for the concurrency and kill tests.

python tests/meeting_worker.py STORE add LABEL COUNT
    prints "ready" once the store is open, waits for a line on stdin, then adds COUNT
    actions whose text is "LABEL i" and prints "done".
python tests/meeting_worker.py STORE loop
    writes forever (actions, closures, annotations, baseline replacements, Gold Group
    taskings), printing each iteration's number after its edits are committed.
"""

from __future__ import annotations

import sys

from crimefighters.meeting import Series, open_store

FINDING = "Lambeth|recorded_crime|robbery|up"
SERIES = Series("Lambeth", "recorded_crime", "minor", "Robbery of Personal Property")


def add(store_path: str, label: str, count: int) -> None:
    with open_store(store_path, user=label) as store:
        print("ready", flush=True)
        sys.stdin.readline()
        for i in range(count):
            store.add_action(FINDING, "Lambeth", "2026-09", f"{label} {i}", owner=label)
    print("done", flush=True)


def loop(store_path: str) -> None:
    with open_store(store_path, user="looper") as store:
        i = 0
        while True:
            action = store.add_action(FINDING, "Lambeth", "2026-09", f"loop {i}", owner="looper")
            if i % 3 == 0:
                store.close_action(action.id, "done", f"closed in iteration {i}", month="2026-10")
            if i % 5 == 0:
                store.set_baseline(
                    "recorded_crime", "2024-01", f"2025-{i % 12 + 1:02d}", area="Lambeth"
                )
            if i % 7 == 0:
                store.annotate(SERIES, "2026-08", f"annotation {i}", exclude_from_limits=i % 2 == 0)
            if i % 11 == 0:
                store.task_gold_group(
                    FINDING,
                    "Lambeth",
                    "2026-09",
                    "Robbery Gold",
                    lead="Supt B",
                    action_id=action.id,
                )
            print(i, flush=True)
            i += 1


if __name__ == "__main__":
    path, mode, *rest = sys.argv[1:]
    if mode == "add":
        add(path, rest[0], int(rest[1]))
    else:
        loop(path)
