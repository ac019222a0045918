"""The Findings tab: one row per event, new first, with all its evidence in the panel under it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl
from rich.text import Text

from crimefighters.months import month_add
from crimefighters.present import (
    action_status_text,
    finding_order,
    fmt_change,
    month_name,
    state_words,
    status_text,
)
from crimefighters.scan import evidence
from crimefighters.scan.methods import RULES, test_label
from crimefighters.tui.views import SeriesRef, Table, cut
from crimefighters.tui.widgets.cells import STATE_COLOUR, assessment_cell, plain, value_text

if TYPE_CHECKING:
    from crimefighters.meeting import FindingRecord
    from crimefighters.tui.session import Session

COLUMNS = ("State", "Finding", "Status", "Test", "Value", "Change", "Tests", "Meeting")
NAME_WIDTH = 48


@dataclass
class Filters:
    family: str | None = None
    concerns_only: bool = False
    priorities_only: bool = False
    text: str = ""

    def describe(self) -> str:
        parts = []
        if self.family:
            parts.append(f"family {self.family}")
        if self.concerns_only:
            parts.append("concerns only")
        if self.priorities_only:
            parts.append("priorities only")
        if self.text:
            parts.append(f'text "{self.text}"')
        return ", ".join(parts) or "none"


@dataclass(frozen=True)
class FindingTarget:
    """What a finding row points at: the finding (a row of ``result.findings``) and the series
    it is named by."""

    finding: dict
    ref: SeriesRef

    @property
    def finding_id(self) -> str:
        return self.finding["finding_id"]


def ordered(findings: pl.DataFrame) -> list[dict]:
    """New, returned, continuing; strongest evidence first within (``present.finding_order``)."""
    return sorted(
        findings.iter_rows(named=True), key=lambda f: finding_order(f["status"], f["score"])
    )


def filtered(findings: pl.DataFrame, filters: Filters, families: dict[str, str]) -> pl.DataFrame:
    frame = findings
    if filters.family:
        frame = frame.filter(
            pl.col("measure").replace_strict(families, default="") == filters.family
        )
    if filters.concerns_only:
        frame = frame.filter(pl.col("assessment") == "concern")
    if filters.priorities_only:
        frame = frame.filter(pl.col("level") == "priority")
    if filters.text:
        needle = filters.text.lower()
        frame = frame.filter(
            pl.concat_str("name", "measure_label", "category", "evidence", "related", separator=" ")
            .fill_null("")
            .str.to_lowercase()
            .str.contains(needle, literal=True)
        )
    return frame


def tests_by_finding(session: Session, area: str) -> dict[str, list[dict]]:
    """Every test that fired this month in the area, by finding: the lead and supporting ones
    (strongest first) then the context; a series that is exactly another is listed once."""
    tests = session.result.tests
    if tests.height == 0:
        return {}
    mine = tests.filter((pl.col("borough") == area) & pl.col("finding_id").is_not_null())
    if "duplicate" in mine.columns:
        mine = mine.filter(~pl.col("duplicate").fill_null(False))
    out: dict[str, list[dict]] = {}
    for row in mine.sort("score", descending=True).iter_rows(named=True):
        out.setdefault(row["finding_id"], []).append(row)
    return out


def meeting_mark(f: dict, record: FindingRecord | None, month) -> str:
    """'enduring · 1 action · Gold · 2 notes'"""
    parts = []
    if f["enduring"]:
        parts.append("enduring")
    if record is not None:
        open_actions = [a for a in record.actions if a.status_at(month) == "open"]
        if open_actions:
            parts.append(f"{len(open_actions)} action{'s' if len(open_actions) != 1 else ''}")
        if record.gold_taskings:
            parts.append("Gold")
        if record.notes:
            parts.append(f"{len(record.notes)} note{'s' if len(record.notes) != 1 else ''}")
    return " · ".join(parts)


def findings_table(
    session: Session,
    area: str,
    filters: Filters,
    records: dict[str, FindingRecord],
) -> tuple[Table, pl.DataFrame]:
    """(the table, every finding of the area before filters)."""
    result, config = session.result, session.config
    everything = result.for_area(area)
    families = {m.id: m.family for m in config.measures}
    shown = filtered(everything, filters, families)
    tests = tests_by_finding(session, area)
    resolved = result.resolved.filter(pl.col("borough") == area)
    table = Table(COLUMNS, empty=plain("No findings this month with these filters."))
    looked_back = config.scan.findings.lookback_months
    for i, f in enumerate(ordered(shown)):
        key = f"f{i}"
        measure = config.measure(f["measure"])
        record = records.get(f["finding_id"])
        if f["method"] == "peer":
            value, change = f"{f['value']:.2f}", f"London {f['baseline']:.2f}"
        else:
            value = value_text(f["value"], f["kind"], measure.unit)
            change = fmt_change(f["change"], f["change_pct"], f["kind"] or "count")
        table.add(
            key,
            (
                assessment_cell(f["assessment"], f["direction"]),
                cut(f["name"], NAME_WIDTH),
                status_text(f["status"], f["months_running"], looked_back),
                test_label(f["method"], f["window"]),
                value,
                change,
                str(f["n_tests"]),
                meeting_mark(f, record, result.scan_month),
            ),
            finding_detail(session, f, tests.get(f["finding_id"], []), record, resolved),
            FindingTarget(f, SeriesRef(f["measure"], f["level"], f["category"], f["name"])),
        )
    return table, everything


def finding_detail(
    session: Session,
    f: dict,
    tests: list[dict],
    record: FindingRecord | None,
    resolved: pl.DataFrame,
) -> Text:
    """The Why panel: the evidence, what the finding covers, every test that fired in words,
    the context, what the meetings recorded, and what was resolved since last month."""
    config, month = session.config, session.result.scan_month
    looked_back = config.scan.findings.lookback_months
    text = Text()
    text.append_text(plain(f["name"], "bold"))
    text.append("  ")
    text.append(state_words(f["assessment"], f["direction"]), STATE_COLOUR.get(f["assessment"], ""))
    text.append(f"  {status_text(f['status'], f['months_running'], looked_back)}")
    if f["enduring"]:
        text.append(
            f" · enduring ({config.meeting.enduring_months}+ months)", STATE_COLOUR["concern"]
        )
    text.append("\n")
    text.append_text(plain(f["evidence"]))
    if f["related"]:
        text.append("\nCovers: ", "bold")
        text.append_text(plain(f["related"]))
    leading = [t for t in tests if t["role"] in ("lead", "support")]
    context = [t for t in tests if t["role"] == "context"]
    if leading:
        text.append(f"\nTests that fired ({len(leading)}; t lists them):", "bold")
        for t in leading:
            text.append("\n  • ")
            text.append_text(plain(evidence.short(t, config)))
    if context:
        text.append("\nContext, the other way:", "bold")
        for t in context:
            text.append("\n  • ")
            text.append_text(plain(t["evidence"]))
    text.append_text(learn_from_text(session, f))
    text.append_text(record_text(record, month))
    text.append_text(resolved_text(resolved, month))
    return text


def learn_from_text(session: Session, f: dict) -> Text:
    """For a concern, the peers to learn from: the finding's ``learn_from`` line (the peers
    whose same series improved significantly over the same window, best first), then each
    peer's test in full from ``ScanResult.improvers``."""
    text = Text()
    if f["assessment"] != "concern":
        return text
    improvers = session.result.improvers
    peers = (
        improvers.filter(pl.col("finding_id") == f["finding_id"]).sort("rank")
        if improvers.height
        else improvers
    )
    if not f.get("learn_from") and peers.height == 0:
        kind = "BCUs" if f["area_type"] == "bcu" else "boroughs"
        text.append("\nLearn from: ", "bold")
        text.append(
            f"no other {kind} improved significantly on this series over the same window this month."
        )
        return text
    text.append("\nLearn from", "bold")
    text.append(", ")
    text.append_text(plain(f["learn_from"] or ""))
    for p in peers.iter_rows(named=True):
        text.append(f"\n  {p['rank']}. ")
        name = f"{p['area']} BCU" if p["area_type"] == "bcu" else p["area"]
        text.append_text(plain(name, "bold"))
        text.append(f" ({test_label(p['method'], p['window'])}): ")
        text.append_text(plain(p["evidence"]))
    return text


