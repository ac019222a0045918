"""Small inline SVG charts for the briefing: a sparkline and an SPC (XmR) chart.

The charts draw what the scan computed (values, centre line, limits, point types); they never
compute a statistic. Colours follow "Making Data Count": improvement blue, concern orange,
common cause grey, neutral purple. Colour is never the only cue: special-cause points also
have a shape (concern: triangle, improvement: square, neutral: diamond) and every chart has a
text title the reader can use without seeing the colours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

COLOURS = {
    "improvement": "#2a70b8",
    "concern": "#e07b00",
    "neutral": "#6f3f9e",
    "common": "#8c8c8c",
    "line": "#5a5a5a",
    "mean": "#1f1f1f",
    "limit": "#9a9a9a",
    "target": "#2b8a3e",
}

SYMBOLS = {"improvement": "■", "concern": "▲", "neutral": "◆", "common": "●"}


def state_of(point_type: str | None) -> str:
    """NHSRplotthedots point type -> 'improvement' | 'concern' | 'neutral' | 'common'."""
    if not point_type:
        return "common"
    if point_type == "special_cause_improvement":
        return "improvement"
    if point_type == "special_cause_concern":
        return "concern"
    if point_type.startswith("special_cause_neutral"):
        return "neutral"
    return "common"


@dataclass(frozen=True)
class ChartPoint:
    month: date
    value: float
    mean: float | None = None
    lower: float | None = None
    upper: float | None = None
    point_type: str | None = None


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _marker(state: str, x: float, y: float, size: float) -> str:
    colour = COLOURS[state]
    if state == "concern":
        h = size * 1.25
        return (
            f'<polygon points="{_num(x)},{_num(y - h)} {_num(x - h)},{_num(y + h * 0.8)} '
            f'{_num(x + h)},{_num(y + h * 0.8)}" fill="{colour}"/>'
        )
    if state == "improvement":
        return (
            f'<rect x="{_num(x - size)}" y="{_num(y - size)}" width="{_num(2 * size)}" '
            f'height="{_num(2 * size)}" fill="{colour}"/>'
        )
    if state == "neutral":
        d = size * 1.3
        return (
            f'<polygon points="{_num(x)},{_num(y - d)} {_num(x + d)},{_num(y)} {_num(x)},{_num(y + d)} '
            f'{_num(x - d)},{_num(y)}" fill="{colour}"/>'
        )
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(size * 0.75)}" fill="{colour}"/>'


def _scale(lo: float, hi: float, top: float, bottom: float):
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    span = hi - lo

    def y(value: float) -> float:
        return bottom - (value - lo) / span * (bottom - top)

    return y


def sparkline(points: list[ChartPoint], label: str, width: int = 72, height: int = 16) -> Markup:
    """A trend line with the last point marked by its SPC state (shape and colour)."""
    if len(points) < 2:
        return Markup("")
    values = [p.value for p in points]
    lo, hi = min(values), max(values)
    pad = 2
    y = _scale(lo, hi, pad, height - pad)
    step = (width - 2 * pad) / (len(points) - 1)
    xs = [pad + i * step for i in range(len(points))]
    line = " ".join(f"{_num(x)},{_num(y(v))}" for x, v in zip(xs, values, strict=True))
    last = points[-1]
    state = state_of(last.point_type)
    parts = [
        f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
    ]
    if last.mean is not None:
        parts.append(
            f'<line x1="{pad}" x2="{width - pad}" y1="{_num(y(last.mean))}" y2="{_num(y(last.mean))}" '
            f'stroke="{COLOURS["limit"]}" stroke-width="0.6" stroke-dasharray="2,2"/>'
            if lo <= last.mean <= hi
            else ""
        )
    parts.append(
        f'<polyline points="{line}" fill="none" stroke="{COLOURS["line"]}" stroke-width="1.2"/>'
    )
    parts.append(_marker(state, xs[-1], y(last.value), 2.6))
    parts.append("</svg>")
    return Markup("".join(parts))


def spc_chart(
    points: list[ChartPoint],
    title: str,
    *,
    clamp_zero: bool = True,
    target: float | None = None,
    fmt=_num,
    width: int = 330,
    height: int = 84,
) -> Markup:
    """XmR chart: values, centre line, process limits (stepped at rebases), flagged points."""
    if len(points) < 2:
        return Markup("")
    left, right, top, bottom = 38, 8, 8, height - 16

    def lower(p: ChartPoint) -> float | None:
        if p.lower is None:
            return None
        return max(p.lower, 0.0) if clamp_zero else p.lower

    series = [p.value for p in points]
    bounds = series + [v for p in points for v in (p.upper, lower(p)) if v is not None]
    if target is not None:
        bounds.append(target)
    lo, hi = min(bounds), max(bounds)
    margin = (hi - lo) * 0.06 or 1
    lo, hi = lo - margin, hi + margin
    if clamp_zero:
        lo = max(lo, 0.0) if min(bounds) >= 0 else lo
    y = _scale(lo, hi, top, bottom)
    step = (width - left - right) / (len(points) - 1)
    xs = [left + i * step for i in range(len(points))]
    parts = [
        f'<svg class="spc" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="8">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{bottom - top}" '
        f'fill="#fafafa" stroke="#e2e2e2" stroke-width="0.5"/>',
    ]

    def stepped(getter, colour: str, dash: str, stroke: float) -> None:
        # One segment per run of equal values, so a rebased limit is drawn as a step.
        run_start = 0
        for i in range(1, len(points) + 1):
            if i == len(points) or getter(points[i]) != getter(points[run_start]):
                value = getter(points[run_start])
                if value is not None:
                    x1 = xs[run_start] - (step / 2 if run_start else 0)
                    x2 = xs[i - 1] + (step / 2 if i < len(points) else 0)
                    parts.append(
                        f'<line x1="{_num(x1)}" x2="{_num(x2)}" y1="{_num(y(value))}" y2="{_num(y(value))}" '
                        f'stroke="{colour}" stroke-width="{stroke}"{dash}/>'
                    )
                run_start = i

    stepped(lambda p: p.upper, COLOURS["limit"], ' stroke-dasharray="4,2"', 0.8)
    stepped(lower, COLOURS["limit"], ' stroke-dasharray="4,2"', 0.8)
    stepped(lambda p: p.mean, COLOURS["mean"], "", 0.8)
    if target is not None:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_num(y(target))}" y2="{_num(y(target))}" '
            f'stroke="{COLOURS["target"]}" stroke-width="1" stroke-dasharray="1,2"/>'
        )
    line = " ".join(f"{_num(x)},{_num(y(p.value))}" for x, p in zip(xs, points, strict=True))
    parts.append(
        f'<polyline points="{line}" fill="none" stroke="{COLOURS["line"]}" stroke-width="1"/>'
    )
    for x, p in zip(xs, points, strict=True):
        parts.append(_marker(state_of(p.point_type), x, y(p.value), 2.2))
    # Axis labels: the latest limits and centre line, first and last month.
    last = points[-1]
    labels = []
    for value, name in (
        (last.upper, "UPL"),
        (last.mean, "mean"),
        (lower(last), "LPL"),
        (target, "target"),
    ):
        if value is not None:
            labels.append((y(value), f"{fmt(value)}", name))
    labels.sort()
    placed: list[float] = []
    for ypos, text, name in labels:
        if any(abs(ypos - q) < 8 for q in placed):
            continue
        placed.append(ypos)
        colour = COLOURS["target"] if name == "target" else "#444"
        parts.append(
            f'<text x="{left - 3}" y="{_num(ypos + 3)}" text-anchor="end" fill="{colour}">{escape(text)}</text>'
        )
    parts.append(f'<text x="{left}" y="{height - 4}" fill="#444">{points[0].month:%b %y}</text>')
    parts.append(
        f'<text x="{width - right}" y="{height - 4}" text-anchor="end" fill="#444">{last.month:%b %y}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
