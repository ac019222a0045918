"""crimefighters scan | crimefighters compare"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

from cyclopts import Parameter

from crimefighters.commands._shared import Options, format_for_output, parse_month_arg

Method = Literal["spc", "yoy", "seasonal", "rate", "target", "peer"]
# Every test of --detail: the finding's columns for the test, and its role in the finding.
DETAIL_FIELDS = [
    "borough", "bcu", "measure", "level", "category", "period", "window", "value", "baseline", "change",
    "change_pct", "method", "rule", "direction", "assessment", "score", "p_value", "provisional", "evidence",
    "finding_id", "role",
]  # fmt: skip
TEXT_FORMATS = ("table", "csv", "json")
FormatOption = Annotated[
    Literal["table", "csv", "json"] | None,
    Parameter(help="output format (default: from the --output suffix, else table)"),
]
OutputOption = Annotated[
    Path | None,
    Parameter(
        help="write to FILE (atomically) instead of standard output; its suffix must suit the "
        "format (.txt, .csv, .json)"
    ),
]


AreaOption = Annotated[
    list[str] | None,
    Parameter(
        name=["--area", "--borough"],
        help="only this area: a borough (any configured spelling), a BCU or London (repeatable; "
        "--borough is the same option)",
    ),
]


def scan(
    *,
    month: Annotated[str | None, Parameter(help="scan month YYYY-MM (default: the latest in the data)")] = None,
    area: AreaOption = None,
    measure: Annotated[list[str] | None, Parameter(help="only this measure id (repeatable)")] = None,
    method: Annotated[list[Method] | None, Parameter(help="only findings with a test of these methods (repeatable)")] = None,
    detail: Annotated[bool, Parameter(help="list every test that fired, each with its finding, instead of one row per finding")] = False,
    improvements: Annotated[bool, Parameter(help="rank the month's improvements across the boroughs of --area (default London; a BCU: its boroughs), strongest evidence first")] = False,
    format: FormatOption = None,
    output: OutputOption = None,
    options: Options,
) -> int:
    """Scan every borough, measure and category and list the findings.

    One line per event (a concern, an improvement or neutral), strongest evidence first, each
    with its status (new, continuing for n months, returned), the series it covers, every test
    that fired and, for a concern, the peers to learn from (the boroughs, or BCUs, whose same
    series improved significantly over the same window); then the findings resolved since last
    month. --area lists an area's own findings (a BCU's are those of its summed series).
    --detail lists the tests; --improvements ranks the month's improvements across boroughs.
    """
    fmt = format_for_output(output, format, TEXT_FORMATS, "table")
    if detail and improvements:
        from crimefighters.errors import CrimefightersError

        raise CrimefightersError("--detail and --improvements: choose one")
    import polars as pl

    from crimefighters.scan import CSV_FIELDS
    from crimefighters.scan.cached import scan_dataset

    loaded, dataset = options.load_data()
    config = loaded.config
    areas = resolve_areas(area, config)
    if improvements:
        result = scan_dataset(
            dataset, config, parse_month_arg(month), measures=measure, methods=method,
            spc_inputs=options.spc_inputs(loaded),
        )  # fmt: skip
        _emit(_improvements(result, config, areas, fmt, dataset.synthetic), output, dataset.synthetic, fmt)
        return 0
    result = scan_dataset(
        dataset, config, parse_month_arg(month), boroughs=areas, measures=measure, methods=method,
        spc_inputs=options.spc_inputs(loaded),
    )  # fmt: skip
    mine = pl.lit(True) if areas else pl.col("area_type") == "borough"
    synthetic = dataset.synthetic
    if detail:
        # a series that is exactly another (a major group of one category) is listed once
        tests = result.tests.filter(mine & ~pl.col("duplicate").fill_null(False))
        text = _detail_table(tests, result.scan_month) if fmt == "table" else _write(tests.select(DETAIL_FIELDS), fmt, synthetic)
    elif fmt == "table":
        text = _table(result.findings.filter(mine), result.resolved.filter(mine), result.scan_month, config.scan.findings.lookback_months)
    else:
        text = _write(result.findings.filter(mine).select(CSV_FIELDS), fmt, synthetic)
    _emit(text, output, synthetic, fmt)
    return 0


def _improvements(result, config, areas: list[str] | None, fmt: str, synthetic: bool) -> str:
    """The month's improvements ranked across the boroughs of the areas asked for."""
    from crimefighters.scan import CSV_FIELDS
    from crimefighters.scan.learning import ranked_improvements

    boroughs = sorted({b for a in (areas or ["London"]) for b in config.boroughs_of(a)})
    ranked = ranked_improvements(result.findings, boroughs)
    if fmt != "table":
        return _write(ranked.select("rank", *CSV_FIELDS), fmt, synthetic)
    from crimefighters.present import month_name, status_text

    where = ", ".join(areas) if areas else "London"
    if ranked.height == 0:
        return f"No improvements in {where} in {month_name(result.scan_month)}.\n"
    lines = [
        f"Improvements in {where}, {month_name(result.scan_month)}: {ranked.height} across "
        f"{ranked['borough'].n_unique()} boroughs, strongest evidence first, then the largest change",
        "",
    ]
    for row in ranked.iter_rows(named=True):
        lines.append(
            f"{row['rank']:>3}  {row['borough']:<22} {row['name']:<36} "
            f"{status_text(row['status'], row['months_running']):<24} score {row['score']:.1f}"
        )
        lines.append(f"       {row['evidence']}")
    return "\n".join(lines) + "\n"


