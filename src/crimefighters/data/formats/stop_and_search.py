"""data.police.uk stop and search (``YYYY-MM-<force>-stop-and-search.csv``): volume and arrests.

Columns::

    Type, Date, Part of a policing operation, Policing operation, Latitude, Longitude, Gender,
    Age range, Self-defined ethnicity, Officer-defined ethnicity, Legislation,
    Object of search, Outcome, Outcome linked to object of search,
    Removal of more than just outer clothing

There is no borough or LSOA column. A search is placed by its coordinates: in the borough of
the street crimes recorded at the same anonymised map point, or of the nearest street crime
within ``geography.placement.max_distance_m`` (data/placement.py). The street crimes come from
the data.police.uk street files loaded with it (``companions``); without them the file is
refused, since no search could be placed. Records without coordinates, with no street crime
near enough, or nearest a crime outside the 32 boroughs are counted and reported, not placed.

Each placed search gives, per borough and month (``Date`` is UTC: ``2022-08-31T23:00:00+00:00``
is September in London), category ``All`` and its ``Object of search``:
- ``stop_and_search``: searches;
- ``stop_and_search_arrest_rate``: searches whose ``Outcome`` is ``Arrest`` / searches with an
  outcome recorded (the few with none are reported).
A category with no search in a borough that month is 0. The six columns used are read, every
row checked for its field count, and aggregated to distinct map points before placing. A
monthly file is a snapshot of a closed month, so it is not marked provisional.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from crimefighters.config.models import Config
from crimefighters.data.formats import FileFormat
from crimefighters.data.formats.checks import (
    EARLIEST_MONTH,
    current_month,
    refuse_implausible_months,
)
from crimefighters.data.formats.tabular import canonical_boroughs
from crimefighters.data.names import (
    CONTROL_CHARACTERS,
    canonical_categories,
    refuse_control_characters,
)
from crimefighters.data.placement import OUTSIDE, PointIndex, place, street_points
from crimefighters.data.schema import RAW_COLUMNS, ParsedFile, conform
from crimefighters.data.text import plan_table, split_header
from crimefighters.errors import DataError

REQUIRED = ("Type", "Date", "Latitude", "Longitude", "Object of search", "Outcome")
ALL = "All"
NOT_STATED = "Not stated"


def detect(header_line: str, path: Path) -> bool:
    cells = set(split_header(header_line))
    return {"Type", "Date", "Latitude", "Longitude", "Object of search"} <= cells


def parse(path: Path, data: bytes, config: Config, companions: tuple[Path, ...] = ()) -> ParsedFile:
    searches = records(path, data)
    if not companions:
        raise DataError(
            path,
            "stop and search records carry no borough: load the data.police.uk street files "
            "(YYYY-MM-<force>-street.csv) with them, so each search is placed by the nearest street crime",
        )
    max_m = config.geography.placement.max_distance_m
    index = street_points(companions, config)
    if index.points.height == 0:
        raise DataError(
            path, "the street files loaded with it have no located crimes to place searches by"
        )
    placed = placed_records(searches, index, max_m)
    warnings = [describe(placed, max_m)]
    rows = _rows(placed, config)
    return ParsedFile(
        path=path,
        format="police_uk_stop_and_search",
        rows=conform(rows, RAW_COLUMNS),
        warnings=warnings,
        release=rows["month"].max(),
    )


def records(path: Path, data: bytes) -> pl.DataFrame:
    """Searches per month, location, object and outcome, validated.

    The columns used are read by Polars; the delimiters counted before (``plan_table``) say
    how many rows there must be, so a short row or a blank line Polars would read quietly
    sends the file to the csv module, which refuses the first bad line (or skips blank
    lines) before any cell is checked. A monthly file is small (the Met's largest holds about
    20,000 searches), so its columns are read at once."""
    plan = plan_table(path, data, columns=list(REQUIRED))
    missing = [c for c in REQUIRED if c not in plan.names]
    if missing:
        raise DataError(
            path,
            f"missing column(s) {', '.join(missing)} in a data.police.uk stop and search file",
            line=1,
        )
    frame = plan.checked
    if frame is None:
        try:
            frame = plan.scan().collect()
        except pl.exceptions.PolarsError:
            frame = None  # a row Polars refuses: the csv module words it
        if frame is None or frame.height != plan.expected_rows():
            frame = plan.slow()
    return _records(path, frame.lazy())


def _records(path: Path, lazy: pl.LazyFrame) -> pl.DataFrame:
    text = {c: pl.col(c).fill_null("").str.strip_chars() for c in REQUIRED}
    parsed = lazy.select(
        "_line",
        *[t.alias(c) for c, t in text.items()],
        month=text["Date"]
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%z", strict=False, time_zone="UTC")
        .dt.convert_time_zone("Europe/London")
        .dt.date()
        .dt.truncate("1mo"),
        latitude=text["Latitude"].cast(pl.Float64, strict=False),
        longitude=text["Longitude"].cast(pl.Float64, strict=False),
    )
    _refuse_first(
        path,
        parsed,
        pl.col("month").is_null(),
        "Date",
        "expected a date and time as 2024-05-31T23:00:00+00:00",
    )
    for name, column, low, high in (
        ("latitude", "Latitude", 49.0, 61.0),
        ("longitude", "Longitude", -8.5, 2.0),
    ):
        bad = (pl.col(column) != "") & (
            pl.col(name).is_null() | ~pl.col(name).is_between(low, high)
        )
        _refuse_first(
            path, parsed, bad, column, f"expected a {name} in the UK ({low} to {high}) or nothing"
        )
    _refuse_first(
        path,
        parsed,
        (pl.col("Latitude") == "") != (pl.col("Longitude") == ""),
        "Latitude",
        "a latitude without a longitude (or the other way round)",
    )
    # the first row breaking a rule every loader shares, checked as the others check theirs
    limit = current_month()
    implausible = (pl.col("month") > limit) | (pl.col("month") < EARLIEST_MONTH)
    first = parsed.filter(implausible).sort("_line").head(1).collect()
    refuse_implausible_months(path, first, "month", "Date")
    name = pl.col("Object of search").str.contains(CONTROL_CHARACTERS)
    first = parsed.filter(name).sort("_line").head(1).collect()
    refuse_control_characters(path, first, {"Object of search": "Object of search"}, "_line")
    return (
        parsed.group_by(
            "month",
            "longitude",
            "latitude",
            category=pl.when(pl.col("Object of search") == "")
            .then(pl.lit(NOT_STATED))
            .otherwise(pl.col("Object of search")),
            outcome=pl.when(pl.col("Outcome") == "")
            .then(pl.lit("none"))
            .when(pl.col("Outcome").str.to_lowercase() == "arrest")
            .then(pl.lit("arrest"))
            .otherwise(pl.lit("other")),
        )
        .agg(searches=pl.len(), line=pl.col("_line").min())
        .collect(engine="streaming")
    )


def _refuse_first(
    path: Path, parsed: pl.LazyFrame, condition: pl.Expr, column: str, problem: str
) -> None:
    bad = parsed.filter(condition).sort("_line").select("_line", column).head(1).collect()
    if bad.height:
        line, found = bad.row(0)
        raise DataError(path, f"{problem}; found {found!r}", line=int(line), column=column)


def placed_records(searches: pl.DataFrame, index: PointIndex, max_m: float) -> pl.DataFrame:
    """The searches with a borough (or none) and how each was placed."""
    located = searches.filter(pl.col("latitude").is_not_null())
    where = place(located.select("longitude", "latitude"), index, max_m)
    with_place = located.join(where, on=["longitude", "latitude"], how="left")
    no_coordinates = searches.filter(pl.col("latitude").is_null()).with_columns(
        borough=pl.lit(None, dtype=pl.String),
        how=pl.lit("no coordinates"),
        distance=pl.lit(None, dtype=pl.Float64),
    )
    return pl.concat(
        [with_place, no_coordinates.select(with_place.columns)], how="vertical_relaxed"
    ).with_columns(
        how=pl.when(pl.col("borough") == OUTSIDE).then(pl.lit("outside")).otherwise(pl.col("how"))
    )


def describe(placed: pl.DataFrame, max_m: float) -> str:
    counts = dict(placed.group_by("how").agg(pl.col("searches").sum()).iter_rows())
    total = sum(counts.values())
    inside = counts.get("map point", 0) + counts.get("nearest", 0)
    near = placed.filter(pl.col("how") == "nearest")
    median = (
        near.select(pl.col("distance").repeat_by("searches").explode().median()).item()
        if near.height
        else None
    )
    outcome = dict(placed.group_by("outcome").agg(pl.col("searches").sum()).iter_rows())
    text = (
        f"placed {inside:,} of {total:,} searches ({inside / total:.1%}) in a borough: "
        f"{counts.get('map point', 0):,} at a map point with street crimes, {counts.get('nearest', 0):,} by the "
        f"nearest street crime within {max_m:,.0f} m"
        + (f" (median {median:,.0f} m)" if median is not None else "")
        + f"; not placed: {counts.get('no coordinates', 0):,} without coordinates, "
        f"{counts.get('beyond', 0):,} with no street crime within {max_m:,.0f} m, "
        f"{counts.get('outside', 0):,} nearest a crime outside the 32 boroughs"
    )
    if outcome.get("none"):
        text += f"; {outcome['none']:,} without an outcome (not in the arrest rate)"
    return text


def _rows(placed: pl.DataFrame, config: Config) -> pl.DataFrame:
    # names made canonical before searches are added up (the store checks them again)
    boroughs = canonical_categories(
        placed.filter(pl.col("how").is_in(["map point", "nearest"])), config
    )
    both = pl.concat([boroughs, boroughs.with_columns(category=pl.lit(ALL))])
    cells = both.group_by("month", "borough", "category").agg(
        searches=pl.col("searches").sum(),
        arrests=pl.col("searches").filter(pl.col("outcome") == "arrest").sum(),
        with_outcome=pl.col("searches").filter(pl.col("outcome") != "none").sum(),
        line=pl.col("line").min(),
    )
    # A category with no search in a borough that month is 0, not missing.
    grid = (
        pl.DataFrame({"borough": canonical_boroughs(config)})
        .join(cells.select("month").unique(), how="cross")
        .join(cells.select("category").unique(), how="cross")
    )
    cells = grid.join(cells, on=["borough", "month", "category"], how="left").with_columns(
        pl.col("searches", "arrests", "with_outcome").fill_null(0)
    )
    volume = cells.select(
        "month",
        "borough",
        "category",
        "line",
        measure=pl.lit("stop_and_search"),
        value="searches",
        denominator=pl.lit(None, dtype=pl.Int64),
    )
    arrests = cells.filter(pl.col("with_outcome") > 0).select(
        "month",
        "borough",
        "category",
        "line",
        measure=pl.lit("stop_and_search_arrest_rate"),
        value="arrests",
        denominator="with_outcome",
    )
    return (
        pl.concat([volume, arrests], how="vertical_relaxed")
        .select(
            "month",
            borough_raw=pl.col("borough"),
            measure="measure",
            category="category",
            category_group=pl.lit(""),
            value=pl.col("value").cast(pl.Float64),
            denominator=pl.col("denominator").cast(pl.Float64),
            family=pl.lit("police_uk"),
            line="line",
            provisional_hint=pl.lit(False),
        )
        .sort("measure", "borough_raw", "category", "month")
    )


def placement_summary(paths: tuple[Path, ...], index: PointIndex, max_m: float) -> str:
    """The placement of every search in these files, in one sentence (for the measurement)."""
    from crimefighters.data.text import read_bytes

    frames = [records(p, read_bytes(p)) for p in paths]
    return describe(placed_records(pl.concat(frames), index, max_m), max_m)


FORMATS = [
    FileFormat(
        name="police_uk_stop_and_search",
        description="data.police.uk stop and search (Type, Date, ..., Latitude, Longitude, ..., Outcome); placed by street files",
        detect=detect,
        parse=parse,
        companions="police_uk_street",
    )
]
