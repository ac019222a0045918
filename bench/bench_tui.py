"""TUI timings, medians of 5 fresh processes (run: python bench/bench_tui.py [--data PATH]).

1. Launch to the borough view: a fresh Python process each run (so imports count),
   ``CrimefightersApp(borough=...)`` headless at 120x40 with an empty meeting store, clock
   stopped when the borough's first tab ("Since last meeting") is drawn. The parse cache is
   warm (as on a second launch).
2. Drill-down: on the Findings tab, Enter on the first finding to the SPC chart rendered
   (``SpcChart.drawn``), five presses a process (the first of a session composes the screen;
   later ones re-aim it).
3. Month change with a warm scan cache (each month scanned once before the clock runs), in the
   borough view: the action of ``[`` then of ``]``, five of each a process. Two clocks: to
   the header saying "Scanning <month>…" (progress shown: set by the key's own handler), and
   to the borough title naming the new month with the exceptions table filled and painted.
4. Month change to a month never scanned (scan cache bypassed), three a process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import time
start = time.perf_counter()
import asyncio, json, sys
from pathlib import Path
from crimefighters.tui.app import CrimefightersApp
from crimefighters.tui.screens.borough import BoroughScreen
from crimefighters.tui.screens.drill import DrillScreen
from crimefighters.tui.widgets.spc_chart import SpcChart
from crimefighters.tui.session import rescan
from crimefighters.present import month_name

data = [Path(p) for p in json.loads(sys.argv[1])] or None
borough = sys.argv[2]
store = Path(sys.argv[3])

async def wait_until(check, step=0.002):
    while not check():
        await asyncio.sleep(step)

async def main():
    app = CrimefightersApp(data_paths=data, borough=borough, store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        def borough_ready():
            screen = app.screen
            return isinstance(screen, BoroughScreen) and "meeting" in screen.tables
        await wait_until(borough_ready, 0.005)
        launch = time.perf_counter() - start
        launch_cpu = time.process_time()
        borough_screen = app.screen
        await pilot.press("2")  # the findings
        await pilot.pause()
        drills = []
        drill_cpu = []
        for _ in range(5):
            existing = getattr(app, "_drill_screen", None)
            before = existing.query_one(SpcChart).drawn if existing is not None and existing.is_mounted else 0
            t0, c0 = time.perf_counter(), time.process_time()
            await pilot.press("enter")
            await wait_until(lambda: isinstance(app.screen, DrillScreen) and app.screen.query(SpcChart) and app.screen.query_one(SpcChart).drawn > before)
            drills.append(time.perf_counter() - t0)
            drill_cpu.append(time.process_time() - c0)
            await pilot.press("escape")
            await pilot.pause()
        # month change, warm: every month the loop visits is scanned (and cached) first
        months = app.session.months()
        latest = app.session.scan_month
        previous = months[months.index(latest) - 1]
        for month in (previous, latest):
            rescan(app.session, month)
        shown, done, month_cpu = [], [], []
        title = borough_screen.query_one("#borough-title")
        await pilot.pause()
        for _ in range(5):
            for step, month in ((-1, previous), (1, latest)):
                # the action the [ and ] keys are bound to, called as the key handler does
                t0, c0 = time.perf_counter(), time.process_time()
                app.action_step_month(step)
                assert "Scanning" in str(borough_screen.sub_title)
                shown.append(time.perf_counter() - t0)
                await wait_until(lambda: app.session.scan_month == month and month_name(month) in str(title.render()))
                await pilot.pause()  # painted
                done.append(time.perf_counter() - t0)
                month_cpu.append(time.process_time() - c0)
        # a month never scanned: the scan runs (its cache bypassed), progress shows meanwhile
        import crimefighters.tui.session as session_module
        cached_scan = session_module.scan_dataset
        session_module.scan_dataset = lambda *a, **k: cached_scan(*a, **k, use_cache=False)
        cold = []
        for month in months[-4:-1]:
            t0 = time.perf_counter()
            app.change_month(month)
            await wait_until(lambda: app.session.scan_month == month and month_name(month) in str(title.render()), 0.005)
            await pilot.pause()
            cold.append(time.perf_counter() - t0)
        session_module.scan_dataset = cached_scan
        print(json.dumps({"launch": launch, "launch_cpu": launch_cpu, "drill": drills, "drill_cpu": drill_cpu, "month_shown": shown, "month_done": done, "month_cpu": month_cpu, "month_cold": cold}))

asyncio.run(main())
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", action="append", default=[], help="data path (default: bundled sample)"
    )
    parser.add_argument("--borough", default="Lambeth")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[float]] = {
        "launch": [],
        "launch_cpu": [],
        "drill": [],
        "drill_cpu": [],
        "month_shown": [],
        "month_done": [],
        "month_cpu": [],
        "month_cold": [],
    }
    store = Path(tempfile.mkdtemp()) / "meetings.sqlite3"  # never created: nothing is edited
    command = [sys.executable, "-c", CHILD, json.dumps(args.data), args.borough, str(store)]
    subprocess.run(command, capture_output=True, check=True)  # warm caches
    for _ in range(args.runs):
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results["launch"].append(result["launch"])
        results["launch_cpu"].append(result["launch_cpu"])
        for key in ("drill", "drill_cpu", "month_shown", "month_done", "month_cpu", "month_cold"):
            results[key].extend(result[key])
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the end")
    print("CPU: this process's CPU time over the same interval (less sensitive to other load)")
    print(
        f"launch -> {args.borough} borough view shown: median {med['launch']:.2f} s wall, "
        f"{med['launch_cpu']:.2f} s CPU (runs: {', '.join(f'{x:.2f}' for x in results['launch'])})"
    )
    print(
        f"drill-down key -> chart drawn: median {med['drill'] * 1000:.0f} ms wall, "
        f"{med['drill_cpu'] * 1000:.0f} ms CPU ({len(results['drill'])} presses)"
    )
    print(
        f"month change (warm) key -> 'Scanning' in the header: median {med['month_shown'] * 1000:.2f} ms; "
        f"key -> new month shown: median {med['month_done'] * 1000:.0f} ms wall "
        f"(max {max(results['month_done']) * 1000:.0f} ms), {med['month_cpu'] * 1000:.0f} ms CPU "
        f"({len(results['month_done'])} changes)"
    )
    print(
        f"month change, month never scanned (the scan runs): median {med['month_cold']:.2f} s "
        f"({len(results['month_cold'])} changes; progress shown at once as above)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
