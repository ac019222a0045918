"""ScanResult + Dataset + configuration -> the plain dict the briefing templates render.

Every number here is read from the scan result (values, comparisons, SPC points, status,
priorities, exceptions) and formatted; nothing is computed. Where a measure has no data the
context says so ("no data loaded for ...") rather than showing a zero.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from crimefighters.briefing.charts import SYMBOLS, ChartPoint, sparkline, spc_chart
from crimefighters.briefing.meeting import MeetingView, meeting_section
from crimefighters.config.models import Config
from crimefighters.data.synthetic import LABEL as SYNTHETIC_LABEL
from crimefighters.data.synthetic import NOTE as SYNTHETIC_NOTE
from crimefighters.errors import BriefingError, ConfigError
from crimefighters.present import (
    STANDING_BASIS,
    fmt_change,
    fmt_p,
    fmt_rate,
    fmt_value,
    month_name,
    rank_text,
    series_name,
    state_cell_text,
    status_text,
    window_label,
)
from crimefighters.scan.methods import METHODS, method_definition

if TYPE_CHECKING:
    from crimefighters.config import LoadedConfig
    from crimefighters.data import Dataset
    from crimefighters.scan.result import ScanResult

SERIES = ("measure", "level", "category")
PROCESS_FAMILIES = (
    "positive_outcomes",
    "response_times",
    "victim_care",
    "public_confidence",
    "offender_management",
    "criminal_justice",
    "crime_recording",
)
STATE_SYMBOL = {
    "concern": SYMBOLS["concern"],
    "improvement": SYMBOLS["improvement"],
    "neutral": SYMBOLS["neutral"],
    "common cause": SYMBOLS["common"],
}
MAX_CHARTS = 4  # findings shown with their SPC chart; the rest are one line each
CHART_HEIGHT = 68  # a finding card's chart, in the chart's units (330 wide): two sides of A4
MAX_ROWS_PER_PROCESS = 3
MAX_PEERS = 4  # standing against London: the furthest from London


def resolve_borough(config: Config, name: str) -> str:
    """Any configured spelling of a borough -> its canonical name (the config's one lookup,
    with its wording), as this layer's BriefingError."""
    try:
        return config.resolve_borough(name)
    except ConfigError as exc:
        raise BriefingError(str(exc)) from None


# --- reading the scan result -------------------------------------------------------------------


class _Lookup:
    """The scan frames for a few areas, as dicts keyed by series, for quick reading.

    SPC points are read per area on first use (only the borough's are charted): reading
    every point of the borough, its BCU and London row by row was most of a context's cost.
    """

    def __init__(self, result: ScanResult, areas: list[str]):
        self._all_points = result.points
        self._points: dict[str, dict[tuple, list[ChartPoint]]] = {}
        self.comparisons: dict[tuple, dict] = {}
        if result.comparisons.height:
            frame = result.comparisons.filter(pl.col("area").is_in(areas))
            cols = [
                "area",
                *SERIES,
                "window",
                "current",
                "previous",
                "change",
                "change_pct",
                "p_value",
                "flagged",
                "kind",
                "break_note",
            ]
            for row in frame.select(cols).iter_rows(named=True):
                self.comparisons[
                    (row["area"], row["measure"], row["level"], row["category"], row["window"])
                ] = row
        self.status: dict[tuple, dict] = {}
        if result.status.height:
            frame = result.status.filter(pl.col("area").is_in(areas))
            for row in frame.iter_rows(named=True):
                self.status[(row["area"], row["measure"], row["level"], row["category"])] = row
        self.standing: dict[tuple, dict] = {}
        if result.standing.height:
            frame = result.standing.filter(pl.col("area").is_in(areas))
            for row in frame.iter_rows(named=True):
                self.standing[(row["area"], row["measure"], row["level"], row["category"])] = row

    def _points_of(self, area: str) -> dict[tuple, list[ChartPoint]]:
        if area not in self._points:
            by_series: dict[tuple, list[ChartPoint]] = {}
            if self._all_points.height:
                frame = (
                    self._all_points.filter(
                        (pl.col("area") == area) & pl.col("value").is_not_null()
                    )
                    .sort(*SERIES, "month")
                    .select(*SERIES, "month", "value", "mean", "lpl", "upl", "point_type")
                )
                for measure, level, category, *point in zip(
                    *(frame.get_column(c).to_list() for c in frame.columns), strict=True
                ):
                    by_series.setdefault((measure, level, category), []).append(ChartPoint(*point))
            self._points[area] = by_series
        return self._points[area]

    def chart_points(self, area: str, key: tuple) -> list[ChartPoint]:
        return list(self._points_of(area).get(tuple(key), []))


