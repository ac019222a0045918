"""The ``crimefighters`` command line, on cyclopts.

Global options (``--data``, ``--config``, ``--strict``: the fields of
``commands._shared.GlobalOptions``) are parsed once, by a meta app, wherever they stand:
``crimefighters --data X scan`` and ``crimefighters scan --data X`` are the same. The command
then runs with them as its ``options`` parameter. With no command (or only ``--borough`` /
``--month``) the meeting-room TUI opens.

Each command is a function in ``crimefighters.commands.<module>``, registered below; its
docstring is its help. Command modules import nothing heavy at import time (each command imports
what it needs when it runs), so ``--help`` is quick and the headless commands never import
Textual.

Errors a user can act on (``CrimefightersError`` and command-line mistakes) become one line on
stderr and exit code 2. How to add a command: docs/architecture.md.
"""

from __future__ import annotations

import gc
import sys
from typing import Annotated

# A run's imports make about 100,000 objects that live until it exits; the default thresholds
# (a collection every 700 new objects) collect about 140 times while they are made: 35-50 ms of a
# warm `crimefighters scan`, against one collection of 8-10 ms every 50,000. Cyclic garbage
# waits at most 50,000 new objects longer to be freed.
gc.set_threshold(50_000, 10, 10)

from cyclopts import App, Parameter  # noqa: E402 (after the threshold: it applies to them)

from crimefighters import __version__  # noqa: E402
from crimefighters.commands._shared import GlobalOptions  # noqa: E402
from crimefighters.errors import CrimefightersError  # noqa: E402

# Commands: name -> "module:function". Each function's docstring is its help: the first line for
# `crimefighters --help`, the whole for `crimefighters NAME --help`.
COMMANDS: dict[str, str] = {
    "scan": "crimefighters.commands.scan:scan",
    "compare": "crimefighters.commands.scan:compare",
    "brief": "crimefighters.commands.brief:brief",
    "sample": "crimefighters.commands.sample:sample",
    "fetch": "crimefighters.commands.fetch:fetch",
    "tui": "crimefighters.commands.tui:tui",
}
# Commands with actions (`crimefighters data info`): name -> (help, {action: "module:function"}).
GROUPS: dict[str, tuple[str, dict[str, str]]] = {
    "data": (
        "What data is loaded, and the formats understood.",
        {
            "info": "crimefighters.commands.data:info",
            "formats": "crimefighters.commands.data:formats",
        },
    ),
    "config": (
        "Check the configuration, or write an editable copy.",
        {
            "check": "crimefighters.commands.config:check",
            "init": "crimefighters.commands.config:init",
        },
    ),
    "actions": (
        "Actions agreed at meetings on findings: list, add, mark done, export.",
        {
            "list": "crimefighters.commands.actions:list_",
            "add": "crimefighters.commands.actions:add",
            "done": "crimefighters.commands.actions:done",
            "export": "crimefighters.commands.actions:export",
        },
    ),
    "meeting": (
        "Meetings held and Gold Group taskings: record, list, task a finding to a Gold Group.",
        {
            "record": "crimefighters.commands.meeting:record",
            "list": "crimefighters.commands.meeting:list_",
            "gold": "crimefighters.commands.meeting:gold",
        },
    ),
    "export": (
        "Exports for analysts: an XLSX workbook of the month, the London overview as HTML.",
        {
            "xlsx": "crimefighters.commands.export:xlsx",
            "overview": "crimefighters.commands.export:overview",
        },
    ),
    "annotate": (
        "Notes on a month of a series, shown on its charts; can leave the point out of SPC limits.",
        {
            "add": "crimefighters.commands.annotate:add",
            "list": "crimefighters.commands.annotate:list_",
            "remove": "crimefighters.commands.annotate:remove",
        },
    ),
}


def _function(target: str):
    """'package.module:function' -> the function, its docstring made help (``_paragraphs``)."""
    import importlib

    module, name = target.split(":")
    function = getattr(importlib.import_module(module), name)
    function.__doc__ = _paragraphs(function.__doc__ or "")
    return function


