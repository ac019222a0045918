"""The words every front-end shows: series names, windows, states, statuses, numbers.

The CLI, the TUI and the briefing all name things through this module, so a finding is
called the same in the meeting room, in the papers and in an export (tests/test_naming.py
compares them). Method and rule labels live in ``crimefighters.scan.methods`` (the registry).
Headless: no Textual, no Polars.
"""

from __future__ import annotations

from datetime import date

from crimefighters.months import month_add

# --- windows ------------------------------------------------------------------------------

WINDOW_LABELS = {"1": "month", "3": "3 months", "12": "12 months", "fytd": "financial year to date"}
WINDOW_SHORT = {"1": "month", "3": "3m", "12": "12m", "fytd": "FYTD"}
WINDOW_PHRASES = {
    "1": "in {month}",
    "3": "in the 3 months to {month}",
    "12": "in the 12 months to {month}",
    "fytd": "in the financial year to {month}",
}


def month_name(month: date) -> str:
    return f"{month:%B %Y}"


def window_label(window: str) -> str:
    return WINDOW_LABELS.get(window, window)


def window_phrase(window: str, month: date) -> str:
    return WINDOW_PHRASES.get(window, "in {month}").format(month=month_name(month))


def period_range(window: str, scan_month: date, length: int) -> str:
    start = month_add(scan_month, -(length - 1))
    return f"{start:%Y-%m}..{scan_month:%Y-%m}"


# --- series ---------------------------------------------------------------------------------

TOTAL_LABEL = "Total notifiable offences"


def series_name(measure_id: str, measure_label: str, level: str, category: str) -> str:
    """How a series is called: 'Robbery', 'Total notifiable offences', 'Positive outcome rate',
    'Public confidence: "Good Job" local'."""
    if category in ("All", ""):
        return measure_label
    if level == "total":
        return category
    if measure_id == "recorded_crime" or level == "priority":
        return category
    return f"{measure_label}: {category}"


def finding_id_name(finding_id: str) -> str:
    """A finding known only by its id (open months ago, beyond what the scan looks back on):
    the series family its id names, 'Robbery' for 'Lambeth|recorded_crime|robbery|up'."""
    parts = finding_id.split("|")
    return parts[2].replace("_", " ").capitalize() if len(parts) == 4 else finding_id


# --- states and statuses ----------------------------------------------------------------------

# (symbol, word): the symbol carries the meaning without colour (NO_COLOR, a projector)
STATES = {
    "concern": ("!", "concern"),
    "improvement": ("✓", "improvement"),
    "neutral": ("◆", "neutral"),
    "common cause": ("·", "common cause"),
    "not charted": ("∅", "not charted"),
    "no data": ("–", "no data loaded"),
}
DIRECTION_ARROWS = {"up": "↑", "down": "↓"}
STATUS_LABELS = {
    "new": "new",
    "continuing": "continuing",
    "returned": "returned",
    "resolved": "resolved",
}


def status_text(status: str, months_running: int | None = None, looked_back: int | None = None) -> str:
    """'new', 'continuing, 3 months', 'continuing, 7+ months' (as far back as the scan looks:
    ``looked_back`` months before this one), 'returned', 'resolved'."""
    if status == "continuing" and months_running:
        more = "+" if looked_back is not None and months_running > looked_back else ""
        return f"continuing, {months_running}{more} months"
    return STATUS_LABELS.get(status, status)


# The order a meeting takes findings in: what is new first, then what came back, then what
# continues (strongest evidence first within each).
STATUS_ORDER = {"new": 0, "returned": 1, "continuing": 2}


def finding_order(status: str, score: float | None) -> tuple[int, float]:
    """Sort key of a finding: new, returned, continuing; strongest evidence first within."""
    return (STATUS_ORDER.get(status, 3), -(score or 0.0))


def action_status_text(status: str, due_month: date, month: date) -> str:
    """An action as the meeting of ``month`` sees it: 'due now', 'overdue (due July 2026)',
    'open (due November 2026)', 'done', 'dropped'. ``status``: as at that meeting."""
    if status != "open":
        return status
    if due_month == month:
        return "due now"
    if due_month < month:
        return f"overdue (due {month_name(due_month)})"
    return f"open (due {month_name(due_month)})"


def state_words(assessment: str, direction: str | None = None) -> str:
    """'! concern ↑'"""
    symbol, word = STATES.get(assessment, STATES["neutral"])
    arrow = DIRECTION_ARROWS.get(direction or "", "")
    return f"{symbol} {word} {arrow}".rstrip()


# --- measures and priorities in tight places -----------------------------------------------------