def _change(cmp: dict | None, unit: str = "") -> dict[str, Any]:
    if cmp is None or cmp["change"] is None:
        return {"text": "n/a", "significant": False, "p": "", "direction": ""}
    text = fmt_change(cmp["change"], cmp["change_pct"], cmp["kind"])
    return {
        "text": text,
        "significant": bool(cmp["flagged"]),
        "p": fmt_p(cmp["p_value"]),
        "direction": "up" if cmp["change"] > 0 else "down" if cmp["change"] < 0 else "",
        "current": fmt_value(cmp["current"], cmp["kind"], unit),
        "previous": fmt_value(cmp["previous"], cmp["kind"], unit),
        "pct": "n/a" if cmp["change_pct"] is None else f"{cmp['change_pct']:+.1f}%",
        # the change in few characters, for side-by-side tables: '-2.4%', '+0.3 pts'
        "short": (f"{cmp['change_pct']:+.1f}%" if cmp["change_pct"] is not None else "n/a")
        if cmp["kind"] == "count"
        else text.replace(" points", " pts"),
        "break_note": cmp.get("break_note") or "",
    }


def _series_name(config: Config, measure_id: str, level: str, category: str) -> str:
    measure = config.measure(measure_id)
    return series_name(measure.id, measure.label, level, category)


def method_label(method: str, window: str) -> str:
    """'SPC', 'vs last year (12 months)'"""
    label = METHODS[method].label
    return f"{label} ({window_label(window)})" if method in ("yoy", "rate", "seasonal") else label


def _value_fmt(kind: str, unit: str):
    def fmt(x: float) -> str:
        return fmt_value(x, kind, unit) if kind != "count" else f"{x:,.0f}"

    return fmt


# --- sections ------------------------------------------------------------------------------------


def _priority_rows(
    result: ScanResult, config: Config, look: _Lookup, borough: str, group: str
) -> list[dict]:
    frame = result.priorities.filter(
        (pl.col("borough") == borough) & (pl.col("group") == group)
    ).sort("order")
    rows = []
    for p in frame.iter_rows(named=True):
        key = (p["measure"], p["level"], p["category"])
        measure = config.measure(p["measure"])
        row: dict[str, Any] = {
            "label": p["label"],
            "available": bool(p["available"]),
            "note": p["note"] or "",
            "findings": p["findings"] or 0,
        }
        if not p["available"]:
            row.update(
                state="no data",
                symbol="",
                value="",
                changes={},
                spark="",
                missing=f"no data loaded for {measure.label.lower()}",
            )
            rows.append(row)
            continue
        kind = p["kind"] or measure.kind
        points = look.chart_points(borough, key)
        row.update(
            value=fmt_value(p["value"], kind, measure.unit),
            state=p["state"],
            symbol=STATE_SYMBOL.get(p["state"], ""),
            changes={
                w: _change(look.comparisons.get((borough, *key, w)), measure.unit)
                for w in ("1", "3", "12")
            },
            spark=sparkline(points, f"{p['label']}, last {len(points)} months") if points else "",
            missing="",
        )
        rows.append(row)
    return rows


STATUS_ORDER = {"new": 0, "returned": 1, "continuing": 2}


def _finding_numbers(f: dict, config: Config, unit: str) -> dict[str, str]:
    """Value, baseline and change as the headline test means them (a peer value is a rate)."""
    if f["method"] == "peer":
        if f["kind"] == "count":
            per = config.settings_for(f["measure"]).peer.per
            rate = lambda x: f"{x:,.2f} per {per:,} residents"  # noqa: E731
        else:
            rate = lambda x: fmt_value(x, f["kind"], unit)  # noqa: E731
        london = rate(f["baseline"]) if f["baseline"] is not None else "n/a"
        return {"value": rate(f["value"]), "baseline": london, "change": f"London {london}"}
    return {
        "value": fmt_value(f["value"], f["kind"], unit),
        "baseline": fmt_value(f["baseline"], f["kind"], unit) if f["baseline"] is not None else "",
        "change": fmt_change(f["change"], f["change_pct"], f["kind"]) if f["change"] is not None else "",
    }