def _write(frame, fmt: str, synthetic: bool) -> str:
    return _csv(frame, synthetic) if fmt == "csv" else _json(frame, synthetic)


def compare(
    *,
    month: Annotated[str, Parameter(help="the last month of the window, YYYY-MM")],
    window: Annotated[
        Literal["1", "3", "12", "fytd"],
        Parameter(help="months in the window, or financial year to date"),
    ],
    area: Annotated[
        list[str] | None,
        Parameter(
            name=["--area", "--borough"],
            help="a borough, a BCU or London (repeatable; --borough is the same option; default: "
            "London as a whole)",
        ),
    ] = None,
    london: Annotated[bool, Parameter(help="London as a whole (the default)")] = False,
    level: Literal["major", "minor", "priority"] = "major",
    format: FormatOption = None,
    output: OutputOption = None,
    options: Options,
) -> int:
    """The published comparison tables: a window against the same window last year.

    Each category's total in the window ending at --month against the same window a year
    earlier, as the Met and MOPAC publish them, with the exact conditional test allowing for
    the extra variation each series shows in its own history. A BCU's totals are its boroughs'
    summed.
    """
    from crimefighters.errors import CrimefightersError

    if area and london:
        raise CrimefightersError("--london and --area: choose one")
    fmt = format_for_output(output, format, TEXT_FORMATS, "table")
    from crimefighters.scan.compare import comparison_table

    loaded, dataset = options.load_data()
    config = loaded.config
    areas = resolve_areas(area, config)
    table = comparison_table(
        dataset.observations, config, parse_month_arg(month), window, areas, level
    )
    if fmt == "csv":
        text = _csv(table, dataset.synthetic)
    elif fmt == "json":
        text = _json(table, dataset.synthetic)
    else:
        text = _compare_table(table)
    _emit(text, output, dataset.synthetic, fmt)
    return 0


def resolve_areas(names: list[str] | None, config) -> list[str] | None:
    """Areas as typed (boroughs in any spelling, BCUs, London) -> their names in the scan."""
    from crimefighters.config.models import AREA_KINDS

    if not names:
        return None
    return list(dict.fromkeys(config.resolve_area(name, AREA_KINDS) for name in names))


