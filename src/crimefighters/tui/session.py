"""What the TUI is looking at: configuration, data and the scan of one month.

Plain functions run inside thread workers; each returns a new ``Session`` so the screens
always show one consistent state, and a failed reload leaves the previous one in place.

Every scan takes the meeting store's SPC inputs (months left out of the limits, chosen
baselines), read afresh each time, so charts show what the meeting decided. The store is only
read here, never created; a store that cannot be read (damaged, newer) is reported in
``store_problem`` and the data is still shown, without the meeting's adjustments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from pathlib import Path

import polars as pl

from crimefighters.config import LoadedConfig, load_config
from crimefighters.data import Dataset, load_dataset
from crimefighters.errors import MeetingStoreError
from crimefighters.scan.cached import scan_dataset
from crimefighters.scan.result import ScanResult
from crimefighters.scan.series import TOTAL_LABEL

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Session:
    loaded: LoadedConfig
    dataset: Dataset
    result: ScanResult
    data_paths: tuple[Path, ...]
    config_path: str | None
    store: Path | None = None  # --store as given (None: CRIMEFIGHTERS_STORE, config, default)
    store_problem: str = ""  # why the meeting store could not be read ("" when it could)
    # --strict: a data folder holding a file no loader recognises is refused, not skipped
    strict: bool = False

    @property
    def config(self):
        return self.loaded.config

    @property
    def scan_month(self) -> date:
        return self.result.scan_month

    def months(self) -> list[date]:
        return self.dataset.months()

    @cached_property
    def boroughs_with_data(self) -> frozenset[str]:
        """Boroughs with any observation loaded (a borough without is 'no data', not 'no
        findings')."""
        return frozenset(self.dataset.boroughs())

    @property
    def synthetic(self) -> bool:
        return self.dataset.synthetic

    def has_data(self, area: str) -> bool:
        """Whether anything is loaded for an area: a borough, or any borough of a BCU or of
        London (an area without is 'no data loaded', not 'no findings')."""
        return any(b in self.boroughs_with_data for b in self.config.boroughs_of(area))

    def data_months(self, area: str, measure: str) -> tuple[date, date] | None:
        """First and last month of a measure's data for an area (a BCU's or London's: any of
        their boroughs'); None: none loaded."""
        obs = self.dataset.observations
        boroughs = self.config.boroughs_of(area)
        months = obs.filter(pl.col("borough").is_in(boroughs) & (pl.col("measure") == measure))[
            "month"
        ]
        return (months.min(), months.max()) if months.len() else None

    def ward_months(self, area: str) -> tuple[date, date] | None:
        """First and last month of the ward data loaded for an area (None: no ward data)."""
        wards = self.dataset.wards
        if wards.height == 0:
            return None
        months = wards.filter(pl.col("borough").is_in(self.config.boroughs_of(area)))["month"]
        return (months.min(), months.max()) if months.len() else None

    def data_label(self) -> str:
        return ", ".join(p.name or str(p) for p in self.data_paths)


def _quiet(_: str, __: float) -> None:
    return None


def spc_inputs_for(loaded: LoadedConfig, store: Path | None) -> tuple[object | None, str]:
    """(the store's SPC inputs or None, the problem reading it or "")."""
    from crimefighters.meeting import spc_inputs

    try:
        return spc_inputs(store, loaded=loaded), ""
    except MeetingStoreError as error:
        return None, str(error)


def load_session(
    config_path: str | None,
    data_paths: list[Path],
    month: date | None = None,
    progress: Progress = _quiet,
    store: Path | None = None,
    strict: bool = False,
) -> Session:
    progress("Reading the configuration", 0.05)
    loaded = load_config(config_path)
    progress(f"Loading data from {', '.join(p.name for p in data_paths)}", 0.15)
    dataset = load_dataset(data_paths, loaded.config, strict=strict)
    progress("Scanning every borough, measure and category", 0.55)
    inputs, problem = spc_inputs_for(loaded, store)
    result = scan_dataset(dataset, loaded.config, month, spc_inputs=inputs)
    progress("Done", 1.0)
    return Session(loaded, dataset, result, tuple(data_paths), config_path, store, problem, strict)


def rescan(session: Session, month: date, progress: Progress = _quiet) -> Session:
    """The session at another month (or the same month again, after the meeting left a month
    out of a chart's limits)."""
    progress(f"Scanning {month:%B %Y}", 0.3)
    inputs, problem = spc_inputs_for(session.loaded, session.store)
    result = scan_dataset(session.dataset, session.config, month, spc_inputs=inputs)
    progress("Done", 1.0)
    return replace(session, result=result, store_problem=problem)


def reload_config(session: Session, progress: Progress = _quiet) -> Session:
    """Re-read the YAML; a ConfigError propagates and the caller keeps the old session."""
    progress("Reloading the configuration", 0.1)
    loaded = load_config(session.config_path)
    progress("Reloading data with the new configuration", 0.3)
    dataset = load_dataset(list(session.data_paths), loaded.config, strict=session.strict)
    progress("Scanning", 0.6)
    inputs, problem = spc_inputs_for(loaded, session.store)
    result = scan_dataset(dataset, loaded.config, session.scan_month, spc_inputs=inputs)
    progress("Done", 1.0)
    return replace(session, loaded=loaded, dataset=dataset, result=result, store_problem=problem)


def headline_series(result: ScanResult, measure: str) -> tuple[str, str] | None:
    """The (level, category) a measure is shown by in the overview: TNO, or its single series."""
    if measure == "recorded_crime":
        return ("total", TOTAL_LABEL)
    rows = (
        result.status.filter((pl.col("measure") == measure) & (pl.col("area_type") == "borough"))
        .select("level", "category")
        .unique()
        .sort("level", "category")
    )
    if rows.height == 0:
        return None
    # "All" for single-series measures; for the PAS, MOPAC's headline confidence question.
    for preferred in ("all", "good job"):
        for level, category in rows.iter_rows():
            if preferred in category.lower():
                return (level, category)
    return rows.row(0)
