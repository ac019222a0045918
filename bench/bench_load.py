"""Benchmark loading at scale: time (median of 3) and peak memory, a fresh process per run.

    python bench/bench_load.py [--runs 3] [--cases 1x 20x ...] [--inputs DIR] [--real DIR]

Cases (synthetic inputs are generated once, in the published formats, under --inputs):
- 1x:   the largest real MPS borough file (the 2010-04..2022-01 historical release, 239k
        observations)
- 20x, 100x: that file with every category copied 20 or 100 times under new names, counts
        varied (4.8M and 23.9M observations)
- wards: MPS ward level, 680 wards x 60 categories x 150 months (6.1M ward rows)
- met-1y: data.police.uk street records for the Met, one year (12 monthly files, ~1.1M rows)
- national-1y: street records of 43 forces, one year (516 files, ~6M rows); only London
        LSOAs are kept, as the product does
- national-5y: the same for five years (2,580 files, ~30M rows)

Each run is a new Python process timing ``load_dataset`` (wall clock, and the CPU time it
used, which other jobs on the machine disturb less) and reading the process's peak resident
memory (``ru_maxrss``) at the end: cold runs with an empty cache (parse, check,
resolve, choose releases, cache the result), then warm runs with the cache the last cold run
left (the dataset read back; no input file is read). ``--scan`` also times a full
``run_scan`` after each cold load. Not a test: run it on a quiet machine and record the
numbers in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

LARGEST = (
    "mps_borough_crime/historical/MPS_Borough_Level_Crime_Historical__201004-202201__jn607.csv"
)
CASES = ("1x", "20x", "100x", "wards", "met-1y", "national-1y", "national-5y")

BOROUGHS = [
    "Barking and Dagenham", "Barnet", "Bexley", "Brent", "Bromley", "Camden", "Croydon",
    "Ealing", "Enfield", "Greenwich", "Hackney", "Hammersmith and Fulham", "Haringey", "Harrow",
    "Havering", "Hillingdon", "Hounslow", "Islington", "Kensington and Chelsea",
    "Kingston upon Thames", "Lambeth", "Lewisham", "Merton", "Newham", "Redbridge",
    "Richmond upon Thames", "Southwark", "Sutton", "Tower Hamlets", "Waltham Forest",
    "Wandsworth", "Westminster",
]  # fmt: skip
CRIME_TYPES = [
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs",
    "Other theft", "Possession of weapons", "Public order", "Robbery", "Shoplifting",
    "Theft from the person", "Vehicle crime", "Violence and sexual offences", "Other crime",
]  # fmt: skip
OUTCOMES = [
    "Investigation complete; no suspect identified", "Unable to prosecute suspect",
    "Awaiting court outcome", "Court result unavailable", "Status update unavailable",
    "Under investigation", "Local resolution", "Offender given a caution",
    "Further investigation is not in the public interest", "Action to be taken by another organisation",
]  # fmt: skip
# 42 other forces: their records fall in their own areas (none of them London boroughs),
# except a few on the edge of London.
FORCES = ["Metropolitan Police Service"] + [f"Force {i:02d} Constabulary" for i in range(1, 43)]
PLACES = [f"Authority {i:03d}" for i in range(300)]
STREET_COLUMNS = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]  # fmt: skip
MET_ROWS_A_MONTH = 90_000  # the Met's all-crime street file: about 90k rows a month
NATIONAL_ROWS_A_MONTH = 500_000  # all 43 forces: about 6M rows a year


# --- synthetic inputs, in the published formats ------------------------------------------------


def enlarge_wide(source: Path, factor: int, target: Path) -> None:
    """``factor`` copies of every row of a wide MPS file, categories renamed, counts varied."""
    frame = pl.read_csv(source, infer_schema=False)
    months = [c for c in frame.columns if c.isdigit()]
    copies = [frame]
    for k in range(1, factor):
        varied = [
            (
                pl.col(m).cast(pl.Int64)
                * (100 + (pl.col(m).cast(pl.Int64) * 7919 + k * 104729) % 21 - 10)
                // 100
            )
            .cast(pl.String)
            .alias(m)
            for m in months
        ]
        copies.append(
            frame.with_columns(
                pl.col("MajorText") + f" #{k}", pl.col("MinorText") + f" #{k}", *varied
            )
        )
    pl.concat(copies).write_csv(target)


def ward_file(target: Path, wards: int = 680, categories: int = 60, months: int = 150) -> None:
    rng = np.random.default_rng(14)
    end = (2026, 6)
    index = end[0] * 12 + end[1] - 1
    labels = [f"{(index - k) // 12}{(index - k) % 12 + 1:02d}" for k in range(months)][::-1]
    ward_borough = [BOROUGHS[w % len(BOROUGHS)] for w in range(wards)]
    rows = pl.DataFrame(
        {
            "MajorText": [f"MAJOR {c // 5:02d}" for c in range(categories)] * wards,
            "MinorText": [f"MINOR CATEGORY {c:02d}" for c in range(categories)] * wards,
            "WardName": [f"Ward {w:03d}" for w in range(wards) for _ in range(categories)],
            "WardCode": [f"E05{w:06d}" for w in range(wards) for _ in range(categories)],
            "LookUp_BoroughName": [
                ward_borough[w] for w in range(wards) for _ in range(categories)
            ],
        }
    )
    counts = rng.poisson(6.0, size=(rows.height, months))
    rows = rows.with_columns(pl.Series(label, counts[:, k]) for k, label in enumerate(labels))
    rows.write_csv(target)


def street_month(target: Path, force: str, month: str, rows: int, seed: int) -> None:
    """One force's street file for one month, in the published columns."""
    rng = np.random.default_rng(seed)
    met = force == FORCES[0]
    ids = rng.integers(0, 2**63, size=(rows, 4), dtype=np.int64).view(np.uint8).reshape(rows, 32)
    ids[:, -1] |= 1  # no trailing NUL byte for the fixed-width view below
    crime_ids = pl.Series(ids.view("S32").ravel()).bin.encode("hex")
    repeated = rng.random(rows) < 0.007  # a crime listed twice in its month, as in real files
    take = np.where(repeated, np.maximum(np.arange(rows) - 1, 0), np.arange(rows))
    crime_ids = crime_ids.gather(take)
    kind = rng.integers(0, len(CRIME_TYPES), rows)
    asb = kind == 0
    if met:
        place = np.array([*BOROUGHS, "City of London", ""], dtype=object)[
            np.where(rng.random(rows) < 0.98, rng.integers(0, 32, rows), rng.integers(32, 34, rows))
        ]
    else:
        # a few records on the edge of London; the rest in the force's own authorities
        edge = rng.random(rows) < 0.002
        place = np.where(
            edge,
            np.array(BOROUGHS, dtype=object)[rng.integers(0, 32, rows)],
            np.array(PLACES, dtype=object)[rng.integers(0, len(PLACES), rows)],
        )
    lsoa = pl.Series(place.astype(str))
    # about 150 LSOAs an authority (England and Wales have about 35,000; London about 4,900)
    number = pl.Series(rng.integers(1, 31, rows))
    letter = pl.Series(np.array(list("ABCDE"))[rng.integers(0, 5, rows)])
    frame = pl.DataFrame(
        {
            "Crime ID": pl.Series(np.where(asb, "", crime_ids.to_numpy())),
            "Month": [month] * rows,
            "Reported by": [force] * rows,
            "Falls within": [force] * rows,
            "Longitude": pl.Series(rng.uniform(-0.5, 0.3, rows)).round(6),
            "Latitude": pl.Series(rng.uniform(51.3, 51.7, rows)).round(6),
            "Location": pl.Series(rng.integers(0, 5000, rows)).cast(pl.String),
            "LSOA code": pl.Series(rng.integers(1_000_000, 1_040_000, rows)).cast(pl.String),
            "lsoa_place": lsoa,
            "number": number,
            "letter": letter,
            "Crime type": pl.Series(np.array(CRIME_TYPES)[kind]),
            "Last outcome category": pl.Series(
                np.where(asb, "", np.array(OUTCOMES)[rng.integers(0, len(OUTCOMES), rows)])
            ),
            "Context": [""] * rows,
        }
    ).with_columns(
        pl.format("On or near Street {}", pl.col("Location")).alias("Location"),
        pl.format("E0{}", pl.col("LSOA code")).alias("LSOA code"),
        pl.when(pl.col("lsoa_place") == "")
        .then(pl.lit(""))
        .otherwise(
            pl.format(
                "{} {}{}",
                pl.col("lsoa_place"),
                pl.col("number").cast(pl.String).str.zfill(3),
                pl.col("letter"),
            )
        )
        .alias("LSOA name"),
    )
    # empty cells as nulls, which Polars writes as nothing (an empty string it would quote)
    frame.select(pl.col(STREET_COLUMNS).cast(pl.String).replace("", None)).write_csv(target)


