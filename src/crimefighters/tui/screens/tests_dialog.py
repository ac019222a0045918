"""Every test of one finding (``result.tests``): which series, which method and rule, the
numbers, and the full sentence of the highlighted one. Enter charts that test's series."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from crimefighters.tui.views import SeriesRef, Table
from crimefighters.tui.widgets.cells import fill_table, plain


class FindingTestsDialog(ModalScreen[SeriesRef | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_dialog", "Close"),
    ]

    def __init__(self, title: Text, table: Table) -> None:
        super().__init__()
        self.title_text = title
        self.table = table

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="tests"):
            yield Static(self.title_text, id="tests-title")
            yield DataTable(id="tests-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="tests-panel"):
                yield Static("", id="tests-detail")
            yield Static("Enter: chart this test's series · Escape: close", classes="muted")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        fill_table(table, self.table.columns, self.table.rows, self.table.keys)
        detail = self.query_one("#tests-detail", Static)
        if self.table.keys:
            detail.update(self.table.details[self.table.keys[0]])
        else:
            detail.update(plain(self.table.empty))
        table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value if event.row_key is not None else None
        if key in self.table.details:
            self.query_one("#tests-detail", Static).update(self.table.details[key])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        target = self.table.targets.get(event.row_key.value or "")
        if isinstance(target, SeriesRef):
            self.dismiss(target)

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)
