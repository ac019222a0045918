"""Command palette (ctrl+p): every action of the app, every area and every month."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from crimefighters.config.models import LONDON
from crimefighters.text_safety import clean_text

if TYPE_CHECKING:
    from crimefighters.tui.app import CrimefightersApp

ACTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "London overview",
        "go back to London, every BCU and borough against the key measures",
        "overview",
    ),
    (
        "Choose area…",
        "open a borough, a BCU or London: since the last meeting, findings, actions, priorities",
        "pick_area",
    ),
    ("Choose month…", "scan another month", "pick_month"),
    ("Previous month", "scan the month before", "step_month(-1)"),
    ("Next month", "scan the month after", "step_month(1)"),
    (
        "Thresholds",
        "rules and thresholds in force, where they come from, their effect",
        "thresholds",
    ),
    (
        "Reload configuration",
        "re-read the YAML from disk; an invalid edit keeps the last good one",
        "reload_config",
    ),
    ("Reload data", "re-read the data files and scan again", "reload_data"),
    ("Fetch latest data", "download the newest published files, then reload", "fetch"),
    ("Export briefing", "write this area's briefing (HTML and PDF)", "export"),
    ("Toggle concerns only", "filter the findings to concerns", "filter('concerns')"),
    ("Toggle priorities only", "filter the findings to priority series", "filter('priorities')"),
    ("Next measure family", "filter the findings by measure family", "filter('family')"),
    ("Clear filters", "show every finding again", "filter('clear')"),
    ("Toggle light/dark theme", "switch between the light and dark theme", "toggle_theme"),
    ("Keys", "show the keys for this screen", "keys"),
    ("Quit", "leave the application", "quit"),
)


def is_plain(text: str) -> bool:
    """Text that reads the same as markup (no square brackets)."""
    return "[" not in text and "]" not in text


class CrimefightersCommands(Provider):
    @property
    def cf_app(self) -> CrimefightersApp:
        return self.app  # type: ignore[return-value]

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        app = self.cf_app
        for name, help_text, action in ACTIONS:
            yield name, help_text, partial(app.run_action, action)
        session = app.session
        if session is not None:
            config = session.config
            yield (
                "Open London",
                "London's meeting: every BCU and borough",
                partial(app.open_area, LONDON),
            )
            yield (
                "Open London: who improved",
                "the month's improvements ranked across the boroughs",
                partial(app.open_area, LONDON, "improvements"),
            )
            for bcu in config.bcu_names():
                yield (
                    clean_text(f"Open BCU: {bcu}"),
                    ", ".join(config.boroughs_in_bcu(bcu)),
                    partial(app.open_area, bcu),
                )
            for borough in config.borough_names():
                yield (
                    clean_text(f"Open borough: {borough}"),
                    f"{config.bcu_of(borough)} BCU",
                    partial(app.open_area, borough),
                )
            for month in reversed(session.months()):
                yield (
                    f"Scan month: {month:%Y-%m}",
                    f"{month:%B %Y}",
                    partial(app.change_month, month),
                )

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            if not name.startswith(("Open borough", "Open BCU", "Scan month")):
                yield DiscoveryHit(Content(name), callback, text=name, help=escape(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                # highlight() reads its argument as markup: names from configuration may not
                display = matcher.highlight(name) if is_plain(name) else Content(name)
                # the palette reads help as markup too
                yield Hit(score, display, callback, text=name, help=escape(clean_text(help_text)))
