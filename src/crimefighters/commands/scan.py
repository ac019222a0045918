"""crimefighters scan | crimefighters compare"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crimefighters.commands._shared import load_data_from, parse_month_arg
from crimefighters.errors import CrimefightersError

METHODS = ("spc", "yoy", "seasonal", "rate", "target", "peer")
# Every test of --detail: the finding's columns for the test, and its role in the finding.
DETAIL_FIELDS = [
    "borough", "bcu", "measure", "level", "category", "period", "window", "value", "baseline", "change",
    "change_pct", "method", "rule", "direction", "assessment", "score", "p_value", "provisional", "evidence",
    "finding_id", "role",
]  # fmt: skip


def register(subparsers, common: argparse.ArgumentParser) -> None:
    scan = subparsers.add_parser(
        "scan",
        help="scan every borough, measure and category for findings",
        description="Scan every borough x measure x category with the rules and thresholds in the "
        "configuration and list the findings: one line per event (concern, improvement or neutral), "
        "strongest evidence first, each with its status (new, continuing, returned), the series it "
        "covers and every test that fired.",
        parents=[common],
    )
    scan.add_argument("--month", metavar="YYYY-MM", help="scan month (default: the latest month in the data)")
    scan.add_argument("--borough", metavar="NAME", action="append", help="only this borough (repeatable; any spelling)")
    scan.add_argument("--measure", metavar="ID", action="append", help="only this measure id (repeatable)")
    scan.add_argument("--method", metavar="NAME", action="append", choices=METHODS, help=f"only these methods: {', '.join(METHODS)}")
    scan.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format (default: table)")
    scan.add_argument("--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")
    scan.add_argument("--detail", action="store_true", help="list every test that fired, each with its finding, instead of one row per finding")
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
    from crimefighters.scan import CSV_FIELDS

    findings = result.findings if boroughs else result.findings.filter(pl_col_is("area_type", "borough"))
    if args.detail:
        tests = result.tests if boroughs else result.tests.filter(pl_col_is("area_type", "borough"))
        text = _detail_table(tests, result.scan_month) if args.format == "table" else _write(tests.select(DETAIL_FIELDS), args.format)
    elif args.format == "table":
        text = _table(findings, result.resolved if boroughs else result.resolved.filter(pl_col_is("area_type", "borough")), result.scan_month)
    else:
        text = _write(findings.select(CSV_FIELDS), args.format)
    _emit(text, args.output)
    return 0


def pl_col_is(column: str, value: str):
    import polars as pl

    return pl.col(column) == value


def _write(frame, fmt: str) -> str:
    return _csv(frame) if fmt == "csv" else _json(frame)


def run_compare_command(args: argparse.Namespace) -> int:
    from crimefighters.scan.compare import comparison_table

    loaded, dataset = load_data_from(args)
    config = loaded.config
    boroughs = resolve_boroughs(args.borough, config)
    month = parse_month_arg(args.month)
    table = comparison_table(dataset.observations, config, month, args.window, boroughs, args.level)
    if args.format == "csv":
        text = _csv(table)
    elif args.format == "json":
        text = _json(table)
    else:
        text = _compare_table(table)
    _emit(text, args.output)
    return 0


def _emit(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from crimefighters.files import atomic_write_text

    path = Path(output)
    atomic_write_text(path, text)
    print(f"wrote {path}", file=sys.stderr)


def _csv(frame) -> str:
    import polars as pl

    frame = frame.with_columns([pl.col(c).round(6) for c, t in frame.schema.items() if t == pl.Float64 and c != "p_value"])
    return frame.write_csv(float_precision=None)


def _json(frame) -> str:
    import json

    rows = frame.to_dicts()
    return json.dumps(rows, indent=2, default=str) + "\n"


def _table(findings, resolved, scan_month) -> str:
    from crimefighters.present import month_name, state_words, status_text

    if findings.height == 0:
        text = f"No findings in {month_name(scan_month)}.\n"
    else:
        counts = {a: (findings["assessment"] == a).sum() for a in ("concern", "improvement", "neutral")}
        statuses = {s: (findings["status"] == s).sum() for s in ("new", "returned", "continuing")}
        lines = [
            f"Findings in {month_name(scan_month)}: {findings.height} ({counts['concern']} concerns, "
            f"{counts['improvement']} improvements, {counts['neutral']} neutral; {statuses['new']} new, "
            f"{statuses['returned']} returned, {statuses['continuing']} continuing), strongest evidence first",
            "",
        ]
        for row in findings.iter_rows(named=True):
            lines.append(
                f"{row['score']:5.1f}  {row['borough']:<22} {state_words(row['assessment'], row['direction']):<16} "
                f"{status_text(row['status'], row['months_running']):<24} {row['name']}"
            )
            lines.append(f"       {row['evidence']}")
            if row["related"]:
                lines.append(f"       covers: {row['related']}")
            if row["n_tests"] > 1:
                lines.append(f"       {row['n_tests']} tests fired (--detail lists them)")
        text = "\n".join(lines) + "\n"
    if resolved.height:
        text += f"\nResolved since {month_name(scan_month).split()[0]}'s previous month: {resolved.height}\n"
        for row in resolved.iter_rows(named=True):
            text += f"       {row['borough']:<22} {state_words(row['assessment'], row['direction']):<16} {row['name']}\n"
    return text


def _detail_table(tests, scan_month) -> str:
    from crimefighters.present import month_name, state_words

    if tests.height == 0:
        return f"No tests fired in {month_name(scan_month)}.\n"
    lines = [f"Tests that fired in {month_name(scan_month)}: {tests.height}, by finding", ""]
    for row in tests.sort("finding_id", "score", descending=[False, True]).iter_rows(named=True):
        lines.append(f"{row['score']:5.1f}  {row['finding_id']:<48} {row['role']:<8} {state_words(row['assessment'], row['direction']):<16} {row['method']}/{row['rule']}")
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
