"""The sentences a chair can question: one per test, built only for what is shown.

Every number comes from the test row; every name from ``crimefighters.present``.
"""

from __future__ import annotations

from datetime import date

from crimefighters.config.models import Config
from crimefighters.present import (
    fmt_change,
    fmt_p,
    fmt_value,
    month_name,
    series_name,
    window_label,
    window_phrase,
)
from crimefighters.scan.methods import RULES


def name_of(row: dict, config: Config) -> str:
    measure = config.measure(row["measure"])
    return series_name(measure.id, measure.label, row["level"], row["category"])


def _v(row: dict, config: Config):
    unit = config.measure(row["measure"]).unit
    return lambda x: fmt_value(x, row["kind"], unit)


def sentence(row: dict, config: Config, month: date) -> str:
    """The full evidence for one test."""
    text = {
        "spc": _spc,
        "seasonal": _seasonal,
        "yoy": _yoy,
        "rate": _rate,
        "target": _target,
        "peer": _peer,
    }[row["method"]](row, config, month)
    if row.get("provisional") and row["method"] != "peer":
        text += "; includes the provisional newest month"
    if row.get("phi") and row["phi"] > 1.05 and row["method"] in ("seasonal", "yoy", "rate"):
        text += f"; allows for {row['phi']:.1f}x chance variation, as this series shows"
    for extra in (row.get("note"), row.get("break_note")):
        if extra:
            text += f"; {extra}"
    return text


def short(row: dict, config: Config) -> str:
    """One test in a few words, for a finding's list of tests:
    'Robbery: above the SPC upper limit, 281 (limit 207.9; p < 0.001)'."""
    v = _v(row, config)
    p = fmt_p(row.get("p_value"))
    up = row["direction"] == "up"
    method, rule = row["method"], row["rule"]
    if method == "spc":
        if rule == "outside_limits":
            what = f"{'above the SPC upper' if up else 'below the SPC lower'} limit, {v(row['value'])} (limit {_limits(row, v)[1 if up else 0]}; {p})"
        elif rule == "trend":
            what = f"{'rising' if up else 'falling'} {config.settings_for(row['measure']).spc.trend_length} months in a row (SPC; {p})"
        elif rule == "two_of_three":
            what = f"2 of the last 3 months near the SPC {'upper' if up else 'lower'} limit"
        else:
            what = f"{config.settings_for(row['measure']).spc.shift_length} or more months {'above' if up else 'below'} the SPC mean"
    elif method == "seasonal":
        years = int(row["years"] or 0)
        span = "month" if row["window"] == "1" else "3 months"
        earlier = "a year earlier" if years == 1 else f"of the {years} previous years"
        what = (
            f"{span} against the same {span} {earlier}, {v(row['value'])} against "
            f"{row['baseline']:,.1f} ({fmt_change(row['change'], row['change_pct'], 'count')}; {p})"
        )
    elif method == "yoy":
        what = f"{window_label(row['window'])} against a year earlier, {v(row['value'])} against {v(row['baseline'])} ({fmt_change(row['change'], row['change_pct'], 'count')}; {p})"
    elif method == "rate":
        test = (
            f"; {p}"
            if p
            else f"; threshold {config.settings_for(row['measure']).rate.pp_threshold:g} points"
        )
        what = f"{window_label(row['window'])} against a year earlier, {v(row['value'])} against {v(row['baseline'])} ({fmt_change(row['change'], None, 'proportion')}{test})"
    elif method == "target":
        what = (
            f"{'below' if row['direction'] == 'down' else 'above'} the target of {v(row['target'])}, {v(row['value'])}"
            if rule == "target_missed"
            else f"meets the target of {v(row['target'])} again, {v(row['value'])}"
        )
    else:
        what = f"{RULES[rule].label}, {row['value']:.2f} against London's {row['baseline']:.2f} (z = {row['z']:+.1f})"
    return f"{name_of(row, config)}: {what}"


def _limits(row: dict, v) -> tuple[str, str]:
    low = row["lower_limit"]
    if row["kind"] == "count" and low is not None:
        low = max(low, 0.0)
    return v(low), v(row["upper_limit"])


