"""The scan's methods: one module each, one registry of what they are called and what they do.

Each method module has one public function ``tests(frame, ...) -> pl.DataFrame`` returning one
row per test it performed (fired or not) in the shared ``TEST_COLUMNS`` layout, for every
series and every month the scan tests ("as of" the scan month and the months before it).
The registry below is the one place their names, labels and definitions live: the CLI, the
TUI and the briefing all show these words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

TEST_COLUMNS: dict[str, pl.DataType] = {
    "sid": pl.UInt32(),
    "asof": pl.Date(),
    "method": pl.String(),
    "rule": pl.String(),
    "window": pl.String(),
    "direction": pl.String(),  # up | down: which way the value moved
    "value": pl.Float64(),
    "baseline": pl.Float64(),
    "change": pl.Float64(),
    "change_pct": pl.Float64(),
    "p_value": pl.Float64(),  # null for rule-based tests (targets, thresholds, standing)
    "alpha": pl.Float64(),  # the method's own significance level
    "n_tests": pl.Int32(),  # tests this row stands for in the area's family (0: not counted)
    "fired": pl.Boolean(),  # passed the method's own rule and minimum-change gates
    "can_lead": pl.Boolean(),  # may make a finding on its own (else corroboration only)
    "provisional": pl.Boolean(),
    "phi": pl.Float64(),
    "z": pl.Float64(),
    "years": pl.Int32(),
    "months": pl.Int32(),  # the months behind the numbers (an SPC chart's points, a window)
    "recent": pl.Int32(),  # the months the change is in: 1 for this month, 12 for the last 12
    "lower_limit": pl.Float64(),
    "upper_limit": pl.Float64(),
    "target": pl.Float64(),
    "current_den": pl.Float64(),
    "previous_den": pl.Float64(),
    "note": pl.String(),
}


def conform_tests(frame: pl.DataFrame) -> pl.DataFrame:
    """Select and cast to TEST_COLUMNS, adding missing columns as nulls."""
    return frame.select(
        [
            (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
            for c, t in TEST_COLUMNS.items()
        ]
    )


def empty_tests() -> pl.DataFrame:
    return pl.DataFrame(schema=TEST_COLUMNS)


@dataclass(frozen=True)
class MethodInfo:
    name: str
    label: str  # shown beside a test: "SPC limits", "vs last year"
    definition: str  # one or two sentences for the CLI, the TUI's threshold view, the briefing


@dataclass(frozen=True)
class RuleInfo:
    name: str
    method: str
    label: str  # "above/below the process limits", shown in lists


METHODS: dict[str, MethodInfo] = {
    "spc": MethodInfo(
        "spc",
        "SPC",
        "XmR chart of the last {spc_window} months (Making Data Count, as NHSRplotthedots 0.2.2): "
        "the month outside the limits (mean +/- {spc_limit_factor} x mean moving range) or ending "
        "{spc_trend_length} rises or falls; 2 of 3 near the limits or {spc_shift_length} on one side "
        "of the mean only support a finding.",
    ),
    "seasonal": MethodInfo(
        "seasonal",
        "vs previous years",
        "The month, and the 3 months to it, against the same months of up to {seasonal_years} "
        "previous years: exact conditional test, allowing for the series' own extra variation.",
    ),
    "yoy": MethodInfo(
        "yoy",
        "vs last year",
        "Rolling 12 months and financial year to date against a year earlier: exact conditional "
        "test allowing for extra variation; at least {yoy_min_pct:g}% on {yoy_min_volume:g} or more.",
    ),
    "rate": MethodInfo(
        "rate",
        "rate vs last year",
        "Rates against a year earlier: two proportions (exact on low bases), survey samples where "
        "known, else {rate_pp_threshold:g} points; at least {rate_min_points:g} points or "
        "{rate_min_relative_pct:g}% of the rate.",
    ),
    "target": MethodInfo(
        "target",
        "target",
        "The month against the measure's target: a miss is a concern, meeting it again an improvement.",
    ),
    "peer": MethodInfo(
        "peer",
        "vs London",
        "Rolling 12-month rate against London's, funnel limits at 95% and 99.8% widened for the "
        "usual spread: standing is context, a change of standing a finding.",
    ),
}

RULES: dict[str, RuleInfo] = {
    r.name: r
    for r in (
        RuleInfo("outside_limits", "spc", "outside the process limits"),
        RuleInfo("trend", "spc", "a run rising or falling"),
        RuleInfo("two_of_three", "spc", "2 of 3 months near the limits"),
        RuleInfo("shift", "spc", "a run on one side of the mean"),
        RuleInfo("seasonal", "seasonal", "against the same months before"),
        RuleInfo("poisson_exact", "yoy", "against a year earlier"),
        RuleInfo("two_proportion", "rate", "two proportions"),
        RuleInfo("exact_rate", "rate", "exact test on a low rate"),
        RuleInfo("survey", "rate", "two survey samples"),
        RuleInfo("pp_threshold", "rate", "percentage-point threshold"),
        RuleInfo("target_missed", "target", "target missed"),
        RuleInfo("target_met", "target", "target met again"),
        RuleInfo("funnel", "peer", "outside the London funnel"),
        RuleInfo("standing_changed", "peer", "standing against London changed"),
    )
}


WINDOWED_METHODS = ("yoy", "rate", "seasonal")


def test_label(method: str, window: str | None = None) -> str:
    """A test as a list names it: 'SPC', 'vs last year (12 months)'."""
    from crimefighters.present import window_label

    label = METHODS[method].label if method in METHODS else method
    return f"{label} ({window_label(window)})" if method in WINDOWED_METHODS and window else label


def settings_words(settings) -> dict:
    """A measure's resolved ``ScanSettings`` (``Config.settings_for``) as the names the
    definitions use: ``spc_window``, ``yoy_min_pct``..."""
    return {
        f"{section}_{key}": value
        for section in ("spc", "yoy", "seasonal", "rate", "peer")
        for key, value in getattr(settings, section).model_dump().items()
    }


def method_definition(method: str, settings: dict) -> str:
    """The method's definition with the measure's settings filled in."""
    return METHODS[method].definition.format(**settings)


def score_of(p: float | None) -> float:
    """-log10(p), capped at 15: one scale for ranking every test."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return 0.0
    return float(min(15.0, -math.log10(max(p, 1e-300))))


def score_expr(p: pl.Expr) -> pl.Expr:
    return (-p.clip(lower_bound=1e-300).log10()).clip(upper_bound=15.0).fill_null(0.0)
