"""TUI timings, medians of 5 (run: python bench/bench_tui.py [--data PATH]).

1. Launch to the borough view showing its exceptions: a fresh Python process each run (so
   imports count), ``CrimefightersApp(borough=...)`` headless at 120x40, clock stopped when the
   borough's exceptions table has its rows. The parse cache is warm (as on a second launch).
2. Drill-down: Enter on the first exception to the SPC chart rendered (``SpcChart.drawn``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import time
start = time.perf_counter()
import asyncio, json, sys
from pathlib import Path
from crimefighters.tui.app import CrimefightersApp
from crimefighters.tui.screens.borough import BoroughScreen
from crimefighters.tui.screens.drill import DrillScreen
from crimefighters.tui.widgets.spc_chart import SpcChart

data = [Path(p) for p in json.loads(sys.argv[1])] or None
borough = sys.argv[2]

async def main():
    app = CrimefightersApp(data_paths=data, borough=borough)
    async with app.run_test(size=(120, 40)) as pilot:
        while True:
            screen = app.screen
            if isinstance(screen, BoroughScreen) and screen.query("#exceptions-table") and screen.query_one("#exceptions-table").row_count:
                break
            await asyncio.sleep(0.005)
        launch = time.perf_counter() - start
        drills = []
        for _ in range(5):
            # the drill-down screen is reused: wait for a render after this key press
            existing = getattr(app, "_drill_screen", None)
            before = existing.query_one(SpcChart).drawn if existing is not None and existing.is_mounted else 0
            t0 = time.perf_counter()
            await pilot.press("enter")
            while not (isinstance(app.screen, DrillScreen) and app.screen.query(SpcChart) and app.screen.query_one(SpcChart).drawn > before):
                await asyncio.sleep(0.002)
            drills.append(time.perf_counter() - t0)
            await pilot.press("escape")
            await pilot.pause()
        print(json.dumps({"launch": launch, "drill": drills}))

asyncio.run(main())
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", action="append", default=[], help="data path (default: bundled sample)"
    )
    parser.add_argument("--borough", default="Lambeth")
    args = parser.parse_args()
    launches, drills = [], []
    subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(args.data), args.borough],
        capture_output=True,
        check=True,
    )  # warm cache
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(args.data), args.borough],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        launches.append(result["launch"])
        drills.extend(result["drill"])
    print(
        f"launch -> {args.borough} exceptions shown: median {statistics.median(launches):.2f} s (runs: {', '.join(f'{x:.2f}' for x in launches)})"
    )
    print(
        f"drill-down key -> chart drawn: median {statistics.median(drills) * 1000:.0f} ms ({len(drills)} presses)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
