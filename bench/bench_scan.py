"""Benchmark the exception scan (medians of N runs; not a test).

    python bench/bench_scan.py [--runs 5] [--real ../shared/data/real]

Measures:
1. the full scan (all boroughs x categories x methods, one month) in-process on the largest
   real MPS borough file, and on synthetic data 2, 5, 10 and 20 times larger (the real file's
   categories copied with noise under new names, so there are that many more series);
2. `crimefighters scan` end to end on the bundled sample data beside
   `python -c "import polars"`, as separate processes, and the ratio of the two;
3. loading the whole mps_borough_crime folder cold (empty cache) and cached.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from crimefighters.config import load_config  # noqa: E402
from crimefighters.data import load_dataset  # noqa: E402
from crimefighters.scan import run_scan  # noqa: E402


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def enlarge(observations: pl.DataFrame, factor: int) -> pl.DataFrame:
    """``factor`` copies of every category, each under its own name with +/-10% noise."""
    if factor == 1:
        return observations
    copies = [observations]
    for k in range(1, factor):
        noise = (pl.col("value") * (1 + ((pl.col("value") * 7919 + k * 104729) % 21 - 10) / 100)).round(0)
        copies.append(
            observations.with_columns(
                category=pl.col("category") + f" #{k}",
                category_group=pl.col("category_group") + f" #{k}",
                value=noise,
            )
        )
    return pl.concat(copies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--real", type=Path, default=REPO.parent / "shared" / "data" / "real")
    args = parser.parse_args()
    config = load_config().config
    folder = args.real / "mps_borough_crime"
    largest = max(folder.rglob("*.csv"), key=lambda p: p.stat().st_size)
    print(f"largest real borough file: {largest.name} ({largest.stat().st_size:,} bytes)")
    dataset = load_dataset([largest], config)
    month = dataset.latest_month()
    base_rows = dataset.observations.height

    print(f"\n1. full scan of {month:%Y-%m}, in-process, median of {args.runs}")
    baseline = None
    for factor in (1, 2, 5, 10, 20):
        obs = enlarge(dataset.observations, factor)
        run_scan(obs, config, month)  # warm-up
        seconds = median_time(lambda obs=obs: run_scan(obs, config, month), args.runs)
        result = run_scan(obs, config, month)
        baseline = baseline or seconds
        series = result.status.filter(pl.col("area_type") == "borough").height
        print(
            f"   {factor:>2}x  {obs.height:>10,} rows  {series:>7,} borough series  {seconds:7.3f} s  "
            f"({seconds / baseline:5.1f}x the 1x time)  {result.exceptions.height:,} exceptions"
        )

    print(f"\n2. end to end on the sample data, separate processes, median of {args.runs}")
    cache = Path(tempfile.mkdtemp(prefix="cf-bench-"))
    env = {**os.environ, "CI": "true", "CRIMEFIGHTERS_CACHE": str(cache)}
    command = [sys.executable, "-m", "crimefighters", "scan", "--format", "csv"]

    def cli(clear: tuple[str, ...] = ()):
        for name in clear:
            shutil.rmtree(cache / name, ignore_errors=True)
        subprocess.run(command, env=env, capture_output=True, check=True)

    polars_import = median_time(lambda: subprocess.run([sys.executable, "-c", "import polars"], check=True), args.runs)
    cold = median_time(lambda: cli(("parsed", "datasets", "scans")), args.runs)
    scan_cold = median_time(lambda: cli(("scans",)), args.runs)
    cli()
    warm = median_time(cli, args.runs)
    shutil.rmtree(cache, ignore_errors=True)
    print(f"   python -c 'import polars'                         {polars_import:6.3f} s")
    print(f"   crimefighters scan, nothing cached                {cold:6.3f} s   {cold / polars_import:4.1f}x")
    print(f"   crimefighters scan, data cached, scan computed    {scan_cold:6.3f} s   {scan_cold / polars_import:4.1f}x")
    print(f"   crimefighters scan, scan cached (re-run)          {warm:6.3f} s   {warm / polars_import:4.1f}x   (target <= 3x)")

    print(f"\n3. loading all of {folder} ({len(list(folder.rglob('*.csv')))} files), median of {args.runs}")

    def cold():
        with tempfile.TemporaryDirectory() as cache:
            os.environ["CRIMEFIGHTERS_CACHE"] = cache
            load_dataset([folder], config)

    cold_s = median_time(cold, args.runs)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["CRIMEFIGHTERS_CACHE"] = cache
        load_dataset([folder], config)
        cached_s = median_time(lambda: load_dataset([folder], config), args.runs)
    print(f"   cold (empty cache)  {cold_s:6.3f} s")
    print(f"   cached              {cached_s:6.3f} s")
    print(f"\n(base: {base_rows:,} observations; machine: {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