def _finding_cards(result: ScanResult, config: Config, look: _Lookup, area: str, max_charts: int) -> dict[str, Any]:
    """One card per finding: new first, then returned, then continuing, strongest first within.

    The strongest few carry their SPC chart; the rest are one line each. Findings resolved
    since last month and the area's standing against London (context, not this month's news)
    are listed apart.
    """
    frame = result.for_area(area)
    rows = sorted(frame.iter_rows(named=True), key=lambda f: (STATUS_ORDER.get(f["status"], 3), -f["score"]))
    cards = []
    for f in rows:
        measure = config.measure(f["measure"])
        cards.append(
            {
                "id": f["finding_id"],
                "title": f["name"],
                "assessment": f["assessment"],
                "symbol": STATE_SYMBOL.get(f["assessment"], ""),
                "status": status_text(f["status"], f["months_running"], config.scan.findings.lookback_months),
                "is_new": f["status"] in ("new", "returned"),
                "enduring": bool(f["enduring"]),
                "method": method_label(f["method"], f["window"]),
                "evidence": f["evidence"],
                "covers": f["related"] or "",
                "tests": [t for t in (f["tests"] or "").split("; ") if t],
                "context": f["context"] or "",
                "learn_from": f.get("learn_from") or "",
                **_finding_numbers(f, config, measure.unit),
                "provisional": bool(f["provisional"]),
                "score": f["score"],
                "measure": f["measure"],
                "level": f["level"],
                "category": f["category"],
                "target": f["target"],
                "kind": f["kind"],
                "chart": "",
            }
        )
    charted = [c for c in cards if c["assessment"] in ("concern", "improvement")][:max_charts]
    for c in charted:
        points = look.chart_points(area, (c["measure"], c["level"], c["category"]))
        if points:
            c["chart"] = spc_chart(
                points,
                f"{c['title']}, {area}: SPC chart, {points[0].month:%b %Y} to {points[-1].month:%b %Y}",
                clamp_zero=c["kind"] == "count",
                target=c["target"],
                fmt=_value_fmt(c["kind"], config.measure(c["measure"]).unit),
                height=CHART_HEIGHT,
            )
    charted_ids = {c["id"] for c in charted}
    resolved = result.resolved.filter(pl.col("borough") == area)
    peers = result.peers.filter(pl.col("borough") == area)
    return {
        "total": len(cards),
        "n_concerns": sum(c["assessment"] == "concern" for c in cards),
        "n_improvements": sum(c["assessment"] == "improvement" for c in cards),
        "n_neutral": sum(c["assessment"] == "neutral" for c in cards),
        "n_new": sum(f["status"] == "new" for f in rows),
        "n_returned": sum(f["status"] == "returned" for f in rows),
        "n_continuing": sum(f["status"] == "continuing" for f in rows),
        "charted": charted,
        "listed": [c for c in cards if c["id"] not in charted_ids],
        "all": cards,
        "resolved": [
            {"title": r["name"], "assessment": r["assessment"], "symbol": STATE_SYMBOL.get(r["assessment"], "")}
            for r in resolved.iter_rows(named=True)
        ],
        "peers": [
            {"title": r["name"], "assessment": r["assessment"], "symbol": STATE_SYMBOL.get(r["assessment"], ""), "evidence": r["evidence"]}
            for r in peers.head(MAX_PEERS).iter_rows(named=True)
        ],
        "more_peers": max(peers.height - MAX_PEERS, 0),
    }


def _process_rows(
    result: ScanResult, config: Config, look: _Lookup, borough: str
) -> tuple[list[dict], list[str]]:
    rows: list[dict] = []
    missing: list[str] = []
    for measure in config.measures:
        if measure.family not in PROCESS_FAMILIES:
            continue
        found = [
            s
            for (area, m, _lvl, _cat), s in look.status.items()
            if area == borough and m == measure.id
        ]
        if not found:
            if measure.key:
                missing.append(measure.label)
            continue
        totals = [s for s in found if s["level"] == "total"]
        chosen = sorted(
            totals or [s for s in found if s["level"] == "minor"] or found,
            key=lambda s: s["category"],
        )
        for s in chosen[:MAX_ROWS_PER_PROCESS]:
            key = (s["measure"], s["level"], s["category"])
            points = look.chart_points(borough, key)
            target = measure.target
            rows.append(
                {
                    "key": key,
                    "label": _process_label(measure.label, s["category"]),
                    "family": measure.family.replace("_", " ").capitalize(),
                    "value": fmt_value(s["value"], s["kind"], measure.unit),
                    "target": f"{'≥' if target.comparison == '>=' else '≤'} {fmt_value(target.value, s['kind'], measure.unit)}"
                    if target
                    else "",
                    "target_met": None
                    if not target
                    else (
                        s["value"] >= target.value
                        if target.comparison == ">="
                        else s["value"] <= target.value
                    ),
                    "state": s["state"],
                    "symbol": STATE_SYMBOL.get(s["state"], ""),
                    "assurance": {
                        "consistent_pass": "reliably meets target",
                        "consistent_fail": "will miss target without change",
                        "inconsistent": "target hit and miss",
                    }.get(s.get("assurance") or "", ""),
                    "changes": {
                        w: _change(look.comparisons.get((borough, *key, w)), measure.unit)
                        for w in ("1", "12")
                    },
                    "spark": sparkline(
                        points, f"{_series_name(config, *key)}, last {len(points)} months"
                    )
                    if points
                    else "",
                    "provisional": bool(s["provisional"]),
                    # a row earns its line when it is a key measure, in a finding, special
                    # cause or missing its target; the rest are named in one line
                    "shown": measure.key
                    or bool(s.get("finding_id"))
                    or s["state"] in ("concern", "improvement", "neutral")
                    or (target is not None and not (s["value"] >= target.value if target.comparison == ">=" else s["value"] <= target.value)),
                }
            )
    return rows, missing


