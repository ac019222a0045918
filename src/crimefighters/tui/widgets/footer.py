"""A footer that rebuilds its keys only when they change.

Textual's ``Footer`` recomposes every key widget whenever its screen's bindings are refreshed,
which happens on every screen switch; each new key is then styled. On a drill-down that
rebuild was a fifth of the time from the key press to the chart, for the same keys as before.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class SteadyFooter(Footer):
    _shown_keys: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        keys = tuple(
            (b.binding.key, b.binding.action, b.binding.description, b.binding.show, b.enabled)
            for b in screen.active_bindings.values()
        )
        will_rebuild = screen.app.app_focus and self.is_attached and screen is self.screen
        if will_rebuild and keys == self._shown_keys and self.children:
            self._bindings_ready = True
            return
        if will_rebuild:
            self._shown_keys = keys
        super().bindings_changed(screen)
