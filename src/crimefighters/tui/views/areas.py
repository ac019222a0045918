"""What a BCU's or London's view adds to a borough's: its boroughs (London: its BCUs) side by
side, as the BCU briefing shows them, and the month's improvements ranked across its boroughs
(``scan.learning.ranked_improvements``, as ``crimefighters scan --improvements`` lists them).

Every number is read from the scan result: the areas' findings, their series' values and SPC
states (``status``), the 12-month comparisons and the standing among peers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl
from rich.text import Text

from crimefighters.config.models import Config
from crimefighters.present import (
    PRIORITY_GROUPS,
    counted,
    fmt_change,
    month_name,
    state_words,
    status_text,
)
from crimefighters.scan.methods import test_label
from crimefighters.tui.views import SeriesRef, Table, cut
from crimefighters.tui.views.findings import ordered
from crimefighters.tui.widgets.cells import (
    STATE_COLOUR,
    assessment_cell,
    plain,
    state_cell,
    value_text,
)

if TYPE_CHECKING:
    from crimefighters.tui.session import Session

SERIES = ("measure", "level", "category")
OWN = " •"  # the borough's own local priority (as the BCU briefing marks it)


@dataclass(frozen=True)
class AreaSeriesTarget:
    """A row about a series of another area than the one in view (a borough's improvement
    in London's list): Enter charts it there."""

    area: str
    ref: SeriesRef


@dataclass(frozen=True)
class MembersTarget:
    """A row about the member areas as a whole (their findings): Enter offers to open one."""


def area_title(config: Config, area: str) -> str:
    """'Lambeth', 'Central South BCU', 'London'."""
    return f"{area} BCU" if config.area_type(area) == "bcu" else area


def member_areas(config: Config, area: str) -> list[str]:
    """What an area is shown beside: a BCU's boroughs, London's BCUs; a borough has none."""
    kind = config.area_type(area)
    if kind == "bcu":
        return config.boroughs_in_bcu(area)
    if kind == "london":
        return config.bcu_names()
    return []


def members_word(config: Config, area: str) -> str:
    return "BCUs" if config.area_type(area) == "london" else "boroughs"


# --- side by side ----------------------------------------------------------------------------


def _by_series(frame: pl.DataFrame, areas: list[str], area_column: str = "area") -> dict:
    """(area, measure, level, category) -> row, for a few areas."""
    if frame.height == 0:
        return {}
    rows = frame.filter(pl.col(area_column).is_in(areas)).iter_rows(named=True)
    return {(r[area_column], r["measure"], r["level"], r["category"]): r for r in rows}


def side_by_side_table(session: Session, area: str) -> Table:
    """The area and its members in columns: their findings this month, then each of the
    area's priorities (a BCU's are its boroughs' local priorities, • where it is the borough's
    own) and key processes: this month's value and SPC state. The panel under a row gives
    each area's value, state, 12-month change and standing."""
    from crimefighters.scan.priorities import local_priority_holders
    from crimefighters.tui.views.series import key_process_series, standing_text

    config, result = session.config, session.result
    members = member_areas(config, area)
    areas = [area, *members]
    titles = [area_title(config, a) for a in areas]
    status = _by_series(result.status, areas)
    twelve = _by_series(
        result.comparisons.filter(pl.col("window") == "12") if result.comparisons.height else
        result.comparisons, areas
    )  # fmt: skip
    standing = _by_series(result.standing, areas)
    holders = local_priority_holders(config, area)
    word = members_word(config, area)
    own = "the borough's own" if word == "boroughs" else "one of its boroughs'"
    table = Table(
        ("Series", *areas),
        note=Text.assemble(
            (f"{area_title(config, area)} and its {word}", "bold"),
            f", {month_name(session.scan_month)}: findings, then each priority and key process "
            f"(this month's value and state; {OWN.strip()} {own} local priority). "
            f"Enter charts the {area_title(config, area)} series; on a findings row, opens one "
            f"of its {word}.",
        ),
        empty=plain(f"No data loaded for {area} or its {word}."),
        labels=("Series", *titles),
    )

    # the findings of each area
    findings = {a: result.for_area(a) for a in areas}

    def count_cell(a: str, n: int, style: str = "") -> Text:
        return Text(str(n) if session.has_data(a) else "–", style=style)

    counts = {
        a: {
            "findings": f.height,
            "new": int((f["status"] == "new").sum()),
            "concern": int((f["assessment"] == "concern").sum()),
            "improvement": int((f["assessment"] == "improvement").sum()),
        }
        for a, f in findings.items()
    }
    listing = _findings_listing(session, areas, findings)
    for key, label, cell in (
        ("findings", "Findings", lambda a: count_cell(a, counts[a]["findings"], "bold")),
        ("new", "  of them new", lambda a: count_cell(a, counts[a]["new"])),
        (
            "concern",
            "  ! concerns",
            lambda a: count_cell(a, counts[a]["concern"], STATE_COLOUR["concern"]),
        ),
        (
            "improvement",
            "  ✓ improvements",
            lambda a: count_cell(a, counts[a]["improvement"], STATE_COLOUR["improvement"]),
        ),
    ):
        table.add(
            f"n-{key}", (plain(label, "bold"), *[cell(a) for a in areas]), listing, MembersTarget()
        )

    def series_row(
        key: str, label: str, series: tuple, own_of: list[str], note: str, name: str
    ) -> None:
        unit = config.measure(series[0]).unit
        cells: list[Text] = []
        detail = Text()
        detail.append_text(plain(label, "bold"))
        if note:
            detail.append(" · ")
            detail.append_text(plain(note, "dim"))
        for a, title in zip(areas, titles, strict=True):
            s = status.get((a, *series))
            own = bool(set(config.boroughs_of(a)) & set(own_of)) and a != area
            if s is None or s["value"] is None:
                cells.append(Text("–" + (OWN if own else ""), style=STATE_COLOUR["no data"]))
                detail.append("\n")
                detail.append_text(plain(title, "bold"))
                detail.append(": no data loaded")
                continue
            cell = Text(value_text(s["value"], s["kind"], unit) + " ")
            cell.append_text(state_cell(s["state"], s["special_cause_type"]))
            if own:
                cell.append(OWN, style="bold")
            cells.append(cell)
            detail.append("\n")
            detail.append_text(plain(title, "bold"))
            detail.append(f": {value_text(s['value'], s['kind'], unit)} ")
            detail.append_text(state_cell(s["state"], s["special_cause_type"], words=True))
            c = twelve.get((a, *series))
            if c is not None and c["change"] is not None:
                detail.append(
                    f" · 12 months {fmt_change(c['change'], c['change_pct'], c['kind'] or 'count')}"
                    " on the 12 before"
                )
            line = standing_text(standing.get((a, *series)), unit)
            if line.plain:
                detail.append(" · ")
                detail.append_text(line)
            if own:
                detail.append(" · its own local priority")
        table.add(key, (plain(cut(label, 34)), *cells), detail, SeriesRef(*series, name))

    priorities = result.priorities.filter(pl.col("borough") == area).sort("order")
    for i, p in enumerate(priorities.iter_rows(named=True)):
        group = PRIORITY_GROUPS.get(p["group"], p["group"])
        own_of = holders.get(p["priority_id"] or "", []) if p["group"] == "local" else []
        whose = f"local priority of {', '.join(own_of)}" if own_of else (p["note"] or "").strip()
        series_row(
            f"p{i}",
            f"{group}: {p['label']}",
            (p["measure"], p["level"], p["category"]),
            own_of,
            whose,
            p["label"],
        )
    for i, (measure, series) in enumerate(key_process_series(session)):
        series_row(f"k{i}", f"Process: {measure.label}", series, [], "", measure.label)
    return table


def _findings_listing(session: Session, areas: list[str], findings: dict) -> Text:
    """Each area's findings, new first: symbol, name, status (and, for a concern, who to
    learn from)."""
    config = session.config
    looked_back = config.scan.findings.lookback_months
    text = Text()
    for i, a in enumerate(areas):
        if i:
            text.append("\n")
        frame = findings[a]
        text.append_text(plain(area_title(config, a), "bold"))
        if not session.has_data(a):
            text.append(": no data loaded")
            continue
        new = int((frame["status"] == "new").sum())
        text.append(f": {counted(frame.height, 'finding')}, {new} new")
        for f in ordered(frame):
            text.append("\n  ")
            text.append_text(assessment_cell(f["assessment"], f["direction"]))
            text.append(" ")
            text.append_text(plain(f["name"]))
            text.append(f" ({status_text(f['status'], f['months_running'], looked_back)})")
            if f["learn_from"]:
                text.append(" · learn from ", "italic")
                text.append_text(plain(f["learn_from"], "italic"))
    return text


# --- who improved ------------------------------------------------------------------------------

IMPROVEMENT_COLUMNS = ("#", "Borough", "Improvement", "Change", "Value", "Test", "Status")


def improvements_table(session: Session, area: str) -> Table:
    """The month's improvement findings across the area's boroughs, strongest evidence first,
    then the largest change (``ranked_improvements``); the panel gives the evidence and the
    concerns elsewhere that can learn from it."""
    from crimefighters.scan.learning import ranked_improvements

    config, result = session.config, session.result
    boroughs = config.boroughs_of(area)
    ranked = ranked_improvements(result.findings, boroughs)
    looked_back = config.scan.findings.lookback_months
    where = area_title(config, area)
    table = Table(
        IMPROVEMENT_COLUMNS,
        note=Text.assemble(
            (f"Who improved: {where}, {month_name(session.scan_month)}", "bold"),
            f": {counted(ranked.height, 'improvement')} across "
            f"{ranked['borough'].n_unique() if ranked.height else 0} of its "
            f"{len(boroughs)} boroughs, strongest evidence first, then the largest change. "
            "Enter charts one.",
        ),
        empty=plain(f"No improvements in {where}'s boroughs in {month_name(session.scan_month)}."),
    )
    improvers = result.improvers
    for r in ranked.iter_rows(named=True):
        measure = config.measure(r["measure"])
        key = f"i{r['rank']}"
        detail = Text.assemble(
            f"{r['rank']}. ",
            plain(r["borough"], "bold"),
            " · ",
            plain(r["name"], "bold"),
            "  ",
            (state_words(r["assessment"], r["direction"]), STATE_COLOUR["improvement"]),
            f"  {status_text(r['status'], r['months_running'], looked_back)}\n",
        )
        detail.append_text(plain(r["evidence"]))
        if r["related"]:
            detail.append("\nCovers: ", "bold")
            detail.append_text(plain(r["related"]))
        helped = (
            improvers.filter(pl.col("peer_finding_id") == r["finding_id"])
            if improvers.height
            else improvers
        )
        if helped.height:
            detail.append("\nA peer to learn from for: ", "bold")
            detail.append_text(
                plain(", ".join(dict.fromkeys(helped.sort("concern_area")["concern_area"])))
            )
            detail.append(" (their concern on the same series, over the same window)")
        table.add(
            key,
            (
                str(r["rank"]),
                plain(r["borough"]),
                plain(cut(r["name"], 36)),
                fmt_change(r["change"], r["change_pct"], r["kind"] or "count"),
                value_text(r["value"], r["kind"], measure.unit),
                test_label(r["method"], r["window"]),
                status_text(r["status"], r["months_running"], looked_back),
            ),
            detail,
            AreaSeriesTarget(
                r["borough"], SeriesRef(r["measure"], r["level"], r["category"], r["name"])
            ),
        )
    return table
