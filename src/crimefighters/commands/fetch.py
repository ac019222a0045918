"""crimefighters fetch [--out DIR] [--source NAME]... [--month YYYY-MM]... [--dry-run]"""

from __future__ import annotations

import argparse
import os
import sys

from crimefighters.commands._shared import load_config_from


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "fetch",
        help="download the latest published data into the data directory",
        description="Download the latest London Datastore MPS crime files and data.police.uk "
        "API responses, as configured under `sources` (config/sources.yaml). Each file is "
        "streamed to a temporary file, checked, and only then renamed over the previous copy; "
        "unchanged files are not downloaded again. Exit code 2 when any file could not be "
        "fetched (its previous copy is left untouched).",
        parents=[common],
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="data directory to fetch into (default: sources.data_dir in the configuration, "
        "'data' in the current directory)",
    )
    parser.add_argument(
        "--source",
        metavar="NAME",
        action="append",
        help="fetch only this source; repeatable (mps-borough-24m, mps-ward-24m, police-uk)",
    )
    parser.add_argument(
        "--month",
        metavar="YYYY-MM",
        action="append",
        help="data.police.uk month to fetch; repeatable (default: the latest published)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would be fetched; fetch nothing"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run_fetch)


def show_progress(args: argparse.Namespace) -> bool:
    if args.no_progress or os.environ.get("CI", "").lower() in ("true", "1"):
        return False
    return sys.stderr.isatty()


def run_fetch(args: argparse.Namespace) -> int:
    from crimefighters.fetch import fetch_all

    loaded = load_config_from(args)
    bar = ProgressBar(loaded.config.sources.progress_min_bytes) if show_progress(args) else None
    try:
        if bar is not None:
            bar.start()
        result = fetch_all(
            loaded,
            args.out,
            sources=args.source,
            months=args.month,
            dry_run=args.dry_run,
            progress=bar if bar is not None else print_retries,
        )
    finally:
        if bar is not None:
            bar.stop()
    for outcome in result.outcomes:
        print(outcome.line())
    print(result.summary())
    result.raise_for_failures()
    return 0


def print_retries(event) -> None:
    """Without a progress bar, retries are still worth a line in the log (on stdout, so stderr
    keeps to the one-line error)."""
    if event.kind == "retry":
        print(f"retry     {event.label}: {event.message}", flush=True)


class ProgressBar:
    """A Rich progress bar on stderr for each download larger than ``min_bytes``."""

    def __init__(self, min_bytes: int):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.min_bytes = min_bytes
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.tasks: dict[str, int] = {}

    def start(self) -> None:
        self.progress.start()

    def stop(self) -> None:
        self.progress.stop()

    def __call__(self, event) -> None:
        task = self.tasks.get(event.label)
        if event.kind == "start":
            if task is not None:  # a retry starts the same download again
                self.progress.reset(task, total=event.total)
            elif event.total is None or event.total >= self.min_bytes:
                self.tasks[event.label] = self.progress.add_task(event.label, total=event.total)
        elif event.kind == "progress" and task is not None:
            self.progress.update(task, completed=event.received)
        elif event.kind == "retry":
            self.progress.console.print(f"retry {event.label}: {event.message}", highlight=False)
        elif event.kind in ("done", "failed", "unchanged") and task is not None:
            self.progress.remove_task(self.tasks.pop(event.label))
