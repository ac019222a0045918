"""Benchmark the exception scan (medians of N runs; not a test).

    python bench/bench_scan.py [--runs 5] [--real ../shared/data/real] [--factors 1 2 5 10 20]
                               [--parts 1 2 3]

Measures:
1. the full scan (all boroughs x categories x methods, one month) in-process on the largest
   real MPS borough file, and on synthetic data 2, 5, 10 and 20 times larger (the real file's
   categories copied with noise under new names, so there are that many more series); each
   factor runs in its own process, so its peak memory (max RSS) is its own;
2. `crimefighters scan` end to end on the bundled sample data beside
   `python -c "import polars"`, as separate processes, and the ratio of the two;
3. loading the whole mps_borough_crime folder cold (empty cache) and cached.
"""

from __future__ import annotations

import argparse
import os
import resource
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
    """``factor`` copies of every category, each under its own name with +/-10% noise.

    The copies are chunks of one frame, not rewritten into one (``rechunk=False``): each
    shares the unchanged columns with the original, so the input a scan is handed costs what
    a loader's table would, not twice that while it is being put together."""
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
    return pl.concat(copies, rechunk=False)


def one_factor(factor: int, runs: int, real: Path) -> None:
    """Time the scan of one enlarged input in this process; print one JSON line."""
    import json

    config = load_config().config
    folder = real / "mps_borough_crime"
    largest = max(folder.rglob("*.csv"), key=lambda p: p.stat().st_size)
    dataset = load_dataset([largest], config)
    month = dataset.latest_month()
    obs = enlarge(dataset.observations, factor)
    del dataset
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    run_scan(obs, config, month)  # warm-up (its result is released at once)
    cpu, wall = [], []
    result = None
    for _ in range(runs):
        # the previous run's result is released first, so the peak is one scan's, not two
        result = None
        c0, w0 = time.process_time(), time.perf_counter()
        result = run_scan(obs, config, month)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    series = result.status.filter(pl.col("area_type") == "borough").height
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps({
        "factor": factor, "rows": obs.height, "series": series, "wall": statistics.median(wall),
        "cpu": statistics.median(cpu), "peak_gb": peak, "before_gb": before, "findings": result.findings.height,
        "load": os.getloadavg()[0],
    }))  # fmt: skip


def main() -> int:
    import json

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--real", type=Path, default=REPO.parent / "shared" / "data" / "real")
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 2, 5, 10, 20])
    parser.add_argument("--parts", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one_factor(args.one, args.runs, args.real)
        return 0
    config = load_config().config
    folder = args.real / "mps_borough_crime"
    largest = max(folder.rglob("*.csv"), key=lambda p: p.stat().st_size)
    print(f"largest real borough file: {largest.name} ({largest.stat().st_size:,} bytes)")
    if 1 in args.parts:
        print(f"\n1. full scan of the latest month, in-process, median of {args.runs}")
        print("| input | observation rows | borough series | wall (median) | CPU (median) | CPU / 1x CPU | peak memory | peak before the scan | findings | load average |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        baseline = None
        for factor in args.factors:
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(factor), "--runs", str(args.runs), "--real", str(args.real)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            r = json.loads(out.stdout.strip().splitlines()[-1])
            baseline = baseline or r["cpu"]
            print(
                f"| {factor}x | {r['rows']:,} | {r['series']:,} | {r['wall']:.2f} s | {r['cpu']:.2f} s | "
                f"{r['cpu'] / baseline:.1f}x | {r['peak_gb']:.2f} GB | {r['before_gb']:.2f} GB | {r['findings']:,} | {r['load']:.1f} |",
                flush=True,
            )
    if 2 in args.parts:
        end_to_end(args.runs)
    if 3 in args.parts:
        load_folder(folder, config, args.runs)
    return 0


def end_to_end(runs: int) -> None:
    print(f"\n2. end to end on the sample data, separate processes, median of {runs}")
    cache = Path(tempfile.mkdtemp(prefix="cf-bench-"))
    env = {**os.environ, "CI": "true", "CRIMEFIGHTERS_CACHE": str(cache)}
    command = [sys.executable, "-m", "crimefighters", "scan", "--format", "csv"]

    def cli(clear: tuple[str, ...] = ()):
        for name in clear:
            shutil.rmtree(cache / name, ignore_errors=True)
        subprocess.run(command, env=env, capture_output=True, check=True)

    polars_import = median_time(lambda: subprocess.run([sys.executable, "-c", "import polars"], check=True), runs)
    cold = median_time(lambda: cli(("parsed", "datasets", "scans")), runs)
    scan_cold = median_time(lambda: cli(("scans",)), runs)
    cli()
    warm = median_time(cli, runs)
    shutil.rmtree(cache, ignore_errors=True)
    print(f"   python -c 'import polars'                         {polars_import:6.3f} s")
    print(f"   crimefighters scan, nothing cached                {cold:6.3f} s   {cold / polars_import:4.1f}x")
    print(f"   crimefighters scan, data cached, scan computed    {scan_cold:6.3f} s   {scan_cold / polars_import:4.1f}x")
    print(f"   crimefighters scan, scan cached (re-run)          {warm:6.3f} s   {warm / polars_import:4.1f}x   (target <= 2x)")


def load_folder(folder: Path, config, runs: int) -> None:
    print(f"\n3. loading all of {folder} ({len(list(folder.rglob('*.csv')))} files), median of {runs}")

    def cold():
        with tempfile.TemporaryDirectory() as cache:
            os.environ["CRIMEFIGHTERS_CACHE"] = cache
            load_dataset([folder], config)

    cold_s = median_time(cold, runs)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["CRIMEFIGHTERS_CACHE"] = cache
        load_dataset([folder], config)
        cached_s = median_time(lambda: load_dataset([folder], config), runs)
    print(f"   cold (empty cache)  {cold_s:6.3f} s")
    print(f"   cached              {cached_s:6.3f} s")
    print(f"\n(machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    raise SystemExit(main())
