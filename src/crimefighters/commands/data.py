"""crimefighters data info | data formats"""

from __future__ import annotations

from crimefighters.commands._shared import Options


def formats(*, options: Options) -> int:
    """List the file formats that can be loaded, detected by their header."""
    from crimefighters.data.formats import registry

    for fmt in registry():
        print(f"{fmt.name:22} {fmt.description}")
    return 0


def info(*, options: Options) -> int:
    """Summarise the loaded data: formats, boroughs, measures, months, warnings.

    Loads the data (default: the bundled sample data) and lists each file's detected
    format and months, boroughs, measures and categories, the month range, and every warning
    (pseudo-boroughs set aside, retired categories, superseded releases, provisional months)."""
    import polars as pl

    from crimefighters.text_safety import terminal_safe as shown  # file names are data too

    loaded, dataset = options.load_data()
    print(loaded.description)
    obs = dataset.observations
    report = dataset.report
    print(f"Data: {', '.join(str(p) for p in options.data_paths())}")
    print(f"Files: {len(report.files)}")
    for file in report.files:
        span = (
            f"{file.first_month:%Y-%m}..{file.last_month:%Y-%m}"
            if file.first_month
            else "no months"
        )
        print(
            f"  {shown(file.path.name):70} {file.format:20} {span:17} {file.rows:>9,} rows{' (cached)' if file.cached else ''}"
        )
    if dataset.synthetic:
        from crimefighters.data.synthetic import LABEL

        names = ", ".join(shown(p.name) for p in dataset.synthetic_files)
        print(f"{LABEL}: {names} (made by the crimefighters sample command)")
    if obs.height == 0:
        print("No observations loaded.")
    else:
        boroughs = obs["borough"].n_unique()
        print(f"Rows: {obs.height:,} borough-level observations", end="")
        if dataset.wards.height:
            print(
                f", {dataset.wards.height:,} ward-level ({dataset.wards['ward_code'].n_unique()} wards)",
                end="",
            )
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
            obs.filter(pl.col("provisional"))
            .group_by("measure")
            .agg(pl.col("month").unique().sort())
            .sort("measure")
        )
        for row in provisional.iter_rows(named=True):
            months = ", ".join(f"{m:%Y-%m}" for m in row["month"])
            print(
                f"  provisional: {row['measure']} {months} (newest month of its release; expect upward revision)"
            )
    if report.skipped:
        print(f"Skipped ({len(report.skipped)}, no loader recognises them; --strict refuses them):")
        for line in report.skipped:
            print(f"  - {shown(line)}")
    notes = [*report.set_aside, *report.warnings, *report.superseded]
    if notes:
        print(f"Warnings ({len(notes)}):")
        for note in notes:
            print(f"  - {shown(note)}")
    return 0
