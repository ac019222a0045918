"""crimefighters tui: the meeting-room application (also what `crimefighters` alone runs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from crimefighters.commands._shared import data_paths, parse_month_arg


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "tui",
        help="open the meeting-room TUI (the default command)",
        description="Open the interactive application: London overview, borough exceptions, "
        "priorities and key processes, drill-down charts, thresholds and export. With no options "
        "it opens on the bundled sample data at the latest month.",
        parents=[common],
    )
    parser.add_argument(
        "--month", metavar="YYYY-MM", help="scan this month (default: the latest in the data)"
    )
    parser.add_argument("--borough", metavar="NAME", help="open straight on this borough")
    parser.add_argument(
        "--export-dir",
        metavar="DIR",
        type=Path,
        help="where exports are written (default: ./briefings)",
    )
    parser.set_defaults(handler=run_tui)


def run_tui(args: argparse.Namespace) -> int:
    month = parse_month_arg(getattr(args, "month", None))
    from crimefighters.tui.app import run

    return run(
        args.config,
        data_paths(args),
        month,
        getattr(args, "borough", None),
        getattr(args, "export_dir", None),
    )
