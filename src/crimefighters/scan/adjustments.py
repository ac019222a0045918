"""What the meeting store tells the SPC engine: months left out of the limits, chosen baselines.

The scan never opens the store itself (it stays a pure function of its inputs); a front-end
reads ``MeetingStore.spc_adjustments()`` and hands it over as ``SPCInputs.from_store(...)``.
``key`` goes into the scan cache key, so a new annotation or baseline is a different scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

SERIES = {"area": pl.String, "measure": pl.String, "level": pl.String, "category": pl.String}


@dataclass(frozen=True)
class SPCInputs:
    excluded: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={**SERIES, "month": pl.Date}))
    # one row per baseline; area, level and category may be null (every area / every series of
    # the measure); ``specificity`` orders overlapping ones, the highest wins
    baselines: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={**SERIES, "start": pl.Date, "end": pl.Date, "specificity": pl.Int32})
    )
    key: str = ""

    @classmethod
    def from_store(cls, adjustments) -> SPCInputs:
        """From ``crimefighters.meeting.SPCAdjustments`` (read by attribute, not imported)."""
        excluded = pl.DataFrame(
            [(s.area, s.measure, s.level, s.category, month) for s, month in sorted(adjustments.excluded, key=repr)],
            schema={**SERIES, "month": pl.Date},
            orient="row",
        )
        baselines = pl.DataFrame(
            [
                (b.area, b.measure, b.level, b.category, b.start, b.end, 2 * (b.level is not None) + (b.area is not None))
                for b in adjustments.baselines
            ],
            schema={**SERIES, "start": pl.Date, "end": pl.Date, "specificity": pl.Int32},
            orient="row",
        )
        return cls(excluded=excluded, baselines=baselines, key=adjustments.key)

    @property
    def empty(self) -> bool:
        return self.excluded.height == 0 and self.baselines.height == 0

    def flags(self, keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(sid, month) left out of the limits, and (sid, start, end) of each series' baseline."""
        excluded = keys.join(self.excluded, on=list(SERIES)).select("sid", "month")
        chosen = (
            keys.select("sid", *SERIES)
            .join(self.baselines.drop("area", "level", "category"), on="measure")
            .join(self.baselines.select(*SERIES, "start", "end"), on=["measure", "start", "end"], how="inner", suffix="_b")
            .filter(
                (pl.col("area_b").is_null() | (pl.col("area_b") == pl.col("area")))
                & (pl.col("level_b").is_null() | ((pl.col("level_b") == pl.col("level")) & (pl.col("category_b") == pl.col("category"))))
            )
            .sort("specificity", descending=True)
            .unique("sid", keep="first")
            .select("sid", "start", "end")
        )
        return excluded, chosen