def _view(result: ScanResult, dataset: Dataset, config: Config, area: str, view) -> dict[str, Any] | None:
    """A configured view (serious violence): its series for the area, found or not."""
    if view is None:
        return None
    from crimefighters.scan.views import view_rows

    frame = view_rows(view, area, result.scan_month, result.status, result.comparisons, dataset.observations, config)
    rows = []
    for r in frame.iter_rows(named=True):
        unit = config.measure(r["measure"]).unit
        kind = r["kind"] or config.measure(r["measure"]).kind
        change = None
        if r["change_12"] is not None:
            change = {"text": fmt_change(r["change_12"], r["change_pct_12"], kind), "significant": bool(r["flagged_12"])}
        rows.append(
            {
                "label": r["label"],
                "available": bool(r["available"]),
                "value": fmt_value(r["value"], kind, unit) if r["available"] else "",
                "twelve": fmt_value(r["current_12"], kind, unit) if r["current_12"] is not None else "",
                "change": change,
                "state": r["state"] or "",
                "symbol": STATE_SYMBOL.get(r["state"] or "", ""),
                "in_finding": r["finding_id"] is not None,
                "outcome": (fmt_value(r["outcome_rate"], "proportion") + (" (provisional)" if r["outcome_provisional"] else ""))
                if r["outcome_rate"] is not None
                else "",
                "note": r["note"] or "",
            }
        )
    shown = [r for r in rows if r["available"]]
    missing = [r["label"] + (f" ({r['note']})" if r["note"].startswith("no data for") else "") for r in rows if not r["available"]]
    return {"label": view.label, "note": view.note, "rows": shown, "missing": missing, "any": bool(shown)}


def _process_label(label: str, category: str) -> str:
    """'Public confidence (MOPAC Public Attitude Survey)' + 'Trust MPS' -> 'Public confidence: Trust MPS'."""
    if category in ("All", ""):
        return label
    return f"{label.split(' (')[0]}: {category}"


def _comparison_rows(
    config: Config,
    look: _Lookup,
    borough: str,
    bcu: str | None,
    priority_keys: list[tuple[str, tuple]],
) -> list[dict]:
    rows = []
    keys = [("Total notifiable offences", ("recorded_crime", "total", "Total notifiable offences"))]
    keys += priority_keys
    for measure in config.measures:
        if measure.family in PROCESS_FAMILIES and measure.key:
            for (area, m, lvl, cat), _s in look.status.items():
                if (
                    area == borough
                    and m == measure.id
                    and lvl in ("minor", "total")
                    and cat in ("All", "")
                ):
                    keys.append((measure.label, (m, lvl, cat)))
    seen = set()
    for label, key in keys:
        if key in seen or (borough, *key) not in look.status:
            continue
        seen.add(key)
        measure = config.measure(key[0])
        cells = []
        for area in (borough, bcu, "London"):
            status = look.status.get((area, *key)) if area else None
            cmp12 = look.comparisons.get((area, *key, "12")) if area else None
            cells.append(
                {
                    "value": fmt_value(status["value"], status["kind"], measure.unit)
                    if status
                    else "n/a",
                    "change12": _change(cmp12, measure.unit),
                }
            )
        rows.append(
            {
                "label": label,
                "borough": cells[0],
                "bcu": cells[1],
                "london": cells[2],
                "standing": _standing(look, borough, key, measure.unit),
            }
        )
    return rows


def _standing(look: _Lookup, area: str, key: tuple, unit: str) -> dict[str, str]:
    """An area's 12-month rate, its rank among its kind, London's and its family's, in words."""
    s = look.standing.get((area, *key))
    if s is None:
        return {"rate": "n/a", "rank": "", "london": "", "family": "", "family_rank": "", "basis": ""}
    rate = lambda x: fmt_rate(x, s["basis"], s["kind"], unit)  # noqa: E731
    return {
        "rate": rate(s["value"]),
        "rank": rank_text(s["rank"], s["ranked"], s["rank_order"]),
        "london": rate(s["london"]),
        "family": f"{s['family']} {rate(s['family_value'])}" if s["family"] else "",
        "family_name": s["family"] or "",
        "family_rate": rate(s["family_value"]) if s["family"] else "",
        "family_rank": rank_text(s["family_rank"], s["family_ranked"], s["rank_order"])
        if s["family"]
        else "",
        "basis": STANDING_BASIS[s["basis"]].format(per=s["per"] or 1000),
    }


