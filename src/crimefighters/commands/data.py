"""crimefighters data info | data formats"""

from __future__ import annotations

import argparse

from crimefighters.commands._shared import data_paths, load_data_from


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("data", help="what data is loaded, and the formats understood", parents=[common])
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    info = actions.add_parser(
        "info",
        help="summarise the loaded data: formats, boroughs, measures, months, warnings",
        description="Load the data (default: the bundled sample data) and summarise it: each "
        "file's detected format and months, boroughs, measures and categories, the month range, "
        "and every warning (pseudo-boroughs set aside, retired categories, superseded releases, "
        "provisional months).",
        parents=[common],
    )
    info.set_defaults(handler=run_info)
    formats = actions.add_parser("formats", help="list the file formats that can be loaded", parents=[common])
    formats.set_defaults(handler=run_formats)


def run_formats(args: argparse.Namespace) -> int:
    from crimefighters.data.formats import registry

    for fmt in registry():
        print(f"{fmt.name:22} {fmt.description}")
    return 0


def run_info(args: argparse.Namespace) -> int:
    import polars as pl

    _, dataset = load_data_from(args)
    obs = dataset.observations
    report = dataset.report
    print(f"Data: {', '.join(str(p) for p in data_paths(args))}")
    print(f"Files: {len(report.files)}")
    for file in report.files:
        span = (
            f"{file.first_month:%Y-%m}..{file.last_month:%Y-%m}" if file.first_month else "no months"
        )
        print(f"  {file.path.name:70} {file.format:20} {span:17} {file.rows:>9,} rows{' (cached)' if file.cached else ''}")
    if obs.height == 0:
        print("No observations loaded.")
    else:
        boroughs = obs["borough"].n_unique()
        print(f"Rows: {obs.height:,} borough-level observations", end="")
        if dataset.wards.height:
            print(f", {dataset.wards.height:,} ward-level ({dataset.wards['ward_code'].n_unique()} wards)", end="")
        print()
        print(f"Months: {obs['month'].min():%Y-%m} to {obs['month'].max():%Y-%m}")
        print(f"Boroughs: {boroughs}")
        summary = (
            obs.group_by("measure")
            .agg(
                pl.col("category").n_unique().alias("categories"),
                pl.col("month").min().alias("first"),
                pl.col("month").max().alias("last"),
                pl.col("borough").n_unique().alias("boroughs"),
                pl.len().alias("rows"),
            )
            .sort("measure")
        )
        print("Measures:")
        for row in summary.iter_rows(named=True):
            print(
                f"  {row['measure']:28} {row['categories']:>3} categories  {row['boroughs']:>2} boroughs  "
                f"{row['first']:%Y-%m}..{row['last']:%Y-%m}  {row['rows']:>8,} rows"
            )
        provisional = (
            obs.filter(pl.col("provisional")).group_by("measure").agg(pl.col("month").unique().sort()).sort("measure")
        )
        for row in provisional.iter_rows(named=True):
            months = ", ".join(f"{m:%Y-%m}" for m in row["month"])
            print(f"  provisional: {row['measure']} {months} (newest month of its release; expect upward revision)")
    if report.skipped:
        print(f"Skipped ({len(report.skipped)}, no loader recognises them; --strict refuses them):")
        for line in report.skipped:
            print(f"  - {line}")
    notes = [*report.set_aside, *report.warnings, *report.superseded]
    if notes:
        print(f"Warnings ({len(notes)}):")
        for note in notes:
            print(f"  - {note}")
    return 0
