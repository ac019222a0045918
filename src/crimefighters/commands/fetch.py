"""crimefighters fetch [--out DIR] [--source NAME]... [--month YYYY-MM]... [--dry-run]"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

from cyclopts import Parameter

from crimefighters.commands._shared import Options


def fetch(
    *,
    out: Annotated[
        Path | None,
        Parameter(
            help="data folder to fetch into (default: sources.data_dir in the configuration, "
            "'data' in the current folder)"
        ),
    ] = None,
    source: Annotated[
        list[str] | None,
        Parameter(
            help="fetch only this source; repeatable (mps-borough-24m, mps-ward-24m, police-uk)"
        ),
    ] = None,
    month: Annotated[
        list[str] | None,
        Parameter(
            help="data.police.uk month to fetch, YYYY-MM; repeatable (default: the latest published)"
        ),
    ] = None,
    dry_run: Annotated[bool, Parameter(help="say what would be fetched; fetch nothing")] = False,
    no_progress: Annotated[bool, Parameter(help="no progress bar")] = False,
    options: Options,
) -> int:
    """Download the latest published data into the data folder, safely.

    The latest London Datastore MPS crime files and data.police.uk API responses, as
    configured under `sources` (config/sources.yaml). Each file is streamed to a temporary file,
    checked, and only then renamed over the previous copy; unchanged files are not downloaded
    again. Exit code 2 when any file could not be fetched (its previous copy is left untouched)."""
    from crimefighters.fetch import fetch_all

    loaded = options.load_config()
    show = show_progress(no_progress)
    bar = ProgressBar(loaded.config.sources.progress_min_bytes) if show else None
    try:
        if bar is not None:
            bar.start()
        result = fetch_all(
            loaded,
            out,
            sources=source,
            months=month,
            dry_run=dry_run,
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


def show_progress(no_progress: bool) -> bool:
    if no_progress or os.environ.get("CI", "").lower() in ("true", "1"):
        return False
    return sys.stderr.isatty()


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