def _where(loaded: LoadedConfig, *key: str) -> str:
    """'config/scan.yaml:9': short enough for a footer, still enough to find the line."""
    where = loaded.where(*key)
    path, sep, line = where.rpartition(":")
    if not sep or not line.isdigit():
        return where
    p = Path(path)
    try:
        shown = p.relative_to(Path.cwd())
    except ValueError:
        shown = Path(p.parent.name) / p.name
    return f"{shown}:{line}"


def definitions(loaded: LoadedConfig) -> list[dict]:
    """How findings are made: each method's definition with the thresholds in force (from the
    methods' registry), how the month's tests are controlled, and where each is set."""
    config = loaded.config
    scan = config.scan
    settings = {
        f"{section}_{key}": value
        for section in ("spc", "yoy", "seasonal", "rate", "peer")
        for key, value in getattr(scan, section).model_dump().items()
    }
    items = [
        {"name": METHODS[m].label if m != "spc" else "SPC (Making Data Count)", "text": method_definition(m, settings), "where": _where(loaded, "scan", m)}
        for m in METHODS
        if m in scan.methods and m != "target"
    ]
    f = scan.findings
    control = {
        "pfer": f"each test must reach p < {f.false_findings_per_area:g} / (the area's number of tests this month), so on average at most "
        f"{f.false_findings_per_area:g} finding{'s' if f.false_findings_per_area != 1 else ''} per area per month is a false alarm",
        "bh": f"Benjamini-Hochberg at q = {f.q:g} over the area's tests this month",
        "none": "each method's own significance level",
    }[f.control]
    items.append(
        {
            "name": "Findings",
            "text": f"The tests on one change are one finding (a category with those containing it, moving the same way); "
            f"{control}. New, continuing and returned against the previous {f.lookback_months} months.",
            "where": _where(loaded, "scan", "findings"),
        }
    )
    overridden = sorted(scan.overrides)
    if overridden:
        items[-1]["text"] += " Settings differ for " + ", ".join(config.measure(m).label for m in overridden) + "."
    pr = scan.provisional
    items.append(
        {
            "name": "Provisional months",
            "text": f"The newest month of a release runs low: a fall must survive adding back {pr.expected_shortfall_pct:g}%"
            + f"; positive outcomes are provisional for {config.outcomes.provisional_months} months and their falls not tested.",
            "where": _where(loaded, "scan", "provisional"),
        }
    )
    return items


def _sources(dataset: Dataset) -> list[dict]:
    """Files grouped by the months they cover: 'a.csv, b.csv (Oct 2022 to Sep 2026)'."""
    groups: dict[str, list] = {}
    for f in dataset.report.files:
        months = (
            f"{f.first_month:%b %Y} to {f.last_month:%b %Y}"
            if f.first_month and f.last_month
            else "no months"
        )
        groups.setdefault(months, []).append(f)
    return [
        {
            "name": ", ".join(f.path.name for f in files),
            "format": ", ".join(sorted({f.format for f in files})),
            "months": months,
        }
        for months, files in groups.items()
    ]


def _sources_summary(dataset: Dataset) -> str:
    files = dataset.report.files
    if not files:
        return "none loaded"
    firsts = [f.first_month for f in files if f.first_month]
    lasts = [f.last_month for f in files if f.last_month]
    span = f"{min(firsts):%b %Y} to {max(lasts):%b %Y}" if firsts and lasts else "no months"
    if len(files) <= 2:
        return f"{', '.join(f.path.name for f in files)} ({span})"
    return f"{len(files)} files, {span} (listed at the end)"


def _provisional(result: ScanResult, config: Config, areas: list[str]) -> list[str]:
    status = result.status
    if status.height == 0:
        return []
    prov = (
        status.filter(pl.col("area").is_in(areas) & pl.col("provisional"))
        .select("measure")
        .unique()
        .sort("measure")
    )
    return [config.measure(m).label for m in prov["measure"]]


def _loaded_measures(result: ScanResult, areas: list[str]) -> list[str]:
    if result.status.height == 0:
        return []
    return result.status.filter(pl.col("area").is_in(areas))["measure"].unique().to_list()


def _some(labels: list[str], of: int) -> str:
    if len(labels) == of and of > 3:
        return f"every measure loaded ({of})"
    if len(labels) <= 3:
        return ", ".join(labels)
    return f"{', '.join(labels[:2])} and {len(labels) - 2} other measures"