def street_files(folder: Path, forces: int, months: list[str]) -> None:
    per_force = (NATIONAL_ROWS_A_MONTH - MET_ROWS_A_MONTH) // 42
    seed = 0
    for month in months:
        for force in FORCES[:forces]:
            seed += 1
            rows = MET_ROWS_A_MONTH if force == FORCES[0] else per_force
            slug = force.lower().replace(" ", "-")
            street_month(folder / f"{month}-{slug}-street.csv", force, month, rows, seed)


def month_labels(first_year: int, years: int) -> list[str]:
    return [f"{first_year + y}-{m:02d}" for y in range(years) for m in range(1, 13)]


def prepare(case: str, inputs: Path, real: Path) -> list[Path]:
    """The paths a case loads, generating them the first time."""
    folder = inputs / case
    done = folder / ".complete"
    if case == "1x":
        return [real / LARGEST]
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"   generating {case} in {folder} ...", flush=True)
        if case in ("20x", "100x"):
            enlarge_wide(real / LARGEST, int(case[:-1]), folder / f"mps_borough_{case}.csv")
        elif case == "wards":
            ward_file(folder / "mps_ward_680x60x150.csv")
        elif case == "met-1y":
            street_files(folder, 1, month_labels(2025, 1))
        elif case == "national-1y":
            street_files(folder, 43, month_labels(2025, 1))
        elif case == "national-5y":
            street_files(folder, 43, month_labels(2021, 5))
        done.touch()
    return [folder]


