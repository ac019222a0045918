"""What a scan hands back: ``ScanResult``, its columns, and the month a meeting looks at.

Kept apart from the runner (and its NumPy and statistics) so a scan served from the cache, and
every front-end that only reads results, starts without importing the machinery that made it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from crimefighters.errors import ScanError
from crimefighters.scan.learning import LEARN_COLUMNS
from crimefighters.scan.standing import STANDING_COLUMNS

FINDING_COLUMNS: dict[str, pl.DataType] = {
    "finding_id": pl.String(),
    "status": pl.String(),
    "months_running": pl.Int32(),
    "enduring": pl.Boolean(),  # running meeting.enduring_months or more: offered for Gold Group tasking
    "borough": pl.String(),  # the area (a borough, a BCU or London): the column name is the contract's
    "area_type": pl.String(),
    "bcu": pl.String(),
    "measure": pl.String(),
    "measure_label": pl.String(),
    "name": pl.String(),
    "level": pl.String(),
    "category": pl.String(),
    "priority_id": pl.String(),
    "period": pl.String(),
    "window": pl.String(),
    "value": pl.Float64(),
    "baseline": pl.Float64(),
    "change": pl.Float64(),
    "change_pct": pl.Float64(),
    "method": pl.String(),
    "rule": pl.String(),
    "direction": pl.String(),
    "assessment": pl.String(),
    "score": pl.Float64(),
    "p_value": pl.Float64(),
    "provisional": pl.Boolean(),
    "lower_limit": pl.Float64(),
    "upper_limit": pl.Float64(),
    "target": pl.Float64(),
    "kind": pl.String(),
    "evidence": pl.String(),
    "related": pl.String(),
    "tests": pl.String(),
    "n_tests": pl.Int32(),
    "context": pl.String(),
    "learn_from": pl.String(),
}
# What `scan --format csv/json` writes: today's columns for the headline test, then the finding's
# (``name``: the finding as every front-end names it, ``crimefighters.present.series_name``).
CSV_FIELDS = [
    "borough", "bcu", "measure", "category", "period", "window", "value", "baseline", "change", "change_pct",
    "method", "rule", "direction", "assessment", "score", "p_value", "provisional", "evidence", "level",
    "priority_id", "measure_label", "lower_limit", "upper_limit", "target",
    "finding_id", "status", "months_running", "related", "tests", "learn_from", "name",
]  # fmt: skip


# The frames of a result, in the order they are cached.
FRAME_NAMES = (
    "findings", "resolved", "tests", "peers", "points", "comparisons", "status", "priorities",
    "history", "standing", "improvers",
)  # fmt: skip


@dataclass
class ScanResult:
    scan_month: date
    findings: pl.DataFrame
    resolved: pl.DataFrame
    tests: pl.DataFrame
    peers: pl.DataFrame
    points: pl.DataFrame
    comparisons: pl.DataFrame
    status: pl.DataFrame
    priorities: pl.DataFrame
    history: pl.DataFrame
    notes: list[str] = field(default_factory=list)
    standing: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=STANDING_COLUMNS))
    improvers: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=LEARN_COLUMNS))

    @classmethod
    def lazy(cls, scan_month: date, notes: list[str], load: Callable[[str], pl.DataFrame]) -> ScanResult:
        """A result whose frames are made by ``load(name)`` when first read (a scan from the
        cache reads only the frames its front-end shows)."""
        result = cls.__new__(cls)
        result.__dict__.update(scan_month=scan_month, notes=notes, _load=load)
        return result

    def __getattr__(self, name: str) -> pl.DataFrame:
        # only called for an attribute not yet set: a frame of a lazy result
        load = self.__dict__.get("_load")
        if load is None or name not in FRAME_NAMES:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        frame = load(name)
        self.__dict__[name] = frame
        return frame

    def __getstate__(self) -> dict:
        # a lazy result is pickled (sent to a worker process) with every frame read
        state = {name: getattr(self, name) for name in FRAME_NAMES}
        return {**state, "scan_month": self.scan_month, "notes": self.notes}

    @property
    def exceptions(self) -> pl.DataFrame:
        """The findings under their old name (front-ends being moved to ``findings``)."""
        return self.findings

    def for_area(self, area: str) -> pl.DataFrame:
        return self.findings.filter(pl.col("borough") == area)

    for_borough = for_area

    def counts(self) -> pl.DataFrame:
        """Findings per borough: concerns, improvements, neutral and how many are new."""
        return (
            self.findings.filter(pl.col("area_type") == "borough")
            .group_by("borough")
            .agg(
                concerns=(pl.col("assessment") == "concern").sum(),
                improvements=(pl.col("assessment") == "improvement").sum(),
                neutral=(pl.col("assessment") == "neutral").sum(),
                new=(pl.col("status") == "new").sum(),
            )
            .sort("borough")
        )


def default_scan_month(observations: pl.DataFrame) -> date:
    """The month a meeting looks at: the newest month of recorded crime where it is loaded
    (a newer release of one other measure, such as the knife crime dashboard, must not move
    the whole scan to a month where nothing else has data), else the newest month loaded."""
    if observations.height == 0:
        raise ScanError("no data loaded: nothing to scan")
    crime = observations.filter(pl.col("measure") == "recorded_crime")
    return (crime if crime.height else observations)["month"].max()