def _common(
    result: ScanResult, dataset: Dataset, loaded: LoadedConfig, areas: list[str]
) -> dict[str, Any]:
    config = loaded.config
    month = result.scan_month
    provisional = _provisional(result, config, areas)
    shortfall = config.scan.provisional.expected_shortfall_pct
    return {
        "month": f"{month:%Y-%m}",
        "month_name": month_name(month),
        "generated": f"{datetime.now():%d %B %Y %H:%M}",
        "sources": _sources(dataset),
        "sources_summary": _sources_summary(dataset),
        "provisional": provisional,
        "provisional_note": (
            f"{month_name(month)} is provisional for {_some(provisional, len(_loaded_measures(result, areas)))}: the newest month of its release, "
            f"usually revised up by 1-{shortfall:g}% in later releases. Falls in it are treated with caution."
            if provisional
            else ""
        ),
        "definitions": definitions(loaded),
        "configuration": loaded.description,
        "notes": list(result.notes),
        "symbols": SYMBOLS,
        # Every page of a briefing made from the synthetic sample says so (data/synthetic.py).
        "synthetic": dataset.synthetic,
        "synthetic_label": SYNTHETIC_LABEL,
        "synthetic_note": SYNTHETIC_NOTE,
    }


def build_context(
    result: ScanResult,
    dataset: Dataset,
    loaded_config: LoadedConfig,
    borough: str,
    *,
    max_charts: int = MAX_CHARTS,
    meeting: MeetingView | None = None,
) -> dict:
    """Everything one borough's briefing shows, as plain values and ready-made SVG.

    ``meeting``: what the meeting store says about the borough this month
    (``briefing.meeting.read_meeting_views``); without it the actions section says none are
    recorded."""
    config = loaded_config.config
    borough = resolve_borough(config, borough)
    bcu = config.bcu_of(borough)
    look = _Lookup(result, [a for a in (borough, bcu, "London") if a])
    local = _priority_rows(result, config, look, borough, "local")
    high_harm = _priority_rows(result, config, look, borough, "high_harm")
    themes = _priority_rows(result, config, look, borough, "theme")
    processes, missing_processes = _process_rows(result, config, look, borough)
    quiet_processes = [p["label"] for p in processes if not p["shown"]]
    processes = [p for p in processes if p["shown"]]
    frame = result.priorities.filter(
        (pl.col("borough") == borough) & pl.col("group").is_in(["local"])
    ).sort("order")
    priority_keys = [
        (r["label"], (r["measure"], r["level"], r["category"])) for r in frame.iter_rows(named=True)
    ]
    context = _common(result, dataset, loaded_config, [borough])
    no_data = [r["label"] for r in [*local, *high_harm] if not r["available"]]
    context.update(
        kind="borough",
        title=f"{borough} CrimeFighters briefing, {context['month_name']}",
        borough=borough,
        bcu=bcu or "",
        themes=themes,
        theme_source=_theme_source(config, result.scan_month),
        local_priorities=local,
        high_harm=high_harm,
        priorities_without_data=no_data,
        findings=_finding_cards(result, config, look, borough, max_charts),
        serious_violence=_view(result, dataset, config, borough, config.views.serious_violence),
        meeting=meeting_section(result, config, borough, meeting),
        key_processes=processes,
        quiet_processes=quiet_processes,
        missing_processes=missing_processes,
        comparison=_comparison_rows(config, look, borough, bcu, priority_keys),
        family=config.family_of(borough) or "",
        peers_of_kind=len(config.borough_names()),
    )
    return context


def _theme_source(config: Config, month: date) -> str:
    for block in config.themes.schedule:
        if block.start <= f"{month:%Y-%m}" <= block.end:
            return f"{block.start} to {block.end}" + (f" ({block.source})" if block.source else "")
    return ""


# --- the London summary page -------------------------------------------------------------------


