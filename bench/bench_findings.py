"""False alarms and detection of the default scan, on synthetic data (not a test).

    python bench/bench_findings.py [--seeds 4] [--months 3] [--plants 60] [--extra 0.08]

Data (tests/synthetic.py): 32 boroughs x 31 published categories with the real monthly means
of a 2024-2026 MPS release, each category's seasonal profile, and 8% extra variation (each
month's expected count times exp(N(0, 0.08))); real MPS series vary about 1.8 times as much as
Poisson. A second null adds a slowly wandering level (AR(1), 3% a month, 0.9 persistence).

1. Under no change: findings per borough per month, and the share of boroughs with any, over
   ``--seeds`` data sets x ``--months`` scan months each, by method of the headline test.
2. Planted changes (on series with a monthly mean of 35 or more, ``--plants`` per data set):
   a one-month spike, a three-month step (both +50%, +75%, +100% or -50%), and a 12-month
   linear trend to +60%, each complete at the scan month. Found = a finding of that borough,
   moving the planted way, covers the planted category; "exactly one" = one finding covers it.
   Reported overall and by mean (35-70, 70-150, 150+), kind and size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

from tests.synthetic import END, expected_means, generate, month_add, random_plants  # noqa: E402

from crimefighters.config import load_config  # noqa: E402
from crimefighters.scan import run_scan  # noqa: E402


def covered(result, borough: str, category: str, direction: str) -> int:
    """How many findings of the borough, moving ``direction``, include ``category``."""
    found = result.findings.filter(
        (pl.col("borough") == borough) & (pl.col("direction") == direction)
    )
    tests = result.tests.filter(
        (pl.col("borough") == borough) & pl.col("finding_id").is_in(found["finding_id"].implode())
    )
    hits = tests.filter((pl.col("category") == category) & (pl.col("level") == "minor"))
    return hits["finding_id"].n_unique()


def null_run(config, seeds: int, months: int, drift: float, extra: float) -> None:
    per_borough, any_share, methods = [], [], Counter()
    elapsed = []
    for seed in range(seeds):
        obs = generate(1000 + seed, extra=extra, drift=drift)
        for back in range(months):
            month = month_add(END, -back)
            start = time.perf_counter()
            result = run_scan(obs, config, month)
            elapsed.append(time.perf_counter() - start)
            boroughs = result.findings.filter(pl.col("area_type") == "borough")
            per_borough.append(boroughs.height / 32)
            any_share.append(boroughs["borough"].n_unique() / 32)
            methods.update(boroughs["method"].to_list())
    label = f"{extra:.0%} extra variation" + (f", wandering level {drift:.0%}" if drift else "")
    print(
        f"  {label}: {statistics.mean(per_borough):.2f} findings per borough per month "
        f"(months: {', '.join(f'{x:.2f}' for x in per_borough)}); boroughs with any: {statistics.mean(any_share):.0%}; "
        f"headline methods {dict(methods)}; scan {statistics.median(elapsed):.2f} s"
    )


def detection_run(config, seeds: int, plants_per_seed: int, extra: float) -> None:
    means = expected_means()
    found = defaultdict(list)
    exactly_one = []
    for seed in range(seeds):
        plants = random_plants(2000 + seed, plants_per_seed)
        obs = generate(3000 + seed, extra=extra, plants=plants)
        result = run_scan(obs, config, END)
        for plant in plants:
            n = covered(result, plant.borough, plant.category, plant.direction)
            mean = means[(plant.borough, plant.category)]
            band = "35-70" if mean < 70 else "70-150" if mean < 150 else "150+"
            hit = n >= 1
            found[("all",)].append(hit)
            found[("kind", plant.kind)].append(hit)
            found[("band", band)].append(hit)
            found[("kind x size", plant.kind, f"{plant.size:+.0%}")].append(hit)
            found[("kind x band", plant.kind, band)].append(hit)
            if hit:
                exactly_one.append(n == 1)
    for key in sorted(found, key=lambda k: (len(k), k)):
        hits = found[key]
        print(f"  {' / '.join(key):40} {sum(hits) / len(hits):6.1%}  ({sum(hits)}/{len(hits)})")
    print(f"  found as exactly one finding: {sum(exactly_one)}/{len(exactly_one)}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--plants", type=int, default=60)
    parser.add_argument("--extra", type=float, default=0.08)
    parser.add_argument("--skip-drift", action="store_true")
    args = parser.parse_args()
    config = load_config().config
    print(
        f"Findings benchmark: scan month {END:%Y-%m} and the {args.months - 1} before, {args.seeds} data sets"
    )
    print("\n1. No change anywhere")
    null_run(config, args.seeds, args.months, 0.0, args.extra)
    if not args.skip_drift:
        null_run(config, args.seeds, args.months, 0.03, args.extra)
    print(f"\n2. Planted changes ({args.plants} per data set, series with a mean of 35 or more)")
    detection_run(config, args.seeds, args.plants, args.extra)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