# --- one measured run, in its own process -----------------------------------------------------


def child(paths: list[str], cache: str, scan: bool) -> None:
    os.environ["CRIMEFIGHTERS_CACHE"] = cache
    from crimefighters.config import load_config
    from crimefighters.data import load_dataset

    config = load_config().config
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    dataset = load_dataset([Path(p) for p in paths], config)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    scan_seconds = None
    if scan:
        from crimefighters.scan import run_scan

        start = time.perf_counter()
        run_scan(dataset.observations, config)
        scan_seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "scan_seconds": scan_seconds,
                "peak_bytes": peak,
                "observations": dataset.observations.height,
                "ward_rows": dataset.wards.height,
                "files": len(dataset.report.files),
            }
        )
    )


def run_child(paths: list[Path], cache: str, scan: bool) -> dict:
    command = [sys.executable, __file__, "--cache", cache, "--child", *map(str, paths)]
    done = subprocess.run(
        [*command, "--scan"] if scan else command, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(paths: list[Path], runs: int, scan: bool) -> dict:
    """Cold runs (each with an empty cache), then warm runs (the cache of the last cold run)."""
    cold = []
    with tempfile.TemporaryDirectory(prefix="cf-bench-cache-") as cache:
        for _ in range(runs):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(run_child(paths, cache, scan))
        warm = [run_child(paths, cache, False) for _ in range(runs)]
    median = lambda key, results: statistics.median(r[key] for r in results)  # noqa: E731
    return {
        "seconds": median("seconds", cold),
        "cpu_seconds": median("cpu_seconds", cold),
        "peak_bytes": median("peak_bytes", cold),
        "warm_seconds": median("seconds", warm),
        "warm_peak_bytes": median("peak_bytes", warm),
        "scan_seconds": median("scan_seconds", cold) if scan else None,
        "observations": cold[0]["observations"],
        "ward_rows": cold[0]["ward_rows"],
        "files": cold[0]["files"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument(
        "--inputs", type=Path, default=Path(tempfile.gettempdir()) / "crimefighters-bench-load"
    )
    parser.add_argument("--real", type=Path, default=REPO.parent / "shared" / "data" / "real")
    parser.add_argument(
        "--scan", action="store_true", help="also time a full scan after each cold load"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.cache, args.scan)
        return 0
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"{os.cpu_count()} CPUs"
    )
    scan_header = " scan |" if args.scan else ""
    print(
        f"| input | files | observations | cold load (median of {args.runs}) | vs 1x | "
        f"CPU time | peak memory | warm load | warm peak |{scan_header}"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if args.scan else ""))
    baseline = None
    for case in args.cases:
        paths = prepare(case, args.inputs, args.real)
        result = measure(paths, args.runs, args.scan)
        if case == "1x":
            baseline = result["seconds"]
        ratio = (
            f"{result['seconds'] / baseline:.1f}x" if baseline and case in ("20x", "100x") else ""
        )
        rows = f"{result['observations']:,}"
        if result["ward_rows"]:
            rows += f" (+{result['ward_rows']:,} ward rows)"
        scan = f" {result['scan_seconds']:.2f} s |" if args.scan else ""
        print(
            f"| {case} | {result['files']:,} | {rows} | {result['seconds']:.2f} s | {ratio} | "
            f"{result['cpu_seconds']:.1f} s | "
            f"{result['peak_bytes'] / 1024**3:.2f} GB | {result['warm_seconds']:.2f} s | "
            f"{result['warm_peak_bytes'] / 1024**3:.2f} GB |{scan}",
            flush=True,
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
