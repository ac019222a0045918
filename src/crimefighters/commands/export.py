"""crimefighters export xlsx | crimefighters export overview"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

from cyclopts import Parameter

from crimefighters.commands._shared import Options, parse_month_arg

MonthOption = Annotated[
    str | None, Parameter(help="the month, YYYY-MM (default: the latest in the data)")
]


def xlsx(
    *,
    output: Annotated[Path, Parameter(help="the workbook to write (atomically), named *.xlsx")],
    month: MonthOption = None,
    area: Annotated[
        list[str] | None,
        Parameter(
            name=["--area", "--borough"],
            help="only these areas: boroughs, BCUs or London (repeatable; default: all of them)",
        ),
    ] = None,
    options: Options,
) -> int:
    """Write an XLSX workbook of the month for analysts.

    One sheet each, with a frozen header row and numbers as numbers: the findings (the
    columns of `scan --format csv`, for boroughs, BCUs and London), the peers to learn from for
    each concern, the published comparison tables (`compare`, for the month, 3 and 12 months and
    the financial year to date), each area's standing among its peers, the London overview
    matrix, and an About sheet (month, data, configuration). Text is never a formula.
    """
    _suffix(output, ".xlsx", "xlsx")
    from crimefighters.commands.scan import resolve_areas
    from crimefighters.exports import workbook_sheets, write_workbook
    from crimefighters.scan.cached import scan_dataset

    loaded, dataset = options.load_data()
    areas = resolve_areas(area, loaded.config)
    result = scan_dataset(
        dataset, loaded.config, parse_month_arg(month), spc_inputs=options.spc_inputs(loaded)
    )
    write_workbook(output, workbook_sheets(result, dataset, loaded, areas))
    print(f"wrote {output}", file=sys.stderr)
    return 0


def overview(
    *,
    output: Annotated[Path, Parameter(help="the page to write (atomically), named *.html")],
    month: MonthOption = None,
    options: Options,
) -> int:
    """Write the London overview matrix as one self-contained HTML page.

    London, each BCU and its boroughs against the key measures: each cell the state of the
    measure's headline series in symbol and word (! concern, ✓ improvement, · common cause),
    with the month's findings counted per area.
    """
    if output.suffix.lower() not in (".html", ".htm"):
        from crimefighters.errors import CrimefightersError

        raise CrimefightersError(f"--output {output}: the overview page must be named *.html")
    from crimefighters.briefing.context import build_overview_context
    from crimefighters.briefing.render import render_html
    from crimefighters.errors import CrimefightersError
    from crimefighters.files import atomic_write_text
    from crimefighters.scan.cached import scan_dataset

    loaded, dataset = options.load_data()
    result = scan_dataset(
        dataset, loaded.config, parse_month_arg(month), spc_inputs=options.spc_inputs(loaded)
    )
    html = render_html(build_overview_context(result, dataset, loaded))
    try:
        atomic_write_text(output, html)
    except OSError as exc:
        raise CrimefightersError(f"cannot write {output}: {exc.strerror or exc}") from None
    print(f"wrote {output}", file=sys.stderr)
    return 0


def _suffix(output: Path, suffix: str, what: str) -> None:
    from crimefighters.errors import CrimefightersError

    if output.suffix.lower() != suffix:
        raise CrimefightersError(f"--output {output}: an {what} workbook must be named *{suffix}")
