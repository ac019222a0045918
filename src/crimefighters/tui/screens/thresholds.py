"""Threshold view for analysts: each method in force for a measure in the registry's words with
the measure's own settings filled in (``Config.settings_for``: overrides applied), every setting
with the file and line it comes from (the month's family control, ``scan.findings``, too), and
what the rules did this month (tests fired and findings led, per method and rule)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Static

from crimefighters.present import month_name
from crimefighters.scan.methods import METHODS, RULES, method_definition, settings_words, test_label
from crimefighters.scan.settings import methods_for
from crimefighters.tui.screens.base import SessionScreen
from crimefighters.tui.session import Session
from crimefighters.tui.widgets.cells import fill_table, plain
from crimefighters.tui.widgets.footer import SteadyFooter

SECTIONS = ("spc", "yoy", "seasonal", "rate", "peer", "provisional")
# settings of the whole scan, the same for every measure
GLOBAL_SECTIONS = ("findings",)


def _short(where: str) -> str:
    """A file:line short enough to read: relative to the working directory when inside it,
    else the file's folder and name ('config/scan.yaml:10'), as the briefing writes it."""
    path, sep, line = where.rpartition(":")
    if not sep or not line.isdigit():
        path, line = where, ""
    p = Path(path)
    if not p.is_absolute():
        return where
    try:
        shown = p.relative_to(Path.cwd())
    except ValueError:
        shown = Path(p.parent.name) / p.name
    return f"{shown}:{line}" if line else str(shown)


def _meaning(settings, section: str, key: str) -> str:
    """The setting's description in the configuration's own model, where it has one."""
    model = getattr(settings, section)
    info = type(model).model_fields.get(key)
    return (info.description or "") if info is not None else ""


