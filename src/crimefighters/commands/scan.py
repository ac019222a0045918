"""crimefighters scan | crimefighters compare"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crimefighters.commands._shared import load_data_from, parse_month_arg
from crimefighters.errors import CrimefightersError

METHODS = ("spc", "yoy", "seasonal", "rate", "target", "peer")
CSV_FIELDS = [
    "borough", "bcu", "measure", "category", "period", "window", "value", "baseline", "change",
    "change_pct", "method", "rule", "direction", "assessment", "score", "p_value", "provisional",
    "evidence", "level", "priority_id", "measure_label", "lower_limit", "upper_limit", "target",
]


def register(subparsers, common: argparse.ArgumentParser) -> None:
    scan = subparsers.add_parser(
        "scan",
        help="scan every borough, measure and category for exceptions",
        description="Scan every borough x measure x category for exceptions (concerns and "
        "improvements) with the rules and thresholds in the configuration, and print them "
        "strongest first, each with its evidence.",
        parents=[common],
    )
    scan.add_argument("--month", metavar="YYYY-MM", help="scan month (default: the latest month in the data)")
    scan.add_argument("--borough", metavar="NAME", action="append", help="only this borough (repeatable; any spelling)")
    scan.add_argument("--measure", metavar="ID", action="append", help="only this measure id (repeatable)")
    scan.add_argument("--method", metavar="NAME", action="append", choices=METHODS, help=f"only these methods: {', '.join(METHODS)}")
    scan.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format (default: table)")
    scan.add_argument("--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")
    scan.set_defaults(handler=run_scan_command)

    compare = subparsers.add_parser(
        "compare",
        help="the published comparison tables: a window against the same window last year",
        description="Each category's total in the window ending at --month against the same "
        "window a year earlier, with the exact Poisson test, as the Met and MOPAC publish them.",
        parents=[common],
    )
    compare.add_argument("--month", metavar="YYYY-MM", required=True)
    compare.add_argument("--window", choices=("1", "3", "12", "fytd"), required=True)
    where = compare.add_mutually_exclusive_group()
    where.add_argument("--borough", metavar="NAME", action="append", help="a borough (repeatable)")
    where.add_argument("--london", action="store_true", help="London as a whole (the default)")
    compare.add_argument("--level", choices=("major", "minor", "priority"), default="major")
    compare.add_argument("--format", choices=("table", "csv", "json"), default="table")
    compare.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    compare.set_defaults(handler=run_compare_command)


def resolve_boroughs(names: list[str] | None, config) -> list[str] | None:
    if not names:
        return None
    out = []
    for name in names:
        found = config.find_borough(name)
        if found is None:
            raise CrimefightersError(f"--borough: unknown borough {name!r}; expected one of the 32 London boroughs, e.g. Lambeth")
        out.append(found)
    return out


def run_scan_command(args: argparse.Namespace) -> int:
    from crimefighters.scan.cached import scan_dataset

    loaded, dataset = load_data_from(args)
    config = loaded.config
    boroughs = resolve_boroughs(args.borough, config)
    result = scan_dataset(
        dataset, config, parse_month_arg(args.month), boroughs=boroughs, measures=args.measure, methods=args.method
    )
    exceptions = result.exceptions
    if args.format == "table":
        text = _table(exceptions, result.scan_month)
    elif args.format == "csv":
        text = _csv(exceptions.select(CSV_FIELDS), dataset.synthetic)
    else:
        text = _json(exceptions.select(CSV_FIELDS), dataset.synthetic)
    _emit(text, args.output, dataset.synthetic, args.format)
    return 0


def run_compare_command(args: argparse.Namespace) -> int:
    from crimefighters.scan.compare import comparison_table

    loaded, dataset = load_data_from(args)
    config = loaded.config
    boroughs = resolve_boroughs(args.borough, config)
    month = parse_month_arg(args.month)
    table = comparison_table(dataset.observations, config, month, args.window, boroughs, args.level)
    if args.format == "csv":
        text = _csv(table, dataset.synthetic)
    elif args.format == "json":
        text = _json(table, dataset.synthetic)
    else:
        text = _compare_table(table)
    _emit(text, args.output, dataset.synthetic, args.format)
    return 0


def _emit(text: str, output: str | None, synthetic: bool = False, fmt: str = "table") -> None:
    from crimefighters.exports import synthetic_note
    from crimefighters.text_safety import clean_lines

    # Data text never reaches the terminal or a file with its control characters.
    text = clean_lines(text)
    if synthetic:
        print(synthetic_note(), file=sys.stderr)
        if fmt == "table":
            text = f"{synthetic_note().removeprefix('note: ')}\n\n{text}"
    if output is None:
        sys.stdout.write(text)
        return
    from crimefighters.files import atomic_write_text

    path = Path(output)
    atomic_write_text(path, text)
    print(f"wrote {path}", file=sys.stderr)


def _csv(frame, synthetic: bool) -> str:
    from crimefighters.exports import csv_text

    return csv_text(frame, synthetic=synthetic)


def _json(frame, synthetic: bool) -> str:
    from crimefighters.exports import json_text

    return json_text(frame, synthetic=synthetic)


def _table(exceptions, scan_month) -> str:
    from crimefighters.scan.wording import month_name

    # The same symbols as the TUI; the arrow is the direction of the change.
    symbols = {"concern": "! concern", "improvement": "✓ improvement", "neutral": "◆ neutral"}
    if exceptions.height == 0:
        return f"No exceptions in {month_name(scan_month)}.\n"
    concerns = (exceptions["assessment"] == "concern").sum()
    improvements = (exceptions["assessment"] == "improvement").sum()
    lines = [
        f"Exceptions in {month_name(scan_month)}: {exceptions.height} "
        f"({concerns} concerns, {improvements} improvements), strongest evidence first",
        "",
    ]
    for row in exceptions.iter_rows(named=True):
        arrow = "↑" if row["direction"] == "up" else "↓"
        mark = f"{symbols.get(row['assessment'], row['assessment'])} {arrow}"
        lines.append(f"{row['score']:5.1f}  {row['borough']:<22} {mark:<16} {row['method']}/{row['rule']}")
        lines.append(f"       {row['evidence']}")
    return "\n".join(lines) + "\n"


def _compare_table(table) -> str:
    if table.height == 0:
        return "No categories to compare.\n"
    first = table.row(0, named=True)
    lines = [f"{first['current_period']} against {first['previous_period']}", ""]
    header = f"{'area':<22} {'category':<44} {'current':>9} {'previous':>9} {'change':>8} {'%':>7}  p"
    lines += [header, "-" * len(header)]
    for r in table.iter_rows(named=True):
        pct = "n/a" if r["change_pct"] is None else f"{r['change_pct']:+.1f}"
        p = "" if r["p_value"] is None else ("<0.001" if r["p_value"] < 0.001 else f"{r['p_value']:.3f}")
        lines.append(
            f"{r['area'][:22]:<22} {r['category'][:44]:<44} {r['current']:>9,.0f} {r['previous']:>9,.0f} {r['change']:>+8,.0f} {pct:>7}  {p}"
        )
    return "\n".join(lines) + "\n"