def _emit(text: str, output: Path | None, synthetic: bool = False, fmt: str = "table") -> None:
    from crimefighters.errors import CrimefightersError
    from crimefighters.exports import synthetic_note
    from crimefighters.files import atomic_write_text
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
    try:
        atomic_write_text(output, text)
    except OSError as exc:
        raise CrimefightersError(f"cannot write {output}: {exc.strerror or exc}") from None
    print(f"wrote {output}", file=sys.stderr)


def _csv(frame, synthetic: bool) -> str:
    from crimefighters.exports import csv_text

    return csv_text(frame, synthetic=synthetic)


def _json(frame, synthetic: bool) -> str:
    from crimefighters.exports import json_text

    return json_text(frame, synthetic=synthetic)


def _table(findings, resolved, scan_month, looked_back: int) -> str:
    from crimefighters.present import counted, month_add, month_name, state_words, status_text

    if findings.height == 0:
        text = f"No findings in {month_name(scan_month)}.\n"
    else:
        counts = {a: (findings["assessment"] == a).sum() for a in ("concern", "improvement", "neutral")}
        statuses = {s: (findings["status"] == s).sum() for s in ("new", "returned", "continuing")}
        lines = [
            f"Findings in {month_name(scan_month)}: {findings.height} ({counted(counts['concern'], 'concern')}, "
            f"{counted(counts['improvement'], 'improvement')}, {counts['neutral']} neutral; {statuses['new']} new, "
            f"{statuses['returned']} returned, {statuses['continuing']} continuing), strongest evidence first",
            "",
        ]
        for row in findings.iter_rows(named=True):
            lines.append(
                f"{row['score']:5.1f}  {row['borough']:<22} {state_words(row['assessment'], row['direction']):<16} "
                f"{status_text(row['status'], row['months_running'], looked_back):<24} {row['name']}"
            )
            lines.append(f"       {row['evidence']}")
            if row["related"]:
                lines.append(f"       covers: {row['related']}")
            if row["n_tests"] > 1:
                lines.append(f"       {row['n_tests']} tests agree (--detail lists them)")
        text = "\n".join(lines) + "\n"
    if resolved.height:
        text += f"\nResolved since {month_name(month_add(scan_month, -1))}: {resolved.height}\n"
        for row in resolved.iter_rows(named=True):
            text += f"       {row['borough']:<22} {state_words(row['assessment'], row['direction']):<16} {row['name']}\n"
    return text


def _detail_table(tests, scan_month) -> str:
    from crimefighters.present import month_name, state_words

    if tests.height == 0:
        return f"No tests fired in {month_name(scan_month)}.\n"
    lines = [f"Tests that fired in {month_name(scan_month)}: {tests.height}, by finding", ""]
    for row in tests.sort("finding_id", "score", descending=[False, True]).iter_rows(named=True):
        lines.append(
            f"{row['score']:5.1f}  {row['finding_id']:<48} {row['role']:<8} "
            f"{state_words(row['assessment'], row['direction']):<16} {row['method']}/{row['rule']}"
        )
        lines.append(f"       {row['evidence']}")
    return "\n".join(lines) + "\n"


def _compare_table(table) -> str:
    if table.height == 0:
        return "No categories to compare.\n"
    first = table.row(0, named=True)
    lines = [f"{first['current_period']} against {first['previous_period']}", ""]
    header = (
        f"{'area':<22} {'category':<44} {'current':>9} {'previous':>9} {'change':>8} {'%':>7}  p"
    )
    lines += [header, "-" * len(header)]
    for r in table.iter_rows(named=True):
        pct = "n/a" if r["change_pct"] is None else f"{r['change_pct']:+.1f}"
        p = (
            ""
            if r["p_value"] is None
            else ("<0.001" if r["p_value"] < 0.001 else f"{r['p_value']:.3f}")
        )
        lines.append(
            f"{r['area'][:22]:<22} {r['category'][:44]:<44} {r['current']:>9,.0f} {r['previous']:>9,.0f} {r['change']:>+8,.0f} {pct:>7}  {p}"
        )
    return "\n".join(lines) + "\n"
