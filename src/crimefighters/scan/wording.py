"""Plain-English numbers and periods for evidence sentences, the TUI and the briefing."""

from __future__ import annotations

from datetime import date

from crimefighters.scan.series import month_add

WINDOW_PHRASES = {
    "1": "in {month}",
    "3": "in the 3 months to {month}",
    "12": "in the 12 months to {month}",
    "fytd": "in the financial year to {month}",
}


def month_name(month: date) -> str:
    return f"{month:%B %Y}"


def window_phrase(window: str, month: date) -> str:
    return WINDOW_PHRASES.get(window, "in {month}").format(month=month_name(month))


def period_range(window: str, scan_month: date, length: int) -> str:
    start = month_add(scan_month, -(length - 1))
    return f"{start:%Y-%m}..{scan_month:%Y-%m}"


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
