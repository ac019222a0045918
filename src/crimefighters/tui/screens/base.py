"""What every data screen shares: it is redrawn from the app's current session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from crimefighters.text_safety import clean_text

if TYPE_CHECKING:
    from crimefighters.tui.app import CrimefightersApp
    from crimefighters.tui.session import Session


class SessionScreen(Screen):
    """A screen that shows part of the session; ``show`` is called on every new session."""

    _subtitle = ""
    _busy = ""

    @property
    def cf_app(self) -> CrimefightersApp:
        return self.app  # type: ignore[return-value]

    @property
    def session(self) -> Session | None:
        return self.cf_app.session

    def on_screen_resume(self) -> None:
        if self.session is not None and getattr(self, "_shown", None) is not self.session:
            self.show_session()
        self.set_busy(self.cf_app.busy)

    def show_session(self) -> None:
        self._shown = self.session
        self.show(self.session)

    def show(self, session: Session) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def set_subtitle(self, text: str) -> None:
        """What the header says after the title (data text: cleaned, shown as plain text)."""
        self._subtitle = clean_text(text)
        self._apply_subtitle()

    def set_busy(self, text: str) -> None:
        """A job in progress (a month being scanned), shown in the header at once."""
        self._busy = clean_text(text)
        self._apply_subtitle()

    def _apply_subtitle(self) -> None:
        self.sub_title = f"{self._subtitle} · {self._busy}" if self._busy else self._subtitle