def _spc(row: dict, config: Config, month: date) -> str:
    v = _v(row, config)
    name = name_of(row, config)
    points = int(row["months"] or 0)
    basis = f"mean {v(row['baseline'])}, {points} months{'; trial limits' if points < config.settings_for(row['measure']).spc.min_points else ''}"
    low, high = _limits(row, v)
    when = f"{v(row['value'])} in {month_name(month)}"
    up = row["direction"] == "up"
    if row["rule"] == "outside_limits":
        limit = high if up else low
        return f"{name} {when}, {'above the upper' if up else 'below the lower'} process limit of {limit} ({basis}; {fmt_p(row['p_value'])})"
    settings = config.settings_for(row["measure"]).spc
    if row["rule"] == "trend":
        return (
            f"{name} {when}, the end of {settings.trend_length} or more months each {'rising' if up else 'falling'} "
            f"on the last ({basis}; limits {low} to {high})"
        )
    if row["rule"] == "two_of_three":
        return f"{name} {when}: 2 of the last 3 months close to the process limits, all {'above' if up else 'below'} the mean ({basis}; limits {low} to {high})"
    return f"{name} {when}, {settings.shift_length} or more months in a row {'above' if up else 'below'} the mean ({basis}; limits {low} to {high})"


def _seasonal(row: dict, config: Config, month: date) -> str:
    v = _v(row, config)
    years = int(row["years"] or 0)
    span = "month" if row["window"] == "1" else "3 months"
    against = f"{row['baseline']:,.0f} in the same {span} a year earlier" if years == 1 else (
        f"an average of {row['baseline']:,.1f} in the same {span} of the previous {years} years"
    )
    return (
        f"{name_of(row, config)} {v(row['value'])} {window_phrase(row['window'], month)} against {against} "
        f"({fmt_change(row['change'], row['change_pct'], 'count')}; {fmt_p(row['p_value'])})"
    )


def _yoy(row: dict, config: Config, month: date) -> str:
    v = _v(row, config)
    up = row["direction"] == "up"
    pct = "n/a" if row["change_pct"] is None else f"{abs(row['change_pct']):.1f}%"
    z = f"; Wheeler z = {row['z']:+.1f}" if row.get("z") is not None else ""
    return (
        f"{name_of(row, config)} {v(row['value'])} {window_phrase(row['window'], month)}, {'up' if up else 'down'} "
        f"{v(abs(row['change']))} ({pct}) on {v(row['baseline'])} a year earlier ({fmt_p(row['p_value'])}{z})"
    )


def _rate(row: dict, config: Config, month: date) -> str:
    v = _v(row, config)
    if row["rule"] == "pp_threshold":
        test = f"threshold {config.settings_for(row['measure']).rate.pp_threshold:g} points"
    elif row["rule"] == "survey":
        test = f"{fmt_p(row['p_value'])}, two samples of {row['current_den']:,.0f} respondents"
    else:
        kind = "exact test on a low rate" if row["rule"] == "exact_rate" else "two proportions"
        test = f"{fmt_p(row['p_value'])}, {kind}, {row['current_den']:,.0f} against {row['previous_den']:,.0f} cases"
    return (
        f"{name_of(row, config)} {v(row['value'])} {window_phrase(row['window'], month)} against {v(row['baseline'])} "
        f"a year earlier ({fmt_change(row['change'], None, 'proportion')}; {test})"
    )


def _target(row: dict, config: Config, month: date) -> str:
    v = _v(row, config)
    name = name_of(row, config)
    if row["rule"] == "target_missed":
        side = "below" if row["direction"] == "down" else "above"
        return f"{name} {v(row['value'])} in {month_name(month)}, {side} the target of {v(row['target'])}"
    return f"{name} {v(row['value'])} in {month_name(month)} meets the target of {v(row['target'])}, missed the month before"


def _peer(row: dict, config: Config, month: date) -> str:
    per = config.settings_for(row["measure"]).peer.per
    if row["kind"] == "count":
        shown, london = f"{row['value']:.2f} per {per:,} residents", f"{row['baseline']:.2f}"
    else:
        shown, london = (
            fmt_value(row["value"], "proportion"),
            fmt_value(row["baseline"], "proportion"),
        )
    above = (row.get("z") or 0) > 0
    adj = (
        f"; limits widened for the usual spread between boroughs (phi = {row['phi']:.1f})"
        if (row.get("phi") or 1) > 1
        else ""
    )
    return (
        f"{name_of(row, config)} {shown} in the 12 months to {month_name(month)} against {london} for London, "
        f"{'above' if above else 'below'} London (z = {row['z']:+.1f}{adj})"
    )
