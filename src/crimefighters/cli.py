"""The ``crimefighters`` command line.

Each subcommand lives in ``crimefighters.commands.<name>`` and exposes ``register(subparsers,
common)``. Modules there import nothing heavy at import time, so ``--help`` is instant and the
headless commands never import Textual.

Errors a user can act on (``CrimefightersError``) become one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from crimefighters import __version__
from crimefighters.errors import CrimefightersError

COMMANDS = ("scan", "data", "config", "sample", "fetch", "tui", "brief")


def common_options() -> argparse.ArgumentParser:
    """--data and --config, shared by every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("data and configuration")
    group.add_argument(
        "--data",
        metavar="PATH",
        action="append",
        help="a data file or a directory of files, any mix of supported formats; repeatable "
        "(default: the bundled sample data)",
    )
    group.add_argument(
        "--strict",
        action="store_true",
        help="refuse a data folder holding a file no loader recognises (default: skip it and "
        "list it in `data info`)",
    )
    group.add_argument(
        "--config",
        metavar="PATH",
        help="a configuration directory or YAML file; sections it leaves out come from the "
        "bundled defaults (default: the bundled configuration)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="crimefighters",
        description="Exception reporting for the Met's borough CrimeFighters meetings: load "
        "recorded crime, outcomes and key processes; scan every borough, measure and category "
        "for concerns and improvements; drill into local priorities; export the briefing.",
        epilog="Run without a command to open the meeting-room TUI on the bundled sample data. "
        "`crimefighters COMMAND --help` explains each command.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"crimefighters {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"crimefighters.commands.{name}")
        module.register(subparsers, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    subcommands = set(parser._subparsers._group_actions[0].choices) if parser._subparsers else set()
    if not subcommands.intersection(argv) and not {"-h", "--help", "--version"}.intersection(argv):
        # `crimefighters [--borough X] [--month M] ...` opens the TUI with those options.
        argv = ["tui", *argv]
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CrimefightersError as exc:
        print(f"crimefighters: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("crimefighters: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
