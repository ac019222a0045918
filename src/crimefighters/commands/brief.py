"""crimefighters brief (--borough NAME | --all) [--month YYYY-MM] [--format ...] [--output ...]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crimefighters.commands._shared import load_config_from, load_data_from, parse_month_arg
from crimefighters.errors import BriefingError

FORMATS = ("html", "pdf", "md")


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "brief",
        help="export the briefing sheet for one borough or all 32 (HTML, PDF, Markdown)",
        description="Export the CrimeFighters briefing sheet: header and data sources, this "
        "month's themes, local and high-harm priorities, exceptions with their reasons and SPC "
        "charts, key processes, comparison with the BCU and London, and how exceptions are "
        "defined. HTML is one self-contained file (print it to A4); PDF needs the pdf extra "
        "(pip install 'crimefighters[pdf]'); Markdown suits email and Teams. --all also writes "
        "a London summary page.",
        parents=[common],
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--borough", metavar="NAME", help="a borough (any configured spelling)")
    which.add_argument("--all", action="store_true", help="all 32 boroughs and the London summary")
    parser.add_argument(
        "--month", metavar="YYYY-MM", help="the month to brief (default: the latest loaded)"
    )
    parser.add_argument(
        "--format",
        dest="formats",
        metavar="FORMAT",
        nargs="+",
        action="extend",
        help="one or more of html, pdf, md (default: html); repeatable",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--output", metavar="FILE", help="one borough, one format: write exactly this file"
    )
    where.add_argument(
        "--output-dir",
        metavar="DIR",
        default=".",
        help="write crimefighters-briefing_<borough>_<YYYY-MM>.<format> here (default: .)",
    )
    parser.add_argument(
        "--template",
        metavar="DIR",
        help="a directory of your own templates, used before the bundled ones",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        metavar="N",
        help="parallel workers for --all (default: 2)",
    )
    parser.set_defaults(handler=run_brief)


def _formats(args: argparse.Namespace) -> tuple[str, ...]:
    chosen: list[str] = []
    for item in args.formats or []:
        chosen.extend(part for part in item.lower().split(",") if part)
    if not chosen and args.output:
        suffix = Path(args.output).suffix.lower().lstrip(".")
        chosen = (
            ["md" if suffix in ("md", "markdown") else suffix]
            if suffix in (*FORMATS, "markdown", "htm")
            else []
        )
        chosen = ["html" if c == "htm" else c for c in chosen]
    chosen = chosen or ["html"]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise BriefingError(f"--format: expected html, pdf or md; got {', '.join(unknown)}")
    return tuple(dict.fromkeys(chosen))


def run_brief(args: argparse.Namespace) -> int:
    from crimefighters.briefing import (
        build_context,
        pdf_available,
        render,
        resolve_borough,
        write_context,
    )
    from crimefighters.briefing.render import PDF_MISSING
    from crimefighters.briefing.write import atomic_write

    formats = _formats(args)
    if args.output and (args.all or len(formats) != 1):
        raise BriefingError(
            "--output FILE writes one borough in one format; use --output-dir for --all or several formats"
        )
    if "pdf" in formats and not pdf_available():
        raise BriefingError(PDF_MISSING)
    loaded = load_config_from(args)
    borough = resolve_borough(loaded.config, args.borough) if args.borough else None
    month = parse_month_arg(args.month)
    loaded, dataset = load_data_from(args, loaded)

    from crimefighters.scan.cached import scan_dataset

    result = scan_dataset(dataset, loaded.config, month, boroughs=[borough] if borough else None)
    if borough:
        context = build_context(result, dataset, loaded, borough)
        if args.output:
            path = Path(args.output)
            try:
                atomic_write(path, render(context, formats[0], args.template))
            except OSError as exc:
                raise BriefingError(f"cannot write {path}: {exc.strerror or exc}") from None
            written = [path]
        else:
            written = write_context(context, formats, Path(args.output_dir), args.template)
    else:
        written = _write_all(
            result, dataset, loaded, formats, Path(args.output_dir), args.template, args.workers
        )
    for path in written:
        print(path)
    return 0


def _write_all(
    result, dataset, loaded, formats, output_dir: Path, template: str | None, workers: int
) -> list[Path]:
    from crimefighters.briefing import write_all

    if not sys.stderr.isatty():
        return write_all(result, dataset, loaded, formats, output_dir, template, workers=workers)
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
        task = bar.add_task("", total=len(loaded.config.borough_names()) + 1)

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
        )
