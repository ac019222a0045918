"""Check that a change to the scan's machinery leaves its results exactly as they were.

    python bench/scan_equivalence.py save DIR      # before the change: every frame to DIR
    python bench/scan_equivalence.py compare DIR   # after it: the same frames, compared
    python bench/scan_equivalence.py compare DIR --part-series 300   # scanned in small parts
    python bench/scan_equivalence.py compare DIR --only sample,historical_bh

Cases: the largest real borough file (historical jn607, to 2022-01) at its last month and at
a middle month; the JDevs release at 2025-12; the synthetic sample at its last month, with
and without meeting-store SPC adjustments (a left-out month and a baseline); and the largest
file enlarged three times (``bench_scan.enlarge``), so a scan processed in parts is checked on
many series; and the largest file with the other two family controls (``bh``, ``none``). Every frame of each ``ScanResult`` is compared after sorting on all its columns
(row order after joins is not promised): every text, flag and count exactly, floats to 1e-7
relative (sums of non-integer series, rates and durations, were rounded in their last digits
by running totals carried across every series before them: 2.7e-8 relative on the sample).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from crimefighters.config import load_config  # noqa: E402
from crimefighters.data import load_dataset  # noqa: E402
from crimefighters.scan import run_scan  # noqa: E402
from crimefighters.scan.adjustments import SPCInputs  # noqa: E402
from crimefighters.scan.cached import FRAMES  # noqa: E402

REAL = REPO.parent / "shared" / "data" / "real" / "mps_borough_crime"
HISTORICAL = REAL / "historical" / "MPS_Borough_Level_Crime_Historical__201004-202201__jn607.csv"
RECENT = REAL / "recent_24m" / "MPS_Borough_Level_Crime_24m__202401-202512__JDevs.csv"


def adjustments() -> SPCInputs:
    series = {"area": pl.String, "measure": pl.String, "level": pl.String, "category": pl.String}
    excluded = pl.DataFrame(
        [("Lambeth", "recorded_crime", "minor", "Res Burglary of a Home", date(2026, 5, 1))],
        schema={**series, "month": pl.Date},
        orient="row",
    )
    baselines = pl.DataFrame(
        [
            ("Southwark", "recorded_crime", None, None, date(2025, 4, 1), date(2026, 3, 1), 1),
            (None, "response_i_compliance", None, None, date(2025, 1, 1), date(2025, 12, 1), 0),
        ],
        schema={**series, "start": pl.Date, "end": pl.Date, "specificity": pl.Int32},
        orient="row",
    )
    return SPCInputs(excluded=excluded, baselines=baselines, key="equivalence")


def cases():
    from bench_scan import enlarge

    config = load_config().config
    historical = load_dataset([HISTORICAL], config)
    last = historical.latest_month()
    yield "historical_last", lambda: run_scan(historical.observations, config, last)
    yield "historical_middle", lambda: run_scan(historical.observations, config, date(2019, 6, 1))
    recent = load_dataset([RECENT], config)
    yield "recent_2025_12", lambda: run_scan(recent.observations, config, date(2025, 12, 1))
    sample = load_dataset([REPO / "sample_data"], config)
    yield "sample", lambda: run_scan(sample.observations, config)
    yield "sample_adjusted", lambda: run_scan(sample.observations, config, spc_inputs=adjustments())
    yield (
        "sample_lambeth",
        lambda: run_scan(
            sample.observations,
            config,
            boroughs=["Lambeth"],
            measures=["recorded_crime", "positive_outcome_rate"],
        ),
    )
    enlarged = enlarge(historical.observations, 3)
    yield "historical_x3", lambda: run_scan(enlarged, config, last)
    for control in ("bh", "none"):
        other = with_control(config, control)
        yield (
            f"historical_{control}",
            lambda other=other: run_scan(historical.observations, other, last),
        )


def with_control(config, control: str):
    """``config`` with ``scan.findings.control`` set to ``control``."""
    findings = config.scan.findings.model_copy(update={"control": control})
    return config.model_copy(update={"scan": config.scan.model_copy(update={"findings": findings})})


def frames(result) -> dict[str, pl.DataFrame]:
    out = {name: getattr(result, name) for name in FRAMES}
    out["notes"] = pl.DataFrame({"note": result.notes}, schema={"note": pl.String})
    return out


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows sorted by every text, date, count and flag column, then by the floats (so a float
    a rounding apart does not reorder rows that the keys already tell apart)."""
    kinds = [
        (c, t)
        for c, t in frame.schema.items()
        if not isinstance(t, (pl.List, pl.Struct, pl.Object))
    ]
    keys = [c for c, t in kinds if not t.is_float()] + [c for c, t in kinds if t.is_float()]
    return frame.sort(keys, nulls_last=True) if keys and frame.height else frame


def main() -> int:
    action, folder = sys.argv[1], Path(sys.argv[2])
    if "--part-series" in sys.argv:
        import crimefighters.scan.runner as runner

        runner.PART_SERIES = int(sys.argv[sys.argv.index("--part-series") + 1])
    failures = 0
    only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
    for name, scan in cases():
        if only and name not in only:
            continue
        result = frames(scan())
        for frame_name, frame in result.items():
            path = folder / name / f"{frame_name}.parquet"
            if action == "save":
                path.parent.mkdir(parents=True, exist_ok=True)
                frame.write_parquet(path)
                continue
            before = pl.read_parquet(path)
            if frame_name == "points":
                # the points keep fewer columns, their texts as Categorical: a frame saved
                # before that is compared on the columns kept, its texts as the same strings
                frame, before = (
                    f.select(c for c in frame.columns if c in f.columns).with_columns(
                        pl.col(pl.Categorical).cast(pl.String)
                    )
                    for f in (frame, before)
                )
            try:
                assert_frame_equal(
                    canonical(frame),
                    canonical(before),
                    check_exact=False,
                    rel_tol=1e-7,
                    abs_tol=1e-9,
                )
            except AssertionError as error:
                failures += 1
                print(f"DIFFERENT {name}/{frame_name}: {str(error).splitlines()[0]}")
        print(
            f"{name}: {'saved' if action == 'save' else 'compared'} ({result['findings'].height} findings)",
            flush=True,
        )
    print("all frames identical" if failures == 0 else f"{failures} frames differ")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
