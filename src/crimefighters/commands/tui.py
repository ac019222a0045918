"""crimefighters tui: the meeting-room application (also what `crimefighters` alone runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from cyclopts import Parameter

from crimefighters.commands._shared import Options, parse_month_arg


def tui(
    *,
    month: Annotated[
        str | None, Parameter(help="scan this month, YYYY-MM (default: the latest in the data)")
    ] = None,
    area: Annotated[
        str | None,
        Parameter(
            name=["--area", "--borough"],
            help="open straight on this area: a borough (any configured spelling), a BCU or "
            "London (--borough is the same option)",
        ),
    ] = None,
    export_dir: Annotated[
        Path | None, Parameter(help="where exports are written (default: ./briefings)")
    ] = None,
    options: Options,
) -> int:
    """Open the meeting-room TUI (the default command).

    The interactive application: London overview (London, each BCU and its boroughs); an
    area's meeting (a borough's, a BCU's or London's: since the last meeting, findings with the
    peers to learn from, actions, priorities, serious violence, key processes, standing among
    peers; a BCU's boroughs side by side and who improved), drill-down charts, thresholds and
    export. Actions, Gold Group taskings, notes and annotations go to the meeting store
    (--store), created on the first edit. With no options it opens on the bundled sample data
    at the latest month."""
    scan_month = parse_month_arg(month)
    paths = options.data_paths()
    from crimefighters.tui.app import run

    return run(
        options.config, paths, scan_month, area, export_dir, store=options.store, strict=options.strict
    )