# Column headings of the London overview (a measure's label is too long for a column).
MEASURE_SHORT_LABELS = {
    "recorded_crime": "Crime (TNO)",
    "asb_incidents": "ASB",
    "positive_outcome_rate": "Outcome %",
    "response_i_compliance": "I-grade",
    "response_s_compliance": "S-grade",
    "vcop_updated": "VCOP",
    "victim_satisfaction": "Satisfaction",
    "pas_confidence": "Confidence",
}
PRIORITY_GROUPS = {"local": "Local", "high_harm": "High harm", "theme": "Theme"}


def short_label(measure_id: str, label: str) -> str:
    return MEASURE_SHORT_LABELS.get(measure_id, label if len(label) <= 12 else label[:11] + "…")


# --- numbers --------------------------------------------------------------------------------


def fmt_value(value: float | None, kind: str, unit: str = "") -> str:
    """Counts as whole numbers, proportions as percentages, durations with their unit."""
    if value is None:
        return "n/a"
    if kind == "proportion":
        return f"{value * 100:.1f}%"
    if kind == "duration":
        return f"{value:,.1f} {unit}".strip()
    if kind == "rate":
        return f"{value:,.2f}"
    if abs(value - round(value)) < 1e-9:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def fmt_change(change: float | None, change_pct: float | None, kind: str) -> str:
    """'+63 (+18.1%)', '-5.5 points', or '+4 (n/a)' where the baseline is 0."""
    if change is None:
        return "n/a"
    if kind == "proportion":
        return f"{change * 100:+.1f} points"
    if kind == "duration":
        return f"{change:+,.1f}"
    pct = "n/a" if change_pct is None else f"{change_pct:+.1f}%"
    number = f"{change:+,.0f}" if abs(change - round(change)) < 1e-9 else f"{change:+,.1f}"
    return f"{number} ({pct})"


def fmt_p(p: float | None) -> str:
    if p is None:
        return ""
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}"


# --- areas, standing and learning --------------------------------------------------------------

AREA_TYPE_WORDS = {"borough": "borough", "bcu": "BCU", "london": "London"}
AREA_TYPE_PLURALS = {"borough": "boroughs", "bcu": "BCUs", "london": "London"}
# the key measures as a column heading (London overview, exports); the measure label otherwise
MEASURE_SHORT_LABELS = {
    "recorded_crime": "Crime (TNO)",
    "asb_incidents": "ASB",
    "positive_outcome_rate": "Outcome %",
    "response_i_compliance": "I-grade",
    "response_s_compliance": "S-grade",
    "vcop_updated": "VCOP",
    "victim_satisfaction": "Satisfaction",
    "pas_confidence": "Confidence",
    "cdi_compliance": "CDI",
}


def state_cell_text(state: str | None) -> str:
    """'! concern', '✓ improvement', '· common cause', '– no data loaded'."""
    symbol, word = STATES.get(state or "no data", STATES["no data"])
    return f"{symbol} {word}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_text(rank: int | None, ranked: int | None, order: str = "best") -> str:
    """'3rd best of 32', '1st highest of 12'; '' without a rank."""
    if rank is None or ranked is None:
        return ""
    return f"{ordinal(rank)} {order} of {ranked}"


STANDING_BASIS = {
    "per_residents": "per {per:,} residents, 12 months",
    "pooled": "12 months",
    "mean": "mean of the 12 months",
}


def fmt_rate(value: float | None, basis: str, kind: str, unit: str = "") -> str:
    """A standing figure: '4.52' per residents, '23.4%' for proportions, '7.1 minutes'."""
    if value is None:
        return "n/a"
    if basis == "per_residents":
        return f"{value:,.2f}"
    return fmt_value(value, kind, unit)


LEARN_WINDOWS = {
    "1": "in the month",
    "3": "over 3 months",
    "12": "over 12 months",
    "fytd": "over the financial year to date",
}


def learn_from_text(window: str, peers: list[dict]) -> str:
    """'over 12 months: Lambeth -25.6% (1,738 against 2,335; p < 0.001); Camden ...' or ''.

    ``peers``: dicts with area, value, baseline, change, change_pct, kind, p_value, best first."""
    if not peers:
        return ""
    parts = []
    for p in peers:
        kind = p["kind"] or "count"
        if kind == "count" and p["change_pct"] is not None:
            size = f"{p['change_pct']:+.1f}%"
        else:
            size = fmt_change(p["change"], p["change_pct"], kind)
        numbers = f"{fmt_value(p['value'], kind)} against {fmt_value(p['baseline'], kind)}"
        p_text = fmt_p(p["p_value"])
        parts.append(f"{p['area']} {size} ({numbers}{'; ' + p_text if p_text else ''})")
    return f"{LEARN_WINDOWS.get(window, window_label(window))}: " + "; ".join(parts)


def counted(n: int, noun: str) -> str:
    """'1 concern', '3 concerns', '0 concerns'."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
