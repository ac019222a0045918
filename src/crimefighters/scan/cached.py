"""The scan, memoised on disk.

``run_scan`` is a pure function of (observations, configuration, month), so its result is
stored as Parquet keyed by the dataset's key, the whole configuration, the month, the scan
code and the meeting store's SPC inputs (``SPCInputs.key``). Opening the TUI, re-running ``crimefighters scan`` with other filters, or exporting a
briefing after a scan then reads the result instead of recomputing it. Borough, measure and
method filters are applied to the full result: the scan's results for one borough, measure or
method do not depend on the others (tests/test_scan_cache.py checks this).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from crimefighters.cache import code_fingerprint, key_of, load_frames, store_frames
from crimefighters.config.models import Config
from crimefighters.data.store import Dataset
from crimefighters.errors import ScanError
from crimefighters.scan.adjustments import SPCInputs
from crimefighters.scan.runner import ScanResult, default_scan_month, run_scan

FRAMES = (
    "findings",
    "resolved",
    "tests",
    "peers",
    "points",
    "comparisons",
    "status",
    "priorities",
    "history",
)


def scan_dataset(
    dataset: Dataset,
    config: Config,
    scan_month: date | None = None,
    *,
    boroughs: list[str] | None = None,
    measures: list[str] | None = None,
    methods: list[str] | None = None,
    use_cache: bool = True,
    spc_inputs: SPCInputs | None = None,
) -> ScanResult:
    """The full scan of ``dataset`` for a month (from the cache when it was run before),
    with findings, tests and priorities narrowed to the areas, measures and methods asked for."""
    scan_month = scan_month or default_scan_month(dataset.observations)
    known = {m.id for m in config.measures}
    for measure in measures or []:
        if measure not in known:
            raise ScanError(
                f"unknown measure {measure!r}; expected one of {', '.join(sorted(known))}"
            )
    result = None
    # the meeting's SPC inputs change the charts: a scan without them is another scan
    key = key_of(
        dataset.key,
        config.model_dump(mode="json"),
        f"{scan_month:%Y-%m}",
        code_fingerprint("scan", "data"),
        spc_inputs.key if spc_inputs is not None else "",
    )
    if use_cache and dataset.key:
        result = _read(key, scan_month)
    if result is None:
        result = run_scan(dataset.observations, config, scan_month, spc_inputs=spc_inputs)
        if use_cache and dataset.key:
            _write(key, result)
    return narrow(result, boroughs, measures, methods)


def narrow(
    result: ScanResult,
    boroughs: list[str] | None,
    measures: list[str] | None,
    methods: list[str] | None,
) -> ScanResult:
    """The result for some areas, measures or methods. A method filter keeps the findings
    whose tests include that method (the finding itself is the same event)."""
    frames = {
        name: getattr(result, name)
        for name in ("findings", "resolved", "tests", "peers", "priorities")
    }
    if boroughs:
        frames = {name: f.filter(pl.col("borough").is_in(boroughs)) for name, f in frames.items()}
    if measures:
        frames = {
            name: f.filter(pl.col("measure").is_in(measures)) if "measure" in f.columns else f
            for name, f in frames.items()
        }
    if methods:
        frames["tests"] = frames["tests"].filter(pl.col("method").is_in(methods))
        frames["findings"] = frames["findings"].filter(
            pl.col("finding_id").is_in(frames["tests"]["finding_id"].implode())
        )
    return ScanResult(
        scan_month=result.scan_month,
        points=result.points,
        comparisons=result.comparisons,
        status=result.status,
        history=result.history,
        notes=list(result.notes),
        **frames,
    )


def _write(key: str, result: ScanResult) -> None:
    store_frames(
        "scans",
        key,
        {name: getattr(result, name) for name in FRAMES},
        {"month": result.scan_month, "notes": result.notes},
    )


def _read(key: str, scan_month: date) -> ScanResult | None:
    found = load_frames("scans", key, list(FRAMES))
    if found is None:
        return None
    frames, meta = found
    return ScanResult(scan_month=scan_month, notes=meta.get("notes", []), **frames)
