"""What every data screen shares: it is redrawn from the app's current session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from crimefighters.tui.app import CrimefightersApp
    from crimefighters.tui.session import Session


class SessionScreen(Screen):
    """A screen that shows part of the session; ``show`` is called on every new session."""

    @property
    def cf_app(self) -> CrimefightersApp:
        return self.app  # type: ignore[return-value]

    @property
    def session(self) -> Session | None:
        return self.cf_app.session

    def on_screen_resume(self) -> None:
        if self.session is not None and getattr(self, "_shown", None) is not self.session:
            self.show_session()

    def show_session(self) -> None:
        self._shown = self.session
        self.show(self.session)

    def show(self, session: Session) -> None:  # pragma: no cover - overridden
        raise NotImplementedError