def build_london_context(result: ScanResult, dataset: Dataset, loaded_config: LoadedConfig) -> dict:
    """London: rolling 12 months by category, each borough's local priorities against last year."""
    config = loaded_config.config
    context = _common(result, dataset, loaded_config, config.borough_names())
    cmp = result.comparisons
    by_category: list[dict] = []
    if cmp.height:
        london = cmp.filter(
            (pl.col("area_type") == "london")
            & (pl.col("measure") == "recorded_crime")
            & (pl.col("window") == "12")
            & pl.col("level").is_in(["total", "major"])
        ).sort(pl.col("level") != "total", "category")
        for r in london.iter_rows(named=True):
            by_category.append(
                {"label": r["category"], "total": r["level"] == "total", **_change(r, "offences")}
            )
    counts = {r["borough"]: r for r in result.counts().iter_rows(named=True)} if result.findings.height else {}
    boroughs = []
    twelve: dict[tuple, dict] = {}
    if cmp.height:
        for r in cmp.filter(
            (pl.col("area_type") == "borough") & (pl.col("window") == "12")
        ).iter_rows(named=True):
            twelve[(r["area"], r["measure"], r["level"], r["category"])] = r
    priorities = result.priorities.filter(pl.col("group") == "local").sort("borough", "order")
    by_borough: dict[str, list[dict]] = {}
    for p in priorities.iter_rows(named=True):
        key = (p["borough"], p["measure"], p["level"], p["category"])
        by_borough.setdefault(p["borough"], []).append(
            {"label": p["label"], "available": bool(p["available"]), **_change(twelve.get(key))}
        )
    for name in config.borough_names():
        c = counts.get(name, {})
        boroughs.append(
            {
                "borough": name,
                "bcu": config.bcu_of(name) or "",
                "concerns": c.get("concerns", 0),
                "improvements": c.get("improvements", 0),
                "new": c.get("new", 0),
                "priorities": by_borough.get(name, []),
            }
        )
    context.update(
        kind="london",
        title=f"London CrimeFighters summary, {context['month_name']}",
        borough="London",
        by_category=by_category,
        boroughs=sorted(boroughs, key=lambda b: b["borough"]),
        improvements=_london_improvements(result, config),
        n_improvements=result.findings.filter(
            (pl.col("area_type") == "borough") & (pl.col("assessment") == "improvement")
        ).height,
    )
    return context


# --- a BCU: its own findings and its boroughs side by side ------------------------------------

MAX_BCU_CHARTS = 2
MAX_BOROUGH_LINES = 4  # each borough's findings listed in a BCU briefing


def _area_cell(look: _Lookup, area: str, key: tuple, unit: str) -> dict[str, Any]:
    """One area's value this month, 12-month change and state, for a side-by-side table."""
    status = look.status.get((area, *key))
    if status is None:
        return {"available": False, "value": "n/a", "change12": _change(None), "state": "no data", "symbol": ""}
    return {
        "available": True,
        "value": fmt_value(status["value"], status["kind"], unit),
        "change12": _change(look.comparisons.get((area, *key, "12")), unit),
        "state": status["state"],
        "symbol": STATE_SYMBOL.get(status["state"], ""),
    }


def _side_by_side(rows: list[dict], look: _Lookup, config: Config, boroughs: list[str], holders: dict[str, list[str]]) -> None:
    """Adds each borough's cell to the BCU's priority or process rows (in place)."""
    for row in rows:
        key = row.get("key")
        if key is None:
            row["boroughs"] = [{"available": False, "value": "", "change12": _change(None), "state": "no data", "symbol": ""} for _ in boroughs]
            continue
        unit = config.measure(key[0]).unit
        row["boroughs"] = [
            {**_area_cell(look, b, key, unit), "own": b in holders.get(row.get("priority_id") or "", [])}
            for b in boroughs
        ]


def _bcu_priority_rows(result: ScanResult, config: Config, look: _Lookup, bcu: str, group: str) -> list[dict]:
    frame = result.priorities.filter((pl.col("borough") == bcu) & (pl.col("group") == group)).sort("order")
    rows = _priority_rows(result, config, look, bcu, group)
    for row, p in zip(rows, frame.iter_rows(named=True), strict=True):
        row["key"] = (p["measure"], p["level"], p["category"])
        row["priority_id"] = p["priority_id"]
        row["standing"] = _standing(look, bcu, row["key"], config.measure(p["measure"]).unit)
        row["available_any"] = row["available"]
    return rows


def _borough_findings(result: ScanResult, config: Config, borough: str) -> dict[str, Any]:
    frame = result.for_area(borough)
    rows = sorted(frame.iter_rows(named=True), key=lambda f: (STATUS_ORDER.get(f["status"], 3), -f["score"]))
    lines = [
        {
            "title": f["name"],
            "assessment": f["assessment"],
            "symbol": STATE_SYMBOL.get(f["assessment"], ""),
            "status": status_text(f["status"], f["months_running"]),
            "is_new": f["status"] in ("new", "returned"),
            **_finding_numbers(f, config, config.measure(f["measure"]).unit),
            "method": method_label(f["method"], f["window"]),
            "learn_from": f.get("learn_from") or "",
        }
        for f in rows
    ]
    return {
        "borough": borough,
        "n_concerns": sum(f["assessment"] == "concern" for f in rows),
        "n_improvements": sum(f["assessment"] == "improvement" for f in rows),
        "n_new": sum(f["status"] == "new" for f in rows),
        "lines": lines[:MAX_BOROUGH_LINES],
        "more": max(len(lines) - MAX_BOROUGH_LINES, 0),
    }