def record_text(record: FindingRecord | None, month) -> Text:
    """What the meetings recorded on a finding: actions, Gold Group taskings, notes."""
    text = Text()
    if record is None or not (record.actions or record.gold_taskings or record.notes):
        return text
    text.append("\nMeeting:", "bold")
    for a in record.actions:
        text.append(
            f"\n  • action {a.id}, {action_status_text(a.status_at(month), a.due_month, month)}: "
        )
        text.append_text(plain(a.text))
        if a.owner:
            text.append(" (")
            text.append_text(plain(a.owner))
            text.append(")")
        if a.outcome and a.status_at(month) != "open":
            text.append(" · outcome: ")
            text.append_text(plain(a.outcome))
    for g in record.gold_taskings:
        text.append(f"\n  • Gold Group {g.tasked_on:%d %b %Y}: ")
        text.append_text(plain(g.group))
        if g.lead:
            text.append(", lead ")
            text.append_text(plain(g.lead))
    for n in record.notes:
        text.append(f"\n  • note, {month_name(n.month)} ({n.created_by}): ")
        text.append_text(plain(n.text))
    return text


def resolved_text(resolved: pl.DataFrame, month) -> Text:
    text = Text(f"\nResolved since {month_name(month_add(month, -1))}: ", style="bold")
    if resolved.height == 0:
        text.append("none", "")
        return text
    for i, r in enumerate(resolved.iter_rows(named=True)):
        if i:
            text.append("; ")
        text.append_text(plain(r["name"]))
        text.append(f" ({state_words(r['assessment'], r['direction'])})")
    return text


TEST_COLUMNS = ("Role", "Series", "Test", "Rule", "Value", "Against", "Change", "p")


def tests_table(session: Session, f: dict, tests: list[dict]) -> Table:
    """Each test of one finding, with its numbers; the panel gives its full sentence."""
    from crimefighters.present import fmt_p

    config = session.config
    table = Table(TEST_COLUMNS, empty=plain("No test of this finding fired this month."))
    roles = {"lead": "lead", "support": "supports", "context": "context"}
    for i, t in enumerate(tests):
        unit = config.measure(t["measure"]).unit
        if t["method"] == "peer":
            value, against, change = f"{t['value']:.2f}", f"London {t['baseline']:.2f}", ""
        else:
            value = value_text(t["value"], t["kind"], unit)
            against = (
                value_text(t["baseline"], t["kind"], unit) if t["baseline"] is not None else ""
            )
            change = fmt_change(t["change"], t["change_pct"], t["kind"] or "count")
        name = evidence.name_of(t, config)
        table.add(
            f"t{i}",
            (
                roles.get(t["role"], t["role"]),
                cut(name, 40),
                test_label(t["method"], t["window"]),
                RULES[t["rule"]].label if t["rule"] in RULES else t["rule"],
                value,
                against,
                change,
                fmt_p(t["p_value"]) or "–",
            ),
            plain(t["evidence"]),
            SeriesRef(t["measure"], t["level"], t["category"], name),
        )
    return table
