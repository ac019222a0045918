"""MPS Monthly Crime Dashboard (London Datastore): offences and positive outcomes by month.

One row per month x area x crime subtype x measure. The Datastore publishes it as CSV or XLSX
with the header::

    Month_Year, Area Type, Borough_SNT, Area name, Area code, Crime Type, Crime Subtype,
    Measure, Financial Year, FY_FYIndex, Count, Refresh Date

(``Offence Group`` / ``Offence Subgroup`` in some resources, ``FY_FYIndex`` absent in others);
third-party Parquet copies snake-case the same names and add ``sheet``. Every spelling is read:
columns are matched by their snake-cased name, in any order.

What is loaded, and how (docs/data-formats.md has the whole story):
- Only ``Area Type == Borough`` rows. Safer Neighbourhood Team rows are a finer split of the
  same offences: never added to the borough rows; their sums are checked against them and the
  result reported.
- Series map onto measures and categories through ``dashboard`` in measures.yaml (Crime
  Subtype names matched ignoring case and spacing, since capitals differ by borough). A
  subtype is taken whatever its Crime Type, so ``Gun Crime Personal Robbery`` (listed both as
  a Gun Crime subtype and as a crime type of its own) is one series; the same key twice is
  counted once when the counts agree and refused when they differ. Series no measure maps are
  reported, not loaded.
- The dashboard leaves out zero rows. Within the months a series is published (its first to
  last month in the file), a borough without a row had none: the zero is written, so every
  series is complete and a month with no gun crime reads 0, not "no data".
- Counts are the ``counts`` rows (Offences or Positive Outcomes) of count measures; a
  proportion measure is Positive Outcomes / Offences of the same borough, month and category.
  There is no rate where there were no offences (reported). Outcomes are counted in the
  month they are assigned, so a small series can have more outcomes than offences in a month:
  such months are kept (and reported), since leaving them out would bias every rate over
  several months downwards.
- ``Other / NK`` and ``Aviation Security`` are pseudo-boroughs (boroughs.yaml): their rows,
  whose keys repeat under several area names, are set aside and reported.
- Names are resolved here, before rows are compared or added up (``ParsedFile.canonical``):
  borough spellings and pseudo-boroughs through boroughs.yaml, at the line they are written
  on. The store's checks for raw-name loaders would refuse a rate over 100%, which this
  file publishes honestly (see above), so the dashboard makes its own: names, months and
  counts at their first bad line.
- The release is the last month the file covers; the refresh dates (a file can hold two:
  knife crime is refreshed separately) are reported.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from crimefighters.config.models import Config
from crimefighters.data.formats import FileFormat
from crimefighters.data.formats.checks import refuse_implausible_months
from crimefighters.data.formats.tabular import (
    Table,
    as_count,
    as_date,
    as_month,
    as_text,
    canonical_boroughs,
    read_table,
    refuse_first,
    snake,
)
from crimefighters.data.names import (
    canonical_categories,
    refuse_control_characters,
    resolve_boroughs,
)
from crimefighters.data.schema import CANONICAL_COLUMNS, ParsedFile, conform
from crimefighters.data.text import split_header
from crimefighters.errors import DataError

FAMILY = "mps_dashboard"
OFFENCES, OUTCOMES = "Offences", "Positive Outcomes"
_SPELLINGS = {"offence_group": "crime_type", "offence_subgroup": "crime_subtype"}
REQUIRED = (
    "month_year",
    "area_type",
    "borough_snt",
    "crime_type",
    "crime_subtype",
    "measure",
    "count",
)
OPTIONAL = ("area_name", "area_code", "financial_year", "fy_fyindex", "refresh_date", "sheet")


def _columns(header: list[str]) -> list[str]:
    return [_SPELLINGS.get(snake(h), snake(h)) for h in header]


def accepts(header: list[str]) -> bool:
    # Claimed on Month_Year and Borough_SNT (no other format has them), so a dashboard file
    # missing a column is told which one rather than that its format is unknown.
    return {"month_year", "borough_snt"} <= set(_columns(header))


def detect(header_line: str, path: Path) -> bool:
    return accepts(split_header(header_line))


def parse(path: Path, data: bytes, config: Config) -> ParsedFile:
    tables = read_table(path, data, accepts)
    frame = pl.concat([_validated(table) for table in tables], how="vertical_relaxed")
    warnings: list[str] = []
    boroughs = frame.filter(pl.col("area_type").str.to_lowercase() == "borough")
    _report_refresh_dates(boroughs, warnings)
    if boroughs.height == 0:
        raise DataError(
            path, "no rows with Area Type 'Borough' (only neighbourhood or other areas)"
        )
    # Spellings resolved before keys are compared: 'Barking & Dagenham' and 'Barking and
    # Dagenham' rows are one borough; pseudo-boroughs set aside, an unknown one refused.
    resolved, set_aside = resolve_boroughs(
        path,
        boroughs.rename({"borough_snt": "borough_raw"}),
        config,
        rows=pl.len(),
        total=pl.col("count").sum(),
        line_column="_line",
    )
    _report_other_areas(frame, resolved, config, warnings)
    cells = _one_count_per_key(path, tables, resolved, warnings)
    cells = _with_zeros(cells, config, warnings)
    rows = canonical_categories(_mapped(cells, config, warnings), config)
    return ParsedFile(
        path=path,
        format="mps_crime_dashboard",
        rows=conform(rows, CANONICAL_COLUMNS).sort(
            "measure", "borough", "category_group", "category", "month"
        ),
        warnings=warnings,
        release=boroughs["month"].max(),
        canonical=True,
        set_aside=set_aside,
    )


def _validated(table: Table) -> pl.DataFrame:
    frame = table.frame
    original = [c for c in frame.columns if c != "_line"]
    names = _columns(original)
    label = dict(zip(names, original, strict=True))  # messages quote the file's own header
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(table.where, f"repeated columns {repeated} in the header", line=1)
    frame = frame.rename(dict(zip(original, names, strict=True)))
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise DataError(
            table.where,
            f"missing column(s) {', '.join(missing)}; an MPS Monthly Crime Dashboard file has "
            "Month_Year, Area Type, Borough_SNT, Crime Type, Crime Subtype, Measure, Count",
            line=1,
        )
    schema = frame.schema
    text_columns = ("area_type", "borough_snt", "crime_type", "crime_subtype", "measure")
    parsed = frame.select(
        "_line",
        month=as_month("month_year", schema["month_year"]),
        month_text=as_text("month_year", schema["month_year"]),
        count=as_count("count", schema["count"]),
        count_text=as_text("count", schema["count"]),
        refresh=as_date("refresh_date", schema["refresh_date"])
        if "refresh_date" in schema
        else pl.lit(None, dtype=pl.Date),
        area_name=as_text("area_name", schema["area_name"])
        if "area_name" in schema
        else pl.lit(""),
        **{c: as_text(c, schema[c]) for c in text_columns},
    )
    where = table.where
    refuse_first(
        where,
        parsed,
        pl.col("month").is_null(),
        "month_text",
        label["month_year"],
        "expected a month as YYYY-MM-DD",
    )
    refuse_first(
        where,
        parsed,
        pl.col("count").is_null(),
        "count_text",
        label["count"],
        "expected a whole number of 0 or more",
    )
    refuse_implausible_months(where, parsed, "month", label["month_year"], shown="month_text")
    for column in ("area_type", "borough_snt", "crime_subtype"):
        refuse_first(where, parsed, pl.col(column) == "", column, label[column], "empty cell")
    names = ("area_type", "borough_snt", "area_name", "crime_type", "crime_subtype")
    refuse_control_characters(
        where, parsed, {c: label.get(c, c) for c in names}, line_column="_line"
    )
    refuse_first(
        where,
        parsed,
        ~pl.col("measure").str.to_lowercase().is_in([OFFENCES.lower(), OUTCOMES.lower()]),
        "measure",
        label["measure"],
        f"expected {OFFENCES!r} or {OUTCOMES!r}",
    )
    return parsed.with_columns(
        measure=pl.when(pl.col("measure").str.to_lowercase() == OFFENCES.lower())
        .then(pl.lit(OFFENCES))
        .otherwise(pl.lit(OUTCOMES)),
        subtype_key=_key(pl.col("crime_subtype")),
        source=pl.lit(str(where)),
    )


def _key(expr: pl.Expr) -> pl.Expr:
    """Subtype names matched ignoring case and spacing ('violence with injury' = 'Violence With Injury')."""
    return expr.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()


def _one_count_per_key(
    path: Path, tables: list[Table], frame: pl.DataFrame, warnings: list[str]
) -> pl.DataFrame:
    """One count per borough, area, month, subtype and measure; then areas summed per borough.

    The same key twice (a subtype listed under two crime types, or a repeated row) is counted
    once when the counts agree and refused when they differ. ``Other / NK`` repeats keys under
    different area names: those are different areas and are added up.
    """
    keys = ["borough", "area_name", "month", "subtype_key", "measure"]
    grouped = frame.group_by(keys).agg(
        pl.col("count").n_unique().alias("versions"),
        pl.col("count").first(),
        pl.col("_line").min().alias("line"),
        pl.col("_line").max().alias("second"),
        pl.col("source").first(),
        pl.len().alias("rows"),
    )
    conflict = grouped.filter(pl.col("versions") > 1).sort("second")
    if conflict.height:
        row = conflict.row(0, named=True)
        raise DataError(
            row["source"],
            f"{row['borough']}, {row['subtype_key']}, {row['measure']}, {row['month']:%Y-%m} is given "
            f"twice with different counts (also on line {row['line']}); it would be double counted",
            line=int(row["second"]),
        )
    repeats = int((grouped["rows"] - 1).sum())
    if repeats:
        warnings.append(
            f"{repeats:,} repeated rows (the same series listed twice, same count) counted once"
        )
    return grouped.group_by("borough", "month", "subtype_key", "measure").agg(
        pl.col("count").sum(), pl.col("line").min()
    )


def _with_zeros(cells: pl.DataFrame, config: Config, warnings: list[str]) -> pl.DataFrame:
    """Write the zeros the dashboard leaves out, within each series' published months."""
    canonical = set(canonical_boroughs(config))
    names = [n for n in cells["borough"].unique().to_list() if n in canonical]
    places = pl.DataFrame({"borough": names}, schema={"borough": pl.String})
    spans = cells.group_by("subtype_key", "measure").agg(
        first=pl.col("month").min(), last=pl.col("month").max()
    )
    months = (
        spans.with_columns(month=pl.date_ranges("first", "last", interval="1mo"))
        .explode("month")
        .drop("first", "last")
    )
    grid = months.join(places, how="cross")
    filled = grid.join(cells, on=["borough", "month", "subtype_key", "measure"], how="left")
    zeros = filled.filter(pl.col("count").is_null()).height
    if zeros:
        warnings.append(
            f"{zeros:,} borough-months with no row (the dashboard leaves out zeros) written as 0, "
            "within the months each series is published"
        )
    pseudo = cells.join(places, on="borough", how="anti")
    filled = filled.with_columns(pl.col("count").fill_null(0)).select(cells.columns)
    return pl.concat([filled, pseudo.select(cells.columns)], how="vertical_relaxed")


