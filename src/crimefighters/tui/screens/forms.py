"""A dialog of a few fields that saves one edit to the meeting store.

Save (the button, ctrl+s, or Enter in the last field) calls ``save(values)``: the store writes
the edit in one transaction before it returns, then the dialog closes. If the store refuses
(a month typed wrong, a damaged store), the message shows in the dialog and everything typed
stays. While the dialog is open its fields are kept as a draft (``tui.drafts``), so closing the
app mid-edit loses nothing: the same dialog opened again comes back filled in. Escape closes
it keeping the draft; Discard clears it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from crimefighters.errors import CrimefightersError
from crimefighters.text_safety import clean_text
from crimefighters.tui.drafts import Drafts
from crimefighters.tui.widgets.cells import plain

DRAFT_DELAY = 0.3  # seconds after the last key press before the draft is written


@dataclass
class Field:
    name: str
    label: str
    kind: Literal["text", "check", "choice"] = "text"
    value: str | bool = ""
    placeholder: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)  # (shown, value)
    select: bool = False  # a short value given for you (a month, a date): typing replaces it


class FormDialog(ModalScreen[object]):
    """``dismiss(result of save)`` once saved; ``dismiss(None)`` when closed without saving."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close (keeps a draft)"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(
        self,
        title: str,
        intro: Text | str,
        fields: list[Field],
        save: Callable[[dict], object],
        drafts: Drafts | None = None,
        draft_key: str | None = None,
        confirm: str = "Save",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.intro = intro
        self.fields = fields
        self.save_edit = save
        self.drafts = drafts
        self.draft_key = draft_key
        self.confirm = confirm
        self.initial = {f.name: f.value for f in fields}
        self._last: dict | None = None  # the fields as last changed (kept when the app closes)
        self.restored: str = ""
        self.saved = False
        self._timer: Timer | None = None
        self._draft_error = ""
        if drafts is not None and draft_key is not None:
            found = drafts.load(draft_key)
            if found is not None:
                values, when = found
                for f in fields:
                    if f.name in values and isinstance(values[f.name], type(f.value)):
                        f.value = values[f.name]
                self.restored = f"{when.astimezone():%d %b %Y %H:%M}"
                self._last = {f.name: f.value for f in fields}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="form"):
            yield Static(plain(self.title_text, "bold"), id="form-title")
            yield Static(
                plain(self.intro) if isinstance(self.intro, str) else self.intro, id="form-intro"
            )
            if self.restored:
                yield Static(
                    plain(f"Restored what you typed on {self.restored} (not saved yet)."),
                    id="form-restored",
                    classes="restored",
                )
            for f in self.fields:
                if f.kind == "check":
                    with Horizontal(classes="field"):
                        yield Label("")
                        yield Checkbox(f.label, bool(f.value), id=f"field-{f.name}")
                elif f.kind == "choice":
                    with Horizontal(classes="field choice"):
                        yield Label(plain(f.label))
                        with RadioSet(id=f"field-{f.name}"):
                            for shown, value in f.choices:
                                yield RadioButton(plain(shown), value=value == f.value, name=value)
                else:
                    with Horizontal(classes="field"):
                        yield Label(plain(f.label))
                        # typed text is never selected on focus: one key would replace a draft
                        yield Input(
                            str(f.value),
                            placeholder=f.placeholder,
                            id=f"field-{f.name}",
                            select_on_focus=f.select and not self.restored,
                        )
            yield Static("", id="form-message", classes="message")
            with Horizontal(id="form-buttons"):
                yield Button(self.confirm, variant="primary", id="form-save")
                yield Button("Discard", id="form-discard")
            yield Static(
                "ctrl+s or Enter in the last field saves · Escape closes, keeping a draft",
                classes="muted",
            )

    def on_mount(self) -> None:
        first = next((w for w in self.query("Input, Checkbox, RadioSet")), None)
        if first is not None:
            first.focus()

    # --- values and drafts ----------------------------------------------------------------

    def values(self) -> dict:
        out: dict = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            if isinstance(widget, Checkbox):
                out[f.name] = widget.value
            elif isinstance(widget, RadioSet):
                pressed = widget.pressed_button
                out[f.name] = pressed.name if pressed is not None else f.value
            else:
                out[f.name] = widget.value
        return out

    def changed(self) -> bool:
        return self._last is not None and self._last != self.initial

    def _keep_draft(self) -> None:
        if self.drafts is None or self.draft_key is None or self.saved:
            return
        try:
            if self.changed():
                self.drafts.save(self.draft_key, self._last)
            else:
                self.drafts.discard(self.draft_key)
        except OSError as error:
            if not self._draft_error:
                self._draft_error = (
                    f"draft not kept ({error.strerror or error}): save before closing"
                )
                self._message(self._draft_error)

    def _schedule_draft(self) -> None:
        self._last = self.values()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DRAFT_DELAY, self._keep_draft)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._schedule_draft()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._schedule_draft()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._schedule_draft()

    def on_unmount(self) -> None:
        # the app closing with the dialog open: keep what was typed
        self._keep_draft()

    # --- saving -----------------------------------------------------------------------------

    def _message(self, text: str) -> None:
        self.query_one("#form-message", Static).update(Text(clean_text(text), style="bold"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is inputs[-1]:
            self.action_save()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "form-save":
            self.action_save()
        elif event.button.id == "form-discard":
            if self.drafts is not None and self.draft_key is not None:
                self.drafts.discard(self.draft_key)
            self.saved = True  # nothing to keep
            self.dismiss(None)

    def action_save(self) -> None:
        try:
            result = self.save_edit(self.values())
        except CrimefightersError as error:
            self._message(f"Not saved: {error}")
            self._keep_draft()
            return
        self.saved = True
        if self._timer is not None:
            self._timer.stop()
        if self.drafts is not None and self.draft_key is not None:
            self.drafts.discard(self.draft_key)
        self.dismiss(result if result is not None else True)

    def action_close(self) -> None:
        self._keep_draft()
        if self.changed() and not self.saved:
            self.notify("Not saved; what you typed is kept as a draft for next time.", timeout=4)
        self.dismiss(None)
