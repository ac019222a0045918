"""The scan, memoised on disk.

``run_scan`` is a pure function of (observations, configuration, month), so its result is
stored as Parquet keyed by the dataset's key, the whole configuration, the month, the scan
code and the meeting store's SPC inputs (``SPCInputs.key``). Opening the TUI, re-running ``crimefighters scan`` with other filters, or exporting a
briefing after a scan then reads the result instead of recomputing it. Borough, measure and
method filters are applied to the full result: the scan's results for one borough, measure or
method do not depend on the others (tests/test_scan_cache.py checks this).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

from crimefighters.cache import cache_dir, code_fingerprint, key_of, store_frames
from crimefighters.errors import ScanError
from crimefighters.scan.result import FRAME_NAMES, ScanResult, default_scan_month

if TYPE_CHECKING:
    from crimefighters.config.models import Config
    from crimefighters.data.store import Dataset
    from crimefighters.scan.adjustments import SPCInputs

FRAMES = FRAME_NAMES
# the frames a borough, measure or method filter narrows (the rest describe every series)
NARROWED = ("findings", "resolved", "tests", "peers", "priorities")


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
    # the meeting's SPC inputs change the charts: a scan without them is another scan
    key = key_of(
        dataset.key,
        config.model_dump(mode="json"),
        f"{scan_month:%Y-%m}",
        spc_inputs.key if spc_inputs else "",
        code_fingerprint("scan", "data", "present", "months"),
    )

    def compute() -> ScanResult:
        from crimefighters.scan.runner import run_scan

        return run_scan(dataset.observations, config, scan_month, spc_inputs=spc_inputs)

    result = _read(key, scan_month, compute) if use_cache and dataset.key else None
    if result is None:
        result = compute()
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
    whose tests include that method (the finding itself is the same event). Frames are
    narrowed when first read."""
    if not (boroughs or measures or methods):
        return result

    def load(name: str) -> pl.DataFrame:
        frame = getattr(result, name)
        if name not in NARROWED:
            return frame
        if boroughs:
            frame = frame.filter(pl.col("borough").is_in(boroughs))
        if measures and "measure" in frame.columns:
            frame = frame.filter(pl.col("measure").is_in(measures))
        if methods and name == "tests":
            frame = frame.filter(pl.col("method").is_in(methods))
        if methods and name == "findings":
            frame = frame.filter(pl.col("finding_id").is_in(narrowed.tests["finding_id"].implode()))
        return frame

    narrowed = ScanResult.lazy(result.scan_month, list(result.notes), load)
    return narrowed


def _write(key: str, result: ScanResult) -> None:
    frames = {name: getattr(result, name) for name in FRAMES}
    store_frames(
        "scans",
        key,
        frames,
        {"month": result.scan_month, "notes": result.notes, "schemas": {n: _schema(f) for n, f in frames.items()}},
    )


def _schema(frame: pl.DataFrame) -> dict[str, str]:
    return {name: str(dtype) for name, dtype in frame.schema.items()}


def _read(key: str, scan_month: date, compute: Callable[[], ScanResult]) -> ScanResult | None:
    """The cached result, its frames read when first used; None when it is not cached. A
    frame that cannot be read then (a damaged cache) is recomputed, never an error."""
    folder = cache_dir() / "scans" / key
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict):
        return None
    notes, schemas = meta.get("notes"), meta.get("schemas")
    if not (isinstance(notes, list) and all(isinstance(n, str) for n in notes) and isinstance(schemas, dict)):
        return None
    if not all(isinstance(schemas.get(name), dict) and (folder / f"{name}.parquet").is_file() for name in FRAMES):
        return None
    fresh: list[ScanResult] = []

    def load(name: str) -> pl.DataFrame:
        try:
            frame = pl.read_parquet(folder / f"{name}.parquet")
            if _schema(frame) == schemas[name]:
                return frame
        except (OSError, pl.exceptions.PolarsError):
            pass
        # unreadable, or not the frame that was written: recompute (the result is the same)
        if not fresh:
            fresh.append(compute())
        return getattr(fresh[0], name)

    return ScanResult.lazy(scan_month, notes, load)
