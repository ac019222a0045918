"""Threshold view for analysts: the rules and thresholds in force for a measure, the file and
line each comes from, and what they did this month (exceptions per method and rule)."""

from __future__ import annotations

import os
from typing import ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Static

from crimefighters.present import month_name
from crimefighters.tui.screens.base import SessionScreen
from crimefighters.tui.session import Session
from crimefighters.tui.widgets.cells import fill_table, plain
from crimefighters.tui.widgets.footer import SteadyFooter

SECTIONS = ("spc", "yoy", "seasonal", "rate", "peer", "provisional")


def _short(where: str) -> str:
    """A file:line relative to the working directory when it is inside it (readable, stable)."""
    try:
        return (
            os.path.relpath(where)
            if where.startswith(os.sep) and where.startswith(os.getcwd())
            else where
        )
    except ValueError:
        return where


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
                    f"{len(loaded.files)} configuration files in "
                    f"{_short(str(loaded.files[0].parent))}"
                ),
            )
        )
        rows = []
        index = ids.index(self.measure)
        if measure.target is not None:
            rows.append(
                (
                    "target",
                    f"{measure.target.comparison} {measure.target.value:g} {measure.target.label}".strip(),
                    _short(loaded.where("measures", index, "target")),
                )
            )
        rows.append(
            ("direction", measure.direction, _short(loaded.where("measures", index, "direction")))
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
                rows.append((f"{section}.{key}", shown, _short(where)))
        fill_table(self.query_one("#settings-table", DataTable), ("Setting", "Value", "From"), rows)
        self._effect(session)
        self.set_subtitle(f"Thresholds · {measure.label}")

    def _effect(self, session: Session) -> None:
        table = self.query_one("#effect-table", DataTable)
        columns = ("Method", "Rule", "Exceptions", "Concerns", "Improvements", "Boroughs")
        exceptions = session.result.exceptions.filter(pl.col("measure") == self.measure)
        if exceptions.height == 0:
            empty = f"no exceptions for this measure in {month_name(session.scan_month)}"
            fill_table(table, columns, [(empty, "", "", "", "", "")])
            return
        counts = (
            exceptions.group_by("method", "rule")
            .agg(
                n=pl.len(),
                concerns=(pl.col("assessment") == "concern").sum(),
                improvements=(pl.col("assessment") == "improvement").sum(),
                boroughs=pl.col("borough").n_unique(),
            )
            .sort("n", "method", "rule", descending=[True, False, False])
        )
        rows = [
            (
                r["method"],
                r["rule"],
                str(r["n"]),
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