class ThresholdScreen(SessionScreen):
    AUTO_FOCUS = "#settings-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", show=True),
        Binding("n", "next_measure", "Next measure", show=True),
        Binding("N", "previous_measure", "Previous measure", show=False),
    ]

    def __init__(self, measure: str) -> None:
        super().__init__()
        self.measure = measure

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="thresholds-title", classes="title")
        yield Static("", id="definitions", classes="definitions")
        yield DataTable(id="settings-table", cursor_type="row", zebra_stripes=True)
        yield Static("Effect this month", classes="subtitle")
        yield DataTable(id="effect-table", cursor_type="row")
        yield SteadyFooter()

    def on_mount(self) -> None:
        if self.session is not None:
            self.show_session()

    def show(self, session: Session) -> None:
        config, loaded = session.config, session.loaded
        ids = [m.id for m in config.measures]
        if self.measure not in ids:
            self.measure = ids[0]
        measure = config.measure(self.measure)
        settings = config.settings_for(self.measure)
        methods = measure.methods or "kind default"
        self.query_one("#thresholds-title", Static).update(
            Text.assemble(
                plain(measure.label, "bold"),
                plain(
                    f" ({measure.id}) · {measure.kind}, better when {measure.direction} · "
                    f"methods: {methods if isinstance(methods, str) else ', '.join(methods)} · "
                    f"{len(loaded.files)} configuration files: "
                    + (
                        "the bundled defaults"
                        if loaded.bundled
                        else _short(str(loaded.files[0].parent))
                    )
                ),
            )
        )
        self._definitions(session, measure, settings)
        rows = []
        index = ids.index(self.measure)
        if measure.target is not None:
            rows.append(
                (
                    "target",
                    f"{measure.target.comparison} {measure.target.value:g} {measure.target.label}".strip(),
                    _short(loaded.where("measures", index, "target")),
                    "missing it is a concern, meeting it again an improvement",
                )
            )
        rows.append(
            (
                "direction",
                measure.direction,
                _short(loaded.where("measures", index, "direction")),
                "which way is better (neutral: neither)",
            )
        )
        overrides = config.scan.overrides.get(self.measure)
        for section in SECTIONS:
            values = getattr(settings, section).model_dump()
            overridden = set()
            if overrides is not None and getattr(overrides, section, None) is not None:
                overridden = set(getattr(overrides, section).model_fields_set)
            for key, value in values.items():
                if key in overridden:
                    where = loaded.where("scan", "overrides", self.measure, section, key)
                    shown = f"{value} (override)"
                else:
                    where = loaded.where("scan", section, key)
                    shown = str(value)
                rows.append(
                    (f"{section}.{key}", shown, _short(where), _meaning(settings, section, key))
                )
        for section in GLOBAL_SECTIONS:
            values = getattr(config.scan, section)
            for key, value in values.model_dump().items():
                shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
                where = _short(loaded.where("scan", section, key))
                rows.append((f"{section}.{key}", shown, where, _meaning(config.scan, section, key)))
        fill_table(
            self.query_one("#settings-table", DataTable),
            ("Setting", "Value", "From", "Meaning"),
            rows,
        )
        self._effect(session)
        self.set_subtitle(f"Thresholds · {measure.label}")

    def _definitions(self, session: Session, measure, settings) -> None:
        """The registry's definition of each method the measure is scanned with, with the
        measure's own settings filled in."""
        words = settings_words(settings)
        text = Text()
        for i, method in enumerate(methods_for(measure, session.config)):
            if i:
                text.append("\n")
            text.append(f"{METHODS[method].label}: ", "bold")
            text.append(method_definition(method, words))
        self.query_one("#definitions", Static).update(text)

    def _effect(self, session: Session) -> None:
        """Per method and rule this month, over the boroughs: tests that fired (leading or
        supporting a finding), findings each led, and how many were concerns and improvements."""
        table = self.query_one("#effect-table", DataTable)
        columns = (
            "Method",
            "Rule",
            "Tests fired",
            "Findings led",
            "Concerns",
            "Improvements",
            "Boroughs",
        )
        result = session.result
        boroughs = pl.col("area_type") == "borough"
        mine = pl.col("measure") == self.measure
        tests = result.tests.filter(boroughs & mine) if result.tests.height else result.tests
        if tests.height:
            tests = tests.filter(pl.col("role").is_in(["lead", "support"]))
            if "duplicate" in tests.columns:
                tests = tests.filter(~pl.col("duplicate").fill_null(False))
        findings = result.findings.filter(boroughs & mine)
        if tests.height == 0 and findings.height == 0:
            empty = f"no test fired for this measure in {month_name(session.scan_month)}"
            fill_table(table, columns, [(empty, "", "", "", "", "", "")])
            return
        fired = tests.group_by("method", "rule").agg(tests=pl.len()) if tests.height else None
        led = findings.group_by("method", "rule").agg(
            findings=pl.len(),
            concerns=(pl.col("assessment") == "concern").sum(),
            improvements=(pl.col("assessment") == "improvement").sum(),
            boroughs=pl.col("borough").n_unique(),
        )
        counts = (
            led
            if fired is None
            else fired.join(led, on=["method", "rule"], how="full", coalesce=True)
        )
        counts = counts.with_columns(pl.exclude("method", "rule").fill_null(0)).sort(
            "findings", "method", "rule", descending=[True, False, False]
        )
        rows = [
            (
                test_label(r["method"]),
                RULES[r["rule"]].label if r["rule"] in RULES else r["rule"],
                str(r.get("tests", 0)),
                str(r["findings"]),
                str(r["concerns"]),
                str(r["improvements"]),
                str(r["boroughs"]),
            )
            for r in counts.iter_rows(named=True)
        ]
        fill_table(table, columns, rows)

    def _step(self, delta: int) -> None:
        if self.session is None:
            return
        ids = [m.id for m in self.session.config.measures]
        self.measure = ids[(ids.index(self.measure) + delta) % len(ids)]
        self.show(self.session)

    def action_next_measure(self) -> None:
        self._step(1)

    def action_previous_measure(self) -> None:
        self._step(-1)

    def action_back(self) -> None:
        self.cf_app.go_back()
