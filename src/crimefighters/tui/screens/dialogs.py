"""Modal dialogs: an error message (what the CLI would print), and pickers for month/borough."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from crimefighters.text_safety import clean_lines
from crimefighters.tui.widgets.cells import plain


class ErrorDialog(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "dismiss_dialog", "Close")]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(plain(self.title_text, "bold"), id="dialog-title")
            # messages quote data (a file name, a bad cell): text, one problem a line
            yield Static(Text(clean_lines(self.message)), id="dialog-message")
            yield Static(
                "The app keeps showing the last good data and configuration.", classes="muted"
            )
            yield Button("OK", variant="primary", id="ok")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)


class PickerDialog(ModalScreen[str | None]):
    """Choose one of a list (months, boroughs); type to narrow it down."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(
        self,
        title: str,
        choices: list[str],
        current: str | None = None,
        resolve: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = current
        # typed text that matches no choice: resolve it (a short form) or show why not
        self.resolve = resolve

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(plain(self.title_text, "bold"))
            yield Input(placeholder="type to narrow", id="picker-filter")
            yield OptionList(*[Option(plain(c), id=c) for c in self.choices], id="picker-list")
            yield Static("", id="picker-message", markup=False)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.choices:
            options.highlighted = self.choices.index(self.current)
        self.query_one(Input).focus()

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -delta
            options.highlighted = max(0, min(options.option_count - 1, current + delta))

    def on_input_changed(self, event: Input.Changed) -> None:
        needle = event.value.lower()
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(plain(c), id=c) for c in self.choices if needle in c.lower()])
        if options.option_count:
            options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        from crimefighters.errors import CrimefightersError

        typed = event.value.strip()
        # a spelling typed in full (a short form, a BCU's code) is what was meant, before the
        # first choice that merely contains it ("AS" is Central South, not South East)
        if self.resolve is not None and typed:
            try:
                self.dismiss(self.resolve(typed))
                return
            except CrimefightersError as error:
                problem = str(error)
        else:
            problem = ""
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)
        elif problem:
            self.query_one("#picker-message", Static).update(problem)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
