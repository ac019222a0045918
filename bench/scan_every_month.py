"""Scan every month of every real MPS borough file format and summarise what it finds.

    python bench/scan_every_month.py [--real ../shared/data/real]

Not a test: it is how the plausibility figures in docs/benchmarks.md were produced. For each
format it loads one representative file, scans every month (the first months have short
histories: trial SPC limits, no year-on-year), and reports exceptions per month by method and
assessment (median and range over the months with a full year of history).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from crimefighters.config import load_config  # noqa: E402
from crimefighters.data import load_dataset  # noqa: E402
from crimefighters.scan import run_scan  # noqa: E402

FILES = {
    "old (Borough, Major Category, Minor Category)": "old_format/MPS_Borough_Level_Crime_Historic__200801-201812__Tiana125.csv",
    "title case (LookUp_BoroughName)": "historical/MPS_Borough_Level_Crime_Historical__201004-202201__jn607.csv",
    "capitals (BoroughName)": "historical/MPS_Borough_Level_Crime_Historical__201004-202302__andyxuegit.csv",
    "2026 (Group, SubGroup, BOCU)": "recent_24m/MPS_Borough_Level_Crime_24m__202407-202606__mithunksms__BOCU_format.csv",
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--real", type=Path, default=REPO.parent / "shared" / "data" / "real")
    args = parser.parse_args()
    config = load_config().config
    for label, path in FILES.items():
        dataset = load_dataset([args.real / "mps_borough_crime" / path], config)
        months = dataset.months()
        counts = []
        start = time.perf_counter()
        for index, month in enumerate(months):
            result = run_scan(dataset.observations, config, month)
            if index >= 24:  # a full year of history behind the month
                summary = result.exceptions.group_by("method", "assessment").len()
                counts.append({(r["method"], r["assessment"]): r["len"] for r in summary.iter_rows(named=True)} | {"total": result.exceptions.height})
        elapsed = time.perf_counter() - start
        print(f"\n{label}: {path.split('/')[-1]}")
        print(f"  {len(months)} months scanned ({months[0]:%Y-%m}..{months[-1]:%Y-%m}) in {elapsed:.1f} s, no errors")
        if not counts:
            print("  (no month with a full year of history)")
            continue
        keys = sorted({k for c in counts for k in c if k != "total"})
        totals = [c["total"] for c in counts]
        print(f"  exceptions per month with a year of history ({len(counts)} months): median {statistics.median(totals):.0f}, range {min(totals)}-{max(totals)}")
        for key in keys:
            values = [c.get(key, 0) for c in counts]
            print(f"    {key[0]:<9} {key[1]:<12} median {statistics.median(values):>5.0f}  range {min(values)}-{max(values)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