def build_bcu_context(
    result: ScanResult,
    dataset: Dataset,
    loaded_config: LoadedConfig,
    bcu: str,
    *,
    max_charts: int = MAX_BCU_CHARTS,
) -> dict:
    """Everything one BCU's briefing shows: the BCU's own findings (its series are its
    boroughs' summed), and its boroughs side by side in priorities, key processes and findings."""
    from crimefighters.scan.priorities import local_priority_holders

    config = loaded_config.config
    boroughs = config.boroughs_in_bcu(bcu)
    look = _Lookup(result, [bcu, *boroughs, "London"])
    holders = local_priority_holders(config, bcu)
    local = _bcu_priority_rows(result, config, look, bcu, "local")
    high_harm = _bcu_priority_rows(result, config, look, bcu, "high_harm")
    themes = _priority_rows(result, config, look, bcu, "theme")
    for rows in (local, high_harm):
        _side_by_side(rows, look, config, boroughs, holders)
    processes, missing_processes = _process_rows(result, config, look, bcu)
    _side_by_side(processes, look, config, boroughs, {})
    for row in processes:
        row["standing"] = _standing(look, bcu, row["key"], config.measure(row["key"][0]).unit)
    priority_keys = [(r["label"], r["key"]) for r in local]
    comparison = _comparison_rows(config, look, bcu, None, priority_keys)
    context = _common(result, dataset, loaded_config, [bcu, *boroughs])
    context.update(
        kind="bcu",
        title=f"{bcu} BCU CrimeFighters briefing, {context['month_name']}",
        borough=bcu,
        bcu=bcu,
        boroughs=boroughs,
        themes=themes,
        theme_source=_theme_source(config, result.scan_month),
        local_priorities=local,
        high_harm=high_harm,
        priorities_without_data=[r["label"] for r in [*local, *high_harm] if not r["available"]],
        findings=_finding_cards(result, config, look, bcu, max_charts),
        borough_findings=[_borough_findings(result, config, b) for b in boroughs],
        key_processes=processes,
        missing_processes=missing_processes,
        comparison=comparison,
        family=config.family_of(bcu) or "",
        peers_of_kind=len(config.bcu_names()),
    )
    return context


# --- the London overview page, and which context an area gets -----------------------------------


def build_overview_context(result: ScanResult, dataset: Dataset, loaded_config: LoadedConfig) -> dict:
    """The London overview matrix (``scan.overview``) as a page: areas x key measures."""
    from crimefighters.scan.overview import key_measures, overview_matrix

    config = loaded_config.config
    matrix = overview_matrix(result.findings, result.status, config)
    headings = [h for _, h in key_measures(config)]
    context = _common(result, dataset, loaded_config, [*config.borough_names(), *config.bcu_names(), "London"])
    context.update(
        kind="overview",
        title=f"London overview, {context['month_name']}",
        borough="London",
        headings=headings,
        states=[state_cell_text(s) for s in ("concern", "improvement", "neutral", "common cause", "not charted", "no data")],
        rows=[
            {
                "area": r["area"],
                "area_type": r["area_type"],
                "concerns": r["concerns"],
                "improvements": r["improvements"],
                "new": r["new"],
                "cells": [{"text": r[h], "state": r[h].split(" ", 1)[1] if " " in r[h] else ""} for h in headings],
            }
            for r in matrix.iter_rows(named=True)
        ],
    )
    return context


def _london_improvements(result: ScanResult, config: Config, limit: int = 10) -> list[dict]:
    """The month's improvements across the boroughs, ranked (``scan.learning``)."""
    from crimefighters.scan.learning import ranked_improvements

    ranked = ranked_improvements(result.findings)
    return [
        {
            "rank": r["rank"],
            "borough": r["borough"],
            "title": r["name"],
            "status": status_text(r["status"], r["months_running"]),
            "method": method_label(r["method"], r["window"]),
            **_finding_numbers(r, config, config.measure(r["measure"]).unit),
        }
        for r in ranked.head(limit).iter_rows(named=True)
    ]


def build_area_context(
    result: ScanResult, dataset: Dataset, loaded_config: LoadedConfig, area: str, meeting: MeetingView | None = None
) -> dict:
    """The briefing of any area: a borough's, a BCU's, or the London summary."""
    config = loaded_config.config
    try:
        name = config.resolve_area(area, ("borough", "bcu", "london"))
    except ConfigError as exc:
        raise BriefingError(str(exc)) from None
    kind = config.area_type(name)
    if kind == "london":
        return build_london_context(result, dataset, loaded_config)
    if kind == "bcu":
        return build_bcu_context(result, dataset, loaded_config, name)
    return build_context(result, dataset, loaded_config, name, meeting=meeting)