def _lazy(target: str) -> str:
    """A command registered by name only: cyclopts imports it (through ``__getattr__`` below,
    which makes its docstring help) when it is called. Registering every command's function
    inspects all their signatures: a tenth of a warm scan's own time."""
    return f"{__name__}:{target.replace(':', '.')}"


def __getattr__(name: str):
    """``crimefighters.cli``'s attribute 'crimefighters.commands.scan.scan' is that command
    (``_lazy``)."""
    module, _, function = name.rpartition(".")
    if module.startswith("crimefighters.commands."):
        return _function(f"{module}:{function}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _paragraphs(docstring: str) -> str:
    """Each paragraph of a docstring on one line, so plain-text help wraps it to the terminal
    (Markdown help would import Rich's Markdown and Pygments: 100 ms on every --help)."""
    import inspect

    blocks = inspect.cleandoc(docstring).split("\n\n")
    return "\n\n".join(" ".join(block.split()) for block in blocks)


def build_app(argv: list[str] | None = None) -> App:
    """The command line for ``argv`` (None: for any). Commands that this run cannot show in a
    help listing are registered lazily (``_lazy``), as cyclopts lists a lazy command without
    its help: all are registered whole for ``--help``, and a group's actions when the group is
    named (``crimefighters data`` lists them)."""
    words = set(argv) if argv is not None else None
    help_wanted = words is None or bool(words & {"--help", "-h"})

    def register(target: str, group: str | None = None):
        whole = help_wanted or (group is not None and group in words)
        return _function(target) if whole else _lazy(target)

    app = App(
        name="crimefighters",
        help="Exception reporting for the Met's borough CrimeFighters meetings: load recorded "
        "crime, outcomes and key processes; scan every borough, measure and category for "
        "concerns and improvements; drill into local priorities; export the briefing. Without "
        "a command, opens the meeting-room TUI. `crimefighters COMMAND --help` explains each.",
        version=f"crimefighters {__version__}",
        help_format="plaintext",
        # --flag only (no generated --no-flag / --empty-list twins)
        default_parameter=Parameter(negative=()),
        result_action="return_value",
    )
    for name, target in COMMANDS.items():
        app.command(register(target), name=name)
    for group, (group_help, actions) in GROUPS.items():
        sub = App(name=group, help=group_help, help_format="plaintext")
        for name, target in actions.items():
            sub.command(register(target, group), name=name)
        app.command(sub)
    app.default(_function(COMMANDS["tui"]))

    @app.meta.default
    def launcher(
        *tokens: Annotated[str, Parameter(show=False, allow_leading_hyphen=True)],
        options: Annotated[GlobalOptions, Parameter(name="*")] = GlobalOptions(),  # noqa: B008
    ) -> int:
        command, bound, ignored = app.parse_args(tokens, exit_on_error=False, print_error=False)
        for name, kind in ignored.items():
            if kind is GlobalOptions:
                bound.arguments[name] = options
        return command(*bound.args, **bound.kwargs)

    return app


def main(argv: list[str] | None = None) -> int:
    from cyclopts.exceptions import CycloptsError

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        result = build_app(argv).meta(argv, exit_on_error=False, print_error=False)
    except CycloptsError as exc:
        print(f"crimefighters: error: {usage_error(exc)}", file=sys.stderr)
        return 2
    except CrimefightersError as exc:
        print(f"crimefighters: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("crimefighters: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return int(result or 0)  # None after --help / --version


def usage_error(exc: Exception) -> str:
    """A command-line mistake as one line, naming the command a stray word probably meant."""
    from cyclopts.exceptions import UnusedCliTokensError

    if isinstance(exc, UnusedCliTokensError) and exc.unused_tokens:
        word = exc.unused_tokens[0]
        if not word.startswith("-"):
            import difflib

            names = [*COMMANDS, *GROUPS]
            close = difflib.get_close_matches(word, names, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            return f"unknown command {word!r}; {hint}(commands: {', '.join(names)})"
    return " ".join(str(exc).split())
