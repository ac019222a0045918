"""crimefighters brief (--area NAME | --all [--level borough|bcu]) [--month YYYY-MM] [--format ...] [--output ...]"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

from cyclopts import Parameter

from crimefighters.commands._shared import Options, format_for_output, parse_month_arg
from crimefighters.errors import BriefingError

FORMATS = ("html", "pdf", "md")


def brief(
    *,
    area: Annotated[
        str | None,
        Parameter(
            name=["--area", "--borough"],
            help="a borough (any configured spelling), a BCU or London (--borough is the same option)",
        ),
    ] = None,
    all_: Annotated[
        bool,
        Parameter(name="--all", help="every borough (or BCU, with --level bcu) and the London summary"),
    ] = False,
    level: Annotated[
        Literal["borough", "bcu"],
        Parameter(help="with --all: a briefing per borough, or per BCU"),
    ] = "borough",
    month: Annotated[
        str | None, Parameter(help="the month to brief, YYYY-MM (default: the latest loaded)")
    ] = None,
    formats: Annotated[
        list[str] | None,
        Parameter(
            name="--format",
            consume_multiple=True,
            help="one or more of html, pdf, md (default: from the --output suffix, else html); repeatable",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        Parameter(help="one area, one format: write exactly this file (.html, .pdf or .md)"),
    ] = None,
    output_dir: Annotated[
        Path | None,
        Parameter(
            help="write crimefighters-briefing_<borough>_<YYYY-MM>.<format> here (default: .)"
        ),
    ] = None,
    template: Annotated[
        Path | None, Parameter(help="a folder of your own templates, used before the bundled ones")
    ] = None,
    workers: Annotated[int, Parameter(help="parallel workers for --all")] = 2,
    pdf_engine: Annotated[
        str,
        Parameter(
            help="typst (default: fast, no system libraries) or weasyprint (prints the HTML; needs Pango)"
        ),
    ] = "typst",
    options: Options,
) -> int:
    """Export the briefing sheet for one area or all of them (HTML, PDF, Markdown).

    The CrimeFighters briefing sheet: header and data sources, this month's themes,
    local and high-harm priorities, findings with their reasons, status, SPC charts and the
    peers to learn from, key processes, comparison with the BCU and London with the standing
    among peers, and how findings are made. A BCU's briefing shows the BCU's own findings and
    its boroughs side by side; London's is the summary page. HTML is one self-contained file
    (print it to A4); PDF is typeset by Typst from the same content (the pdf extra: pip install
    'crimefighters[pdf]'), or by WeasyPrint from the HTML with --pdf-engine weasyprint; Markdown
    suits email and Teams. --all also writes a London summary."""
    from crimefighters.briefing import pdf_available, render, write_context
    from crimefighters.briefing.context import build_area_context
    from crimefighters.briefing.render import PDF_MISSING, check_pdf_engine
    from crimefighters.briefing.write import atomic_write

    if bool(area) == all_:
        raise BriefingError("brief: give --area NAME or --all (one of them)")
    if level != "borough" and not all_:
        raise BriefingError("--level goes with --all (a BCU's briefing: --area NAME)")
    if output is not None and output_dir is not None:
        raise BriefingError("--output and --output-dir: choose one")
    chosen = _formats(formats, output)
    engine = check_pdf_engine(pdf_engine.lower())
    if output is not None and (all_ or len(chosen) != 1):
        raise BriefingError(
            "--output FILE writes one area in one format; use --output-dir for --all or several formats"
        )
    if "pdf" in chosen and not pdf_available(engine):
        raise BriefingError(PDF_MISSING[engine])
    loaded = options.load_config()
    from crimefighters.config.models import AREA_KINDS

    name = loaded.config.resolve_area(area, AREA_KINDS) if area else None
    scan_month = parse_month_arg(month)
    loaded, dataset = options.load_data(loaded)

    from crimefighters.scan.cached import scan_dataset

    # a BCU's briefing reads its boroughs' findings too; London's summary reads every area
    wanted = None if not name or name == "London" else [name, *loaded.config.boroughs_in_bcu(name)]
    result = scan_dataset(
        dataset, loaded.config, scan_month, boroughs=wanted, spc_inputs=options.spc_inputs(loaded)
    )
    folder = output_dir or Path(".")
    from crimefighters.briefing.meeting import read_meeting_views

    meetings = read_meeting_views([name] if name else loaded.config.borough_names(), result.scan_month, options.store, loaded)
    if name:
        context = build_area_context(result, dataset, loaded, name, meeting=meetings.get(name))
        if output is not None:
            try:
                atomic_write(output, render(context, chosen[0], _text(template), engine))
            except OSError as exc:
                raise BriefingError(f"cannot write {output}: {exc.strerror or exc}") from None
            written = [output]
        else:
            written = write_context(context, chosen, folder, _text(template), engine)
    else:
        written = _write_all(
            result, dataset, loaded, chosen, folder, _text(template), workers, engine, meetings, level
        )
    for path in written:
        print(path)
    return 0


def _text(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def _formats(formats: list[str] | None, output: Path | None) -> tuple[str, ...]:
    chosen: list[str] = []
    for item in formats or []:
        chosen.extend(part for part in item.lower().split(",") if part)
    chosen = ["html" if c == "htm" else "md" if c == "markdown" else c for c in chosen]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise BriefingError(f"--format: expected html, pdf or md; got {', '.join(unknown)}")
    if output is not None and len(chosen) <= 1:
        # one file: its suffix must fit the format (or give the format when none was chosen)
        return (format_for_output(output, chosen[0] if chosen else None, FORMATS, "html"),)
    return tuple(dict.fromkeys(chosen or ["html"]))


def _write_all(
    result,
    dataset,
    loaded,
    formats,
    output_dir: Path,
    template: str | None,
    workers: int,
    pdf_engine: str,
    meetings: dict,
    level: str = "borough",
) -> list[Path]:
    from crimefighters.briefing import write_all

    if not sys.stderr.isatty():
        return write_all(
            result,
            dataset,
            loaded,
            formats,
            output_dir,
            template,
            workers=workers,
            pdf_engine=pdf_engine,
            meetings=meetings,
            level=level,
        )
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("Briefings"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        areas = loaded.config.bcu_names() if level == "bcu" else loaded.config.borough_names()
        task = bar.add_task("", total=len(areas) + 1)

        def advance(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=name)

        return write_all(
            result,
            dataset,
            loaded,
            formats,
            output_dir,
            template,
            workers=workers,
            progress=advance,
            pdf_engine=pdf_engine,
            meetings=meetings,
            level=level,
        )
