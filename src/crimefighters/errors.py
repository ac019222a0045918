"""One error type per layer, each carrying a message a user can act on.

The CLI prints ``str(error)`` as one line on stderr and exits with code 2; the TUI shows the
same text in a dialog. No traceback reaches a user.
"""

from __future__ import annotations

import re

# Control characters and bidirectional overrides: an error message is printed to a terminal,
# so text quoted from a file must never carry an escape sequence there.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``), never sent raw."""
    return _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], text)


class CrimefightersError(Exception):
    """Base class for every error a user should see as a message, not a traceback."""

    exit_code = 2


class ConfigError(CrimefightersError):
    """The YAML configuration is missing, unreadable or invalid.

    ``problems`` holds one line per problem: ``file:line key.path: expected ...; got ...``.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems in the configuration:\n" + "\n".join(
                f"  {p}" for p in self.problems
            )
        super().__init__(message)


class DataError(CrimefightersError):
    """A data file cannot be loaded: names the file and, where it applies, line and column."""

    def __init__(
        self, path: object, message: str, line: int | None = None, column: str | None = None
    ):
        self.path = str(path)
        self.line = line
        self.column = column
        self.message = message
        where = self.path
        if line is not None:
            where += f":{line}"
        if column is not None:
            where += f" column {column!r}"
        super().__init__(printable(f"{where}: {message}"))


class ScanError(CrimefightersError):
    """The scan cannot run as asked (e.g. a month with no data)."""


class BriefingError(CrimefightersError):
    """A briefing cannot be rendered or written."""


class FetchError(CrimefightersError):
    """A download failed for good; the data directory is untouched."""


class MeetingStoreError(CrimefightersError):
    """The meeting store cannot be opened, read or written, or an edit to it is not valid.

    A damaged store, or one written by a newer crimefighters, is refused with this error and
    left exactly as it was.
    """
