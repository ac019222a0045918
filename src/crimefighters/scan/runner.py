"""Run every configured method over every borough x measure x category for one month.

``run_scan(observations, config, scan_month)`` returns a ``ScanResult``:
- ``exceptions``: one row per exception (concerns, improvements, neutral), strongest first,
  with the evidence sentence a chair can question;
- ``points``: the SPC chart of every series (boroughs, BCUs, London) over the SPC window;
- ``comparisons``: every series against last year for each window, flagged or not;
- ``status``: the latest state of every series (value, SPC state, limits, assurance, target);
- ``priorities``: each borough's local priorities, high-harm priorities and this month's
  themes, with their status, exception or not.

Ranking: ``score`` is -log10 of the evidence's p-value (capped at 15). SPC rules use the
chance of the pattern ending at the latest point under common cause (outside the limits: the
normal tail beyond the point; 7-point trend 2/7!; 7-point shift 2 x 0.5^7; two of three near
the limits about 0.003), so every method ranks on one scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from crimefighters.config.models import Config, Measure, parse_month
from crimefighters.errors import ScanError
from crimefighters.scan import rates, seasonal, spc, yoy
from crimefighters.scan.peers import funnel
from crimefighters.scan.series import SERIES_KEYS, build_series, complete_window, month_add
from crimefighters.scan.stats import two_sided_normal_p
from crimefighters.scan.wording import fmt_change, fmt_p, fmt_value, month_name, window_phrase

METHOD_DEFAULTS = {
    "count": ["spc", "yoy", "seasonal", "peer"],
    "proportion": ["spc", "rate", "target", "peer"],
    "rate": ["spc", "target"],
    "duration": ["spc", "target"],
}

RULES = {
    "Above UCL": "outside_limits",
    "Below LCL": "outside_limits",
    "7 Point Trend (Increasing)": "trend",
    "7 Point Trend (Decreasing)": "trend",
    "2 in 3 Above CL": "two_of_three",
    "2 in 3 Below CL": "two_of_three",
    "7 Points Above CL": "shift",
    "7 Points Below CL": "shift",
}
RULE_P = {"trend": 2 / math.factorial(7), "shift": 2 * 0.5**7, "two_of_three": 0.003}

EXCEPTION_COLUMNS: dict[str, pl.DataType] = {
    "borough": pl.String(),
    "bcu": pl.String(),
    "measure": pl.String(),
    "measure_label": pl.String(),
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
}


@dataclass
class ScanResult:
    scan_month: date
    exceptions: pl.DataFrame
    points: pl.DataFrame
    comparisons: pl.DataFrame
    status: pl.DataFrame
    priorities: pl.DataFrame
    notes: list[str] = field(default_factory=list)

    def for_borough(self, borough: str) -> pl.DataFrame:
        return self.exceptions.filter(pl.col("borough") == borough)

    def counts(self) -> pl.DataFrame:
        """Concerns and improvements per borough (all 32 listed, zero where none)."""
        return (
            self.exceptions.group_by("borough")
            .agg(
                concerns=(pl.col("assessment") == "concern").sum(),
                improvements=(pl.col("assessment") == "improvement").sum(),
                neutral=(pl.col("assessment") == "neutral").sum(),
            )
            .sort("borough")
        )


def methods_for(measure: Measure, config: Config, requested: list[str] | None) -> list[str]:
    methods = measure.methods or METHOD_DEFAULTS[measure.kind]
    allowed = set(config.scan.methods) & set(requested or config.scan.methods)
    return [m for m in methods if m in allowed]


def default_scan_month(observations: pl.DataFrame) -> date:
    if observations.height == 0:
        raise ScanError("no data loaded: nothing to scan")
    return observations["month"].max()


def run_scan(
    observations: pl.DataFrame,
    config: Config,
    scan_month: date | None = None,
    boroughs: list[str] | None = None,
    measures: list[str] | None = None,
    methods: list[str] | None = None,
) -> ScanResult:
    scan_month = scan_month or default_scan_month(observations)
    available = observations.filter(pl.col("month") == scan_month)
    if available.height == 0:
        first, last = observations["month"].min(), observations["month"].max()
        raise ScanError(
            f"no data for {scan_month:%Y-%m}: the loaded data covers {first:%Y-%m} to {last:%Y-%m}"
        )
    known_measures = {m.id for m in config.measures}
    for m in measures or []:
        if m not in known_measures:
            raise ScanError(f"unknown measure {m!r}; expected one of {', '.join(sorted(known_measures))}")
    obs = observations
    if measures:
        obs = obs.filter(pl.col("measure").is_in(measures))
    series = build_series(obs, config, scan_month)
    measure_by_id = {m.id: m for m in config.measures}
    series = series.filter(pl.col("measure").is_in(list(measure_by_id)))
    series = _with_method_flags(series, config, methods)

    points = _spc(series, config, scan_month)
    comparisons = _comparisons(series, config, scan_month)
    seasonal_frame = _seasonal(series, config, scan_month)
    status = _status(series, points, config, scan_month)
    peer_frame = _peers(comparisons, series, config, scan_month)

    exceptions = pl.concat(
        [
            f
            for f in (
                _spc_exceptions(points, status, config, scan_month),
                _yoy_exceptions(comparisons, config, scan_month),
                _seasonal_exceptions(seasonal_frame, config, scan_month),
                _target_exceptions(status, config, scan_month),
                _peer_exceptions(peer_frame, config, scan_month),
            )
            if f.height
        ]
        or [pl.DataFrame(schema=EXCEPTION_COLUMNS)],
        how="vertical_relaxed",
    )
    if boroughs:
        exceptions = exceptions.filter(pl.col("borough").is_in(boroughs))
    exceptions = _rank(exceptions)
    status = _state_from_exceptions(status, exceptions)
    from crimefighters.scan.priorities import priority_status

    priorities = priority_status(status, comparisons, exceptions, config, scan_month, boroughs)
    return ScanResult(
        scan_month=scan_month,
        exceptions=exceptions,
        points=points,
        comparisons=comparisons,
        status=status,
        priorities=priorities,
    )


# --- method applicability and recording breaks ---------------------------------------------


def _with_method_flags(series: pl.DataFrame, config: Config, requested: list[str] | None) -> pl.DataFrame:
    rows = []
    for m in config.measures:
        chosen = methods_for(m, config, requested)
        rows.append({"measure": m.id, **{f"do_{k}": k in chosen for k in ("spc", "yoy", "seasonal", "rate", "target", "peer")}})
    flags = pl.DataFrame(rows)
    return series.join(flags, on="measure", how="left")


def _break_table(series: pl.DataFrame, config: Config) -> pl.DataFrame:
    """(series keys, break month, label, rebase) for every break that applies to a series.

    A break with no categories applies to every series; otherwise to series whose category,
    priority id or measure id is listed (ignoring case).
    """
    keys = series.select(*SERIES_KEYS, "priority_id").unique()
    frames = []
    for b in config.scan.recording_breaks:
        names = [c.lower() for c in b.categories]
        applies = keys if not names else keys.filter(
            pl.col("category").str.to_lowercase().is_in(names)
            | pl.col("priority_id").fill_null("").str.to_lowercase().is_in(names)
            | pl.col("measure").str.to_lowercase().is_in(names)
        )
        frames.append(
            applies.select(SERIES_KEYS).with_columns(
                break_month=pl.lit(parse_month(b.month)), break_label=pl.lit(b.label), rebase=pl.lit(b.rebase)
            )
        )
    schema = {**{k: pl.String for k in SERIES_KEYS}, "break_month": pl.Date, "break_label": pl.String, "rebase": pl.Boolean}
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


# --- SPC ------------------------------------------------------------------------------------


def _spc(series: pl.DataFrame, config: Config, scan_month: date) -> pl.DataFrame:
    settings = config.scan.spc
    window = complete_window(series.filter(pl.col("do_spc")), config, scan_month, settings.window)
    if window.height == 0:
        return window
    if settings.missing == "error":
        gap = window.filter(pl.col("missing") & (pl.col("kind") == "count"))
        if gap.height:
            row = gap.row(0, named=True)
            raise ScanError(
                f"{row['area']} {row['measure']} {row['category']}: no value for {row['month']:%Y-%m} "
                "inside the SPC window (scan.spc.missing is 'error')"
            )
    # Other kinds with gaps cannot be charted honestly: left out.
    gappy = window.filter(pl.col("missing") & (pl.col("kind") != "count")).select(SERIES_KEYS).unique()
    window = window.join(gappy, on=SERIES_KEYS, how="anti")
    rebase_months = {parse_month(m) for m in settings.rebase}
    breaks = _break_table(window, config).filter(pl.col("rebase"))
    window = window.with_columns(rebase=pl.col("month").is_in(sorted(rebase_months)))
    if breaks.height:
        window = window.join(
            breaks.select(*SERIES_KEYS, month=pl.col("break_month"), _break=pl.lit(True)), on=[*SERIES_KEYS, "month"], how="left"
        ).with_columns(rebase=pl.col("rebase") | pl.col("_break").fill_null(False)).drop("_break")
    # A series' first month starts group 0 whatever the rebase flag says.
    window = window.with_columns(
        rebase=pl.col("rebase") & (pl.col("month") != pl.col("month").min().over(SERIES_KEYS)),
        numerator_mean=pl.col("numerator").mean().over(SERIES_KEYS),
    )
    return spc.spc_points(window, SERIES_KEYS, settings, rebase_col="rebase")


def _spc_exceptions(points: pl.DataFrame, status: pl.DataFrame, config: Config, scan_month: date) -> pl.DataFrame:
    if points.height == 0:
        return pl.DataFrame(schema=EXCEPTION_COLUMNS)
    settings = config.scan.spc
    latest = points.filter(
        (pl.col("month") == scan_month) & (pl.col("area_type") == "borough") & (pl.col("point_type") != "common_cause")
    )
    # Small counts: not charted for exceptions (methods.md: never a +300% headline on 1 -> 4);
    # nor a rate built on a handful of cases a month (2 positive outcomes of 70 burglaries).
    small = ((pl.col("kind") == "count") & (pl.col("mean") < settings.min_mean)) | (
        (pl.col("kind") == "proportion") & pl.col("denominator").is_not_null() & (pl.col("numerator_mean") < settings.min_mean)
    )
    latest = latest.filter(~small)
    latest = latest.with_columns(rule=pl.col("special_cause_type").replace_strict(RULES, default=None))
    latest = _suppress_provisional_drops(latest, points, config, scan_month)
    if latest.height == 0:
        return pl.DataFrame(schema=EXCEPTION_COLUMNS)
    latest = latest.join(
        status.select(*SERIES_KEYS, "target", "assurance", "group_months", "break_note"), on=SERIES_KEYS, how="left"
    )
    rows = []
    for r in latest.iter_rows(named=True):
        measure = config.measure(r["measure"])
        direction = "up" if any(w in r["special_cause_type"] for w in ("Above", "Increasing")) else "down"
        sigma = (r["amr"] or 0) / 1.128
        if r["rule"] == "outside_limits" and sigma > 0:
            p = float(two_sided_normal_p(abs(r["value"] - r["mean"]) / sigma)[0])
        else:
            p = RULE_P.get(r["rule"], 0.01)
        rows.append(
            _exception_row(
                r,
                config,
                scan_month,
                method="spc",
                rule=r["rule"],
                window="1",
                value=r["value"],
                baseline=r["mean"],
                direction=direction,
                score=_score(p),
                p_value=None,
                lower=r["lpl"],
                upper=r["upl"],
                target=r["target"],
                evidence=_spc_evidence(r, measure, scan_month),
            )
        )
    return pl.DataFrame(rows, schema=EXCEPTION_COLUMNS)


def _suppress_provisional_drops(latest: pl.DataFrame, points: pl.DataFrame, config: Config, scan_month: date) -> pl.DataFrame:
    """A downward signal in a provisional month must survive adding back the usual shortfall."""
    prov = config.scan.provisional
    if not prov.suppress_drops or latest.height == 0:
        return latest
    downward = latest.filter(pl.col("provisional") & pl.col("special_cause_type").str.contains("Below|Decreasing"))
    if downward.height == 0:
        return latest
    affected = points.join(downward.select(SERIES_KEYS), on=SERIES_KEYS, how="semi")
    adjusted = affected.with_columns(
        value=pl.when(pl.col("month") == scan_month).then(pl.col("value") * (1 + prov.expected_shortfall_pct / 100)).otherwise(pl.col("value"))
    ).select(*SERIES_KEYS, "month", "value", "direction", "rebase")
    rechecked = spc.spc_points(adjusted, SERIES_KEYS, config.scan.spc, rebase_col="rebase").filter(pl.col("month") == scan_month)
    gone = rechecked.filter(~pl.col("special_cause_type").str.contains("Below|Decreasing")).select(SERIES_KEYS)
    return latest.join(gone, on=SERIES_KEYS, how="anti")


def _spc_evidence(r: dict, measure: Measure, scan_month: date) -> str:
    v = lambda x: fmt_value(x, r["kind"], measure.unit)  # noqa: E731
    name = _series_name(r, measure)
    points = int(r["group_points"])
    basis = f"mean {v(r['mean'])}, {points} months{'; trial limits' if points < 12 else ''}"
    rule = r["rule"]
    if rule == "outside_limits":
        side = "above the upper" if r["value"] > r["mean"] else "below the lower"
        limit = r["upl"] if r["value"] > r["mean"] else max(r["lpl"], 0.0) if r["kind"] == "count" else r["lpl"]
        text = f"{name} {v(r['value'])} in {month_name(scan_month)}, {side} process limit of {v(limit)} ({basis})"
    elif rule == "trend":
        way = "rising" if "Increasing" in r["special_cause_type"] else "falling"
        text = f"{name} {v(r['value'])} in {month_name(scan_month)}, the end of 7 or more months each {way} on the last ({basis}; limits {v(max(r['lpl'], 0) if r['kind'] == 'count' else r['lpl'])} to {v(r['upl'])})"
    elif rule == "two_of_three":
        side = "above" if "Above" in r["special_cause_type"] else "below"
        text = f"{name} {v(r['value'])} in {month_name(scan_month)}: 2 of the last 3 months close to the process limits, all {side} the mean ({basis}; limits {v(max(r['lpl'], 0) if r['kind'] == 'count' else r['lpl'])} to {v(r['upl'])})"
    else:
        side = "above" if "Above" in r["special_cause_type"] else "below"
        text = f"{name} {v(r['value'])} in {month_name(scan_month)}, 7 or more months in a row {side} the mean of {v(r['mean'])} ({points} months; limits {v(max(r['lpl'], 0) if r['kind'] == 'count' else r['lpl'])} to {v(r['upl'])})"
    if r.get("provisional"):
        text += "; provisional month, likely to be revised up"
    if r.get("break_note"):
        text += f"; {r['break_note']}"
    return text


def _series_name(r: dict, measure: Measure) -> str:
    if r["level"] == "total" or r["category"] in ("All", ""):
        return measure.label if r["category"] in ("All", "") else r["category"]
    if measure.id == "recorded_crime" or r["level"] == "priority":
        return r["category"]
    return f"{measure.label}: {r['category']}"


# --- status of every series ----------------------------------------------------------------


def _status(series: pl.DataFrame, points: pl.DataFrame, config: Config, scan_month: date) -> pl.DataFrame:
    """Latest value and state of every series, charted or not."""
    latest = series.filter(pl.col("month") == scan_month)
    previous = series.filter(pl.col("month") == month_add(scan_month, -1)).select(*SERIES_KEYS, previous_value=pl.col("value"))
    status = latest.join(previous, on=SERIES_KEYS, how="left")
    if points.height:
        spc_latest = points.filter(pl.col("month") == scan_month).select(
            *SERIES_KEYS, "mean", "lpl", "upl", "special_cause_type", "point_type", group_months=pl.col("group_points")
        )
        status = status.join(spc_latest, on=SERIES_KEYS, how="left")
    else:
        status = status.with_columns(
            mean=pl.lit(None, dtype=pl.Float64), lpl=pl.lit(None, dtype=pl.Float64), upl=pl.lit(None, dtype=pl.Float64),
            special_cause_type=pl.lit(None, dtype=pl.String), point_type=pl.lit(None, dtype=pl.String), group_months=pl.lit(None, dtype=pl.UInt32),
        )
    targets = {m.id: m.target.value for m in config.measures if m.target}
    status = status.with_columns(target=pl.col("measure").replace_strict(targets, default=None, return_dtype=pl.Float64))
    assurance = [
        spc.assurance(d, t, lo, hi) if lo is not None and hi is not None else None
        for d, t, lo, hi in zip(status["direction"], status["target"], status["lpl"], status["upl"], strict=True)
    ]
    status = status.with_columns(assurance=pl.Series(assurance, dtype=pl.String))
    # Recording breaks inside the SPC window are noted on the series.
    breaks = _break_table(status, config)
    start = month_add(scan_month, -(config.scan.spc.window - 1))
    inside = breaks.filter(pl.col("break_month").is_between(month_add(start, 1), scan_month))
    if inside.height:
        notes = inside.group_by(SERIES_KEYS).agg(
            break_note=pl.concat_str(pl.lit("the window spans "), pl.col("break_label"), pl.lit(" ("), pl.col("break_month").dt.strftime("%Y-%m"), pl.lit(")")).str.join("; ")
        )
        status = status.join(notes, on=SERIES_KEYS, how="left")
    else:
        status = status.with_columns(break_note=pl.lit(None, dtype=pl.String))
    return status.with_columns(
        state=pl.when(pl.col("point_type").is_null())
        .then(pl.lit("not charted"))
        .when(pl.col("point_type") == "special_cause_concern")
        .then(pl.lit("concern"))
        .when(pl.col("point_type") == "special_cause_improvement")
        .then(pl.lit("improvement"))
        .when(pl.col("point_type").str.starts_with("special_cause_neutral"))
        .then(pl.lit("neutral"))
        .otherwise(pl.lit("common cause"))
    ).sort(SERIES_KEYS)


def _state_from_exceptions(status: pl.DataFrame, exceptions: pl.DataFrame) -> pl.DataFrame:
    """Series without an SPC chart (e.g. the PAS, tested only against last year) take the
    state of their strongest exception this month, so every view has one state to show."""
    if exceptions.height == 0:
        return status
    strongest = (
        exceptions.sort("score", descending=True)
        .unique(["borough", "measure", "level", "category"], keep="first")
        .select(area=pl.col("borough"), measure="measure", level="level", category="category", _flagged=pl.col("assessment"))
    )
    return (
        status.join(strongest, on=["area", "measure", "level", "category"], how="left")
        .with_columns(state=pl.when((pl.col("state") == "not charted") & pl.col("_flagged").is_not_null()).then(pl.col("_flagged")).otherwise(pl.col("state")))
        .drop("_flagged")
    )


# --- year on year ---------------------------------------------------------------------------


def _comparisons(series: pl.DataFrame, config: Config, scan_month: date) -> pl.DataFrame:
    windows = list(config.scan.yoy.windows)
    sums = yoy.window_sums(series, scan_month, windows)
    if sums.height == 0:
        return pl.DataFrame()
    sums = sums.join(series.select(*SERIES_KEYS, "do_yoy", "do_rate").unique(SERIES_KEYS), on=SERIES_KEYS, how="left")
    yo = config.scan.yoy
    counts = yoy.compare_counts(
        sums.filter(pl.col("kind") == "count"),
        yo.alpha,
        yo.min_pct,
        yo.min_volume,
        config.scan.provisional.expected_shortfall_pct,
        config.scan.provisional.suppress_drops,
    )
    proportions = rates.compare_proportions(sums.filter(pl.col("kind") == "proportion"), config.scan.rate)
    others = sums.filter(~pl.col("kind").is_in(["count", "proportion"])).with_columns(
        current=pl.col("current_mean"),
        previous=pl.col("previous_mean"),
        p_value=pl.lit(None, dtype=pl.Float64),
        flagged=pl.lit(False),
        suppressed_provisional=pl.lit(False),
        wheeler_z=pl.lit(None, dtype=pl.Float64),
    ).with_columns(change=pl.col("current") - pl.col("previous"), change_pct=pl.when(pl.col("previous") != 0).then((pl.col("current") - pl.col("previous")) / pl.col("previous") * 100))
    frames = [f for f in (counts, proportions, others) if f.height]
    comparisons = pl.concat(frames, how="diagonal_relaxed")
    # Comparisons across a recording break are shown but never flagged.
    breaks = _break_table(comparisons, config)
    starts = {w: yoy.window_bounds(w, scan_month)[0] for w in windows}
    comparisons = comparisons.with_columns(
        current_start=pl.col("window").replace_strict(starts, return_dtype=pl.Date),
    ).with_columns(previous_start=pl.col("current_start").dt.offset_by("-1y"))
    if breaks.height:
        crossing = (
            comparisons.select(*SERIES_KEYS, "window", "previous_start")
            .join(breaks, on=SERIES_KEYS)
            .filter((pl.col("break_month") > pl.col("previous_start")) & (pl.col("break_month") <= scan_month))
            .group_by(*SERIES_KEYS, "window")
            .agg(break_note=pl.concat_str(pl.lit("not comparable across "), pl.col("break_label"), pl.lit(" ("), pl.col("break_month").dt.strftime("%Y-%m"), pl.lit(")")).str.join("; "))
        )
        comparisons = comparisons.join(crossing, on=[*SERIES_KEYS, "window"], how="left")
    else:
        comparisons = comparisons.with_columns(break_note=pl.lit(None, dtype=pl.String))
    comparisons = comparisons.with_columns(flagged=pl.col("flagged") & pl.col("break_note").is_null())
    return comparisons.sort(*SERIES_KEYS, "window")


def _yoy_exceptions(comparisons: pl.DataFrame, config: Config, scan_month: date) -> pl.DataFrame:
    if comparisons.height == 0:
        return pl.DataFrame(schema=EXCEPTION_COLUMNS)
    flagged = comparisons.filter(
        pl.col("flagged")
        & (pl.col("area_type") == "borough")
        & (((pl.col("kind") == "count") & pl.col("do_yoy")) | ((pl.col("kind") == "proportion") & pl.col("do_rate")))
    )
    # One exception per series: the window with the strongest evidence; the others are named
    # in its evidence (every window stays in ``comparisons``). Four windows of one change are
    # not four findings.
    labels = {"1": "the month", "3": "3 months", "12": "12 months", "fytd": "the financial year to date"}
    flagged = flagged.with_columns(
        _strength=pl.when(pl.col("p_value").is_not_null())
        .then(-pl.col("p_value").clip(lower_bound=1e-300).log10())
        .otherwise(pl.col("change_points").abs() if "change_points" in flagged.columns else pl.lit(0.0))
    ).sort([*SERIES_KEYS, "_strength"], descending=[False] * len(SERIES_KEYS) + [True])
    also = flagged.group_by(SERIES_KEYS, maintain_order=True).agg(
        also=pl.col("window").slice(1).replace_strict(labels, default=None).str.join(", ")
    )
    flagged = flagged.unique(SERIES_KEYS, keep="first", maintain_order=True).join(also, on=SERIES_KEYS)
    rows = []
    for r in flagged.iter_rows(named=True):
        measure = config.measure(r["measure"])
        direction = "up" if r["current"] > r["previous"] else "down"
        v = lambda x, r=r, m=measure: fmt_value(x, r["kind"], m.unit)  # noqa: E731
        name = _series_name(r, measure)
        when = window_phrase(r["window"], scan_month)
        if r["kind"] == "count":
            method, rule = "yoy", "poisson_exact"
            p = r["p_value"]
            pct = "n/a" if r["change_pct"] is None else f"{abs(r['change_pct']):.1f}%"
            evidence = (
                f"{name} {v(r['current'])} {when}, {'up' if direction == 'up' else 'down'} "
                f"{v(abs(r['change']))} ({pct}) on {v(r['previous'])} a year earlier "
                f"({fmt_p(p)}; Wheeler z = {r['wheeler_z']:+.1f})"
            )
            score = _score(p)
        else:
            method = "rate"
            if r["p_value"] is not None:
                rule, p = "two_proportion", r["p_value"]
                score = _score(p)
                test = f"{fmt_p(p)}, {r['current_den']:,.0f} against {r['previous_den']:,.0f} cases"
            else:
                rule, p = "pp_threshold", None
                score = 2.0 * abs(r["change_points"]) / config.settings_for(r["measure"]).rate.pp_threshold
                test = f"threshold {config.settings_for(r['measure']).rate.pp_threshold:g} points"
            evidence = (
                f"{name} {v(r['current'])} {when} against {v(r['previous'])} a year earlier "
                f"({fmt_change(r['change'], None, 'proportion')}; {test})"
            )
        if r["provisional"]:
            evidence += "; includes a provisional month"
        if r["also"]:
            evidence += f"; also flagged over {r['also']}"
        rows.append(
            _exception_row(
                r, config, scan_month, method=method, rule=rule, window=r["window"], value=r["current"],
                baseline=r["previous"], direction=direction, score=score, p_value=p, lower=None, upper=None,
                target=None, evidence=evidence, change=r["change"], change_pct=r["change_pct"],
            )
        )
    return pl.DataFrame(rows, schema=EXCEPTION_COLUMNS)


# --- seasonal ------------------------------------------------------------------------------


def _seasonal(series: pl.DataFrame, config: Config, scan_month: date) -> pl.DataFrame:
    frame = seasonal.seasonal_baseline(series.filter(pl.col("do_seasonal")), scan_month, config.scan.seasonal)
    if frame.height == 0:
        return frame
    breaks = _break_table(frame, config)
    first = month_add(scan_month, -12 * config.scan.seasonal.years)
    if breaks.height:
        crossing = breaks.filter(pl.col("break_month").is_between(month_add(first, 1), scan_month)).select(SERIES_KEYS).unique()
        frame = frame.join(crossing.with_columns(_crossed=pl.lit(True)), on=SERIES_KEYS, how="left").with_columns(
            flagged=pl.col("flagged") & pl.col("_crossed").is_null()
        ).drop("_crossed")
    return frame


def _seasonal_exceptions(frame: pl.DataFrame, config: Config, scan_month: date) -> pl.DataFrame:
    if frame.height == 0:
        return pl.DataFrame(schema=EXCEPTION_COLUMNS)
    flagged = frame.filter(pl.col("flagged") & (pl.col("area_type") == "borough"))
    prov = config.scan.provisional
    rows = []
    years = config.scan.seasonal.years
    for r in flagged.iter_rows(named=True):
        if prov.suppress_drops and r["provisional"] and r["current"] < r["baseline"]:
            adjusted = r["current"] * (1 + prov.expected_shortfall_pct / 100)
            scale = r["sd"] if r["sd_used"] else math.sqrt(r["baseline"])
            if scale and abs(adjusted - r["baseline"]) / scale < config.scan.seasonal.z:
                continue
        measure = config.measure(r["measure"])
        direction = "up" if r["current"] > r["baseline"] else "down"
        v = lambda x, m=measure: fmt_value(x, "count", m.unit)  # noqa: E731
        basis = "sample spread" if r["sd_used"] else "Poisson"
        evidence = (
            f"{_series_name(r, measure)} {v(r['current'])} in {month_name(scan_month)} against an average of "
            f"{r['baseline']:,.1f} in {scan_month:%B} of the previous {years} years "
            f"({fmt_change(r['change'], r['change_pct'], 'count')}; z = {r['z']:+.1f}, {basis})"
        )
        if r["provisional"]:
            evidence += "; provisional month"
        rows.append(
            _exception_row(
                r, config, scan_month, method="seasonal", rule="seasonal_z", window="1", value=r["current"],
                baseline=r["baseline"], direction=direction, score=_score(r["p_value"]), p_value=r["p_value"],
                lower=None, upper=None, target=None, evidence=evidence, change=r["change"], change_pct=r["change_pct"],
            )
        )
    return pl.DataFrame(rows, schema=EXCEPTION_COLUMNS)


# --- targets -------------------------------------------------------------------------------


def _target_exceptions(status: pl.DataFrame, config: Config, scan_month: date) -> pl.DataFrame:
    measures_with_targets = [m.id for m in config.measures if m.target]
    latest = status.filter(
        pl.col("measure").is_in(measures_with_targets) & (pl.col("area_type") == "borough") & pl.col("do_target")
    )
    if latest.height == 0:
        return pl.DataFrame(schema=EXCEPTION_COLUMNS)
    events = rates.target_events(latest, config).filter(pl.col("event").is_not_null())
    rows = []
    for r in events.iter_rows(named=True):
        measure = config.measure(r["measure"])
        v = lambda x, r=r, m=measure: fmt_value(x, r["kind"], m.unit)  # noqa: E731
        gap = r["value"] - r["target"]
        if r["event"] == "target_missed":
            assurance = {"consistent_fail": "the process will not meet it without change", "consistent_pass": "", "inconsistent": "the process will hit and miss it"}.get(r.get("assurance") or "", "")
            evidence = f"{_series_name(r, measure)} {v(r['value'])} in {month_name(scan_month)}, {'below' if r['at_least'] else 'above'} the target of {v(r['target'])}"
            if assurance:
                evidence += f"; {assurance} (SPC assurance)"
            direction = "down" if r["at_least"] else "up"
            score = 2.0 + min(abs(gap) * (100 if r["kind"] == "proportion" else 1) / 5, 3.0)
        else:
            evidence = f"{_series_name(r, measure)} {v(r['value'])} in {month_name(scan_month)} meets the target of {v(r['target'])}, missed the month before ({v(r['previous_value'])})"
            direction = "up" if r["at_least"] else "down"
            score = 2.0
        rows.append(
            _exception_row(
                r, config, scan_month, method="target", rule=r["event"], window="1", value=r["value"], baseline=r["target"],
                direction=direction, score=score, p_value=None, lower=r.get("lpl"), upper=r.get("upl"), target=r["target"],
                evidence=evidence, change=gap, change_pct=None,
                assessment="concern" if r["event"] == "target_missed" else "improvement",
            )
        )
    return pl.DataFrame(rows, schema=EXCEPTION_COLUMNS)


# --- peers ---------------------------------------------------------------------------------


def _peers(comparisons: pl.DataFrame, series: pl.DataFrame, config: Config, scan_month: date) -> pl.DataFrame:
    peer = config.scan.peer
    wanted = series.filter(pl.col("do_peer") & pl.col("level").is_in(peer.levels)).select(SERIES_KEYS).unique()
    if comparisons.height and "12" in config.scan.yoy.windows:
        # the year-on-year comparison already summed the rolling 12 months
        windows = comparisons.filter(pl.col("window") == "12").join(wanted, on=SERIES_KEYS, how="semi")
    else:
        windows = yoy.window_sums(series.join(wanted, on=SERIES_KEYS, how="semi"), scan_month, ["12"])
    if windows.height == 0:
        return windows
    return funnel(windows, config, peer)


def _peer_exceptions(frame: pl.DataFrame, config: Config, scan_month: date) -> pl.DataFrame:
    if frame.height == 0:
        return pl.DataFrame(schema=EXCEPTION_COLUMNS)
    peer = config.scan.peer
    flagged = frame.filter(pl.col(peer.flag_at))
    rows = []
    for r in flagged.iter_rows(named=True):
        measure = config.measure(r["measure"])
        direction = "up" if r["z"] > 0 else "down"
        rule = "funnel_998" if r["funnel_998"] else "funnel_95"
        limit = "99.8%" if rule == "funnel_998" else "95%"
        if r["kind"] == "count":
            shown = f"{r['rate']:.2f} per {peer.per:,} residents"
            london = f"{r['london_rate']:.2f}"
        else:
            shown, london = fmt_value(r["rate"], "proportion"), fmt_value(r["london_rate"], "proportion")
        adj = f"; limits widened for over-dispersion (phi = {r['phi']:.1f})" if peer.overdispersion and r["phi"] > 1 else ""
        evidence = (
            f"{_series_name(r, measure)} {shown} in the 12 months to {month_name(scan_month)} against {london} for London, "
            f"{'above' if direction == 'up' else 'below'} the {limit} funnel limit (z = {r['z']:+.1f}{adj})"
        )
        p = float(two_sided_normal_p(r["z"])[0])
        rows.append(
            _exception_row(
                r, config, scan_month, method="peer", rule=rule, window="12", value=r["rate"], baseline=r["london_rate"],
                direction=direction, score=_score(p), p_value=p, lower=None, upper=None, target=None, evidence=evidence,
                change=r["rate"] - r["london_rate"], change_pct=(r["rate"] / r["london_rate"] - 1) * 100 if r["london_rate"] else None,
            )
        )
    return pl.DataFrame(rows, schema=EXCEPTION_COLUMNS)


# --- assembling --------------------------------------------------------------------------------


def _score(p: float | None) -> float:
    if p is None or (isinstance(p, float) and np.isnan(p)):
        return 0.0
    return float(min(15.0, -math.log10(max(p, 1e-300))))


def _assessment(direction: str, measure_direction: str) -> str:
    if measure_direction == "neutral":
        return "neutral"
    return "improvement" if direction == measure_direction else "concern"


def _exception_row(r: dict, config: Config, scan_month: date, *, method: str, rule: str, window: str, value: float,
                   baseline: float | None, direction: str, score: float, p_value: float | None, lower: float | None,
                   upper: float | None, target: float | None, evidence: str, change: float | None = None,
                   change_pct: float | None = None, assessment: str | None = None) -> dict:
    measure = config.measure(r["measure"])
    if change is None and baseline is not None:
        change = value - baseline
        change_pct = (change / baseline * 100) if baseline else None
    return {
        "borough": r["area"],
        "bcu": config.bcu_of(r["area"]),
        "measure": r["measure"],
        "measure_label": measure.label,
        "level": r["level"],
        "category": r["category"],
        "priority_id": r.get("priority_id"),
        "period": f"{scan_month:%Y-%m}",
        "window": window,
        "value": value,
        "baseline": baseline,
        "change": change,
        "change_pct": change_pct,
        "method": method,
        "rule": rule,
        "direction": direction,
        "assessment": assessment or _assessment(direction, r["direction"]),
        "score": round(score, 3),
        "p_value": p_value,
        "provisional": bool(r.get("provisional")),
        "lower_limit": lower,
        "upper_limit": upper,
        "target": target,
        "kind": r["kind"],
        "evidence": evidence,
    }


def _rank(exceptions: pl.DataFrame) -> pl.DataFrame:
    """Strongest evidence first; ties broken by borough, measure, category so output is stable.

    A priority that is exactly one published category (Shoplifting) would repeat the same
    finding; the priority's row is kept and the category's dropped.
    """
    level_order = {"priority": 0, "total": 1, "major": 2, "minor": 3}
    # Rounded keys: sums taken in a different order can differ in the last bit.
    exceptions = (
        exceptions.with_columns(
            _lvl=pl.col("level").replace_strict(level_order, default=9),
            _v=pl.col("value").round(6),
            _b=pl.col("baseline").round(6),
        )
        .sort("_lvl", "category", maintain_order=True)
        .unique(["borough", "measure", "method", "rule", "_v", "_b"], keep="first", maintain_order=True)
        .drop("_lvl", "_v", "_b")
    )
    return exceptions.sort(
        ["score", "borough", "measure", "level", "category", "method", "window"],
        descending=[True, False, False, False, False, False, False],
    )
