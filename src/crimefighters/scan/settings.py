"""One resolved settings table per measure, read by every method.

``Config.settings_for(measure)`` applies a measure's ``scan.overrides`` to the global scan
settings; ``measure_settings`` lays those out as one row per measure (``spc_window``,
``yoy_alpha``, ``rate_sample_size``...) so every method joins the table on ``measure`` and
reads its constants as columns. No method reads ``config.scan.<method>`` directly: an
analyst's override for one measure is obeyed everywhere (tests/test_overrides.py proves it
for each method).
"""

from __future__ import annotations

import polars as pl

from crimefighters.config.models import STOCK_METHODS, Config, Measure

# Which methods a measure kind uses unless the measure lists its own.
METHOD_DEFAULTS = {
    "count": ["spc", "yoy", "seasonal", "peer"],
    "proportion": ["spc", "rate", "target", "peer"],
    "rate": ["spc", "target"],
    "duration": ["spc", "target"],
}
METHOD_NAMES = ("spc", "yoy", "seasonal", "rate", "target", "peer")
SECTIONS = ("spc", "yoy", "seasonal", "rate", "peer")


def methods_for(measure: Measure, config: Config, requested: list[str] | None = None) -> list[str]:
    methods = measure.methods or (list(STOCK_METHODS) if measure.stock else METHOD_DEFAULTS[measure.kind])
    allowed = set(config.scan.methods) & set(requested or config.scan.methods)
    return [m for m in methods if m in allowed]


def measure_settings(config: Config, requested_methods: list[str] | None = None) -> pl.DataFrame:
    """One row per measure: ``do_<method>`` flags and every scalar setting as ``<section>_<key>``.

    List settings (windows) become list columns; ``spc_rebase`` is a list of months.
    """
    rows = []
    for measure in config.measures:
        settings = config.settings_for(measure.id)
        chosen = methods_for(measure, config, requested_methods)
        row: dict = {"measure": measure.id, "stock": measure.stock}
        row.update({f"do_{m}": m in chosen for m in METHOD_NAMES})
        for section in SECTIONS:
            for key, value in getattr(settings, section).model_dump().items():
                row[f"{section}_{key}"] = value
        rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None)


def longest_history(config: Config) -> int:
    """Months of history any measure's methods need before the earliest month tested."""
    needed = 36
    for measure in config.measures:
        s = config.settings_for(measure.id)
        needed = max(needed, s.spc.window + 12, 12 * s.seasonal.years + 3, 24)
    return needed