def _mapping(config: Config) -> pl.DataFrame:
    """(subtype_key, dashboard measure) -> (measure id, category, role), from measures.yaml."""
    rows = []
    for m in config.measures:
        if m.dashboard is None:
            continue
        for category, subtypes in m.dashboard.categories.items():
            for subtype in subtypes:
                key = " ".join(subtype.split()).casefold()
                if m.kind == "proportion":
                    rows.append((key, OUTCOMES, m.id, category, "value"))
                    rows.append((key, OFFENCES, m.id, category, "denominator"))
                else:
                    counted = OFFENCES if m.dashboard.counts == "offences" else OUTCOMES
                    rows.append((key, counted, m.id, category, "value"))
    schema = {
        "subtype_key": pl.String,
        "measure": pl.String,
        "measure_id": pl.String,
        "category": pl.String,
        "role": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _mapped(cells: pl.DataFrame, config: Config, warnings: list[str]) -> pl.DataFrame:
    mapping = _mapping(config)
    unmapped = (
        cells.join(
            mapping.select("subtype_key", "measure").unique(),
            on=["subtype_key", "measure"],
            how="anti",
        )
        .group_by("subtype_key")
        .agg(pl.len().alias("cells"), pl.col("measure").unique().sort().str.join(" and "))
        .sort("subtype_key")
    )
    if unmapped.height:
        listed = "; ".join(
            f"{r['subtype_key']} ({r['measure']}, {r['cells']:,} borough-months)"
            for r in unmapped.iter_rows(named=True)
        )
        warnings.append(f"series no measure maps (measures.yaml `dashboard`), not loaded: {listed}")
    joined = cells.join(mapping, on=["subtype_key", "measure"])
    # Subtypes listed under one category are added up (TNO victim + non victim based).
    parts = joined.group_by("borough", "month", "measure_id", "category", "role").agg(
        pl.col("count").sum(), pl.col("line").min()
    )
    values = parts.filter(pl.col("role") == "value").drop("role")
    denominators = parts.filter(pl.col("role") == "denominator").select(
        "borough",
        "month",
        "measure_id",
        "category",
        denominator=pl.col("count"),
        denominator_line=pl.col("line"),
    )
    kinds = {m.id: m.kind for m in config.measures}
    proportions = [m for m, k in kinds.items() if k == "proportion"]
    counts = values.filter(~pl.col("measure_id").is_in(proportions)).with_columns(
        denominator=pl.lit(None, dtype=pl.Int64)
    )
    # A rate needs both sides: outcomes missing where offences were published are 0 (zero rows
    # are left out); offences missing make no rate.
    rates = denominators.join(
        values, on=["borough", "month", "measure_id", "category"], how="left"
    ).with_columns(count=pl.col("count").fill_null(0), line=pl.coalesce("line", "denominator_line"))
    over = rates.filter(pl.col("count") > pl.col("denominator"))
    if over.height:
        warnings.append(
            f"{over.height:,} borough-months have more positive outcomes than offences (outcomes are "
            "counted in the month they are assigned); kept, so rates over several months stay whole"
        )
    lost = rates.filter((pl.col("denominator") == 0) & (pl.col("count") > 0))
    if lost.height:
        warnings.append(
            f"{lost.height:,} borough-months with positive outcomes but no offences have no rate "
            f"({int(lost['count'].sum()):,} outcomes in no rate)"
        )
    rates = rates.filter(pl.col("denominator") > 0)
    both = pl.concat(
        [
            counts.select([*values.columns, "denominator"]),
            rates.select([*values.columns, "denominator"]),
        ],
        how="vertical_relaxed",
    )
    return both.select(
        month=pl.col("month"),
        borough="borough",
        measure=pl.col("measure_id"),
        category=pl.col("category"),
        category_group=pl.lit(""),
        value=pl.col("count").cast(pl.Float64),
        denominator=pl.col("denominator").cast(pl.Float64),
        family=pl.lit(FAMILY),
        line=pl.col("line"),
        provisional_hint=pl.lit(None, dtype=pl.Boolean),
    )


def _report_refresh_dates(frame: pl.DataFrame, warnings: list[str]) -> None:
    dates = (
        frame.filter(pl.col("refresh").is_not_null())
        .group_by("refresh")
        .agg(pl.col("crime_type").unique().sort())
        .sort("refresh")
    )
    if dates.height == 0:
        return
    last = frame["month"].max()
    parts = [
        f"{r['refresh']:%Y-%m-%d} ({', '.join(r['crime_type'])})"
        for r in dates.iter_rows(named=True)
    ]
    warnings.append(
        f"refreshed {'; '.join(parts)}; release taken as {last:%Y-%m}, the last month covered"
    )


def _report_other_areas(
    frame: pl.DataFrame, boroughs: pl.DataFrame, config: Config, warnings: list[str]
) -> None:
    """Neighbourhood (SNT) rows are not loaded; their sums are checked against the borough rows."""
    others = frame.filter(pl.col("area_type").str.to_lowercase() != "borough")
    if others.height == 0:
        return
    by_type = others.group_by("area_type").len().sort("area_type")
    listed = ", ".join(f"{r['area_type']} {r['len']:,}" for r in by_type.iter_rows(named=True))
    # An SNT's Borough_SNT is the borough's name then the team's: 'Lambeth Brixton Hill'.
    names = sorted({b.name for b in config.geography.boroughs}, key=len)
    borough = pl.lit(None, dtype=pl.String)
    for name in names:
        borough = (
            pl.when(pl.col("borough_snt").str.starts_with(name))
            .then(pl.lit(name))
            .otherwise(borough)
        )
    keys = ["borough", "month", "subtype_key", "measure"]
    snt = (
        others.with_columns(borough=borough)
        .filter(pl.col("borough").is_not_null())
        .group_by(keys)
        .agg(snt=pl.col("count").sum())
    )
    totals = (
        boroughs.filter(pl.col("borough").is_in(names)).group_by(keys).agg(pl.col("count").sum())
    )
    joined = totals.join(snt, on=keys, how="left").with_columns(pl.col("snt").fill_null(0))
    share = joined["snt"].sum() / joined["count"].sum() if joined["count"].sum() else 0.0
    above = joined.filter(pl.col("snt") > pl.col("count")).height
    text = (
        f"{others.height:,} rows below borough level not loaded ({listed}); within boroughs they add up "
        f"to {share:.1%} of the borough rows' counts (the rest is not placed in a neighbourhood)"
    )
    if above:
        text += f"; in {above:,} borough series-months they add up to MORE than the borough row"
    warnings.append(text)


FORMATS = [
    FileFormat(
        name="mps_crime_dashboard",
        description="MPS Monthly Crime Dashboard (Month_Year, Area Type, Borough_SNT, ..., Measure, Count) as CSV, XLSX or Parquet",
        detect=detect,
        parse=parse,
    )
]
