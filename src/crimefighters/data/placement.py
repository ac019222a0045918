"""Placing coordinates in boroughs by the nearest geocoded street crime, and measuring how well.

data.police.uk stop-and-search records carry a latitude and longitude but no borough or LSOA.
Its street-level crime files carry both coordinates and an LSOA whose name starts with the
borough (``Lambeth 012A``). Both snap locations to the same set of anonymised map points, so a
search is placed in the borough of the street crimes recorded at its map point, or else of the
nearest street crime within ``geography.placement.max_distance_m``; anything further is not
placed. Where one map point carries crimes of two boroughs, the borough with more crimes there
wins.

``placement_check`` measures the method on the street crimes themselves: every map point is
placed from the OTHER map points (its own crimes held out) and the borough compared with its
own. Run it on real files with::

    python -m crimefighters.data.placement STREET_FILES_OR_FOLDERS [--stop-and-search FOLDER]

Nearest neighbours are found with a grid join in Polars: points are binned in square cells as
wide as the largest distance allowed, so every neighbour within that distance is in the 3x3
cells around a point; the join is exact, vectorised, and needs no spatial library.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from crimefighters.config.models import Config
from crimefighters.data.text import read_bytes
from crimefighters.errors import DataError

# Metres per degree at London's latitude: good to well under 1% across Greater London.
_LATITUDE = 51.5
METRES_PER_DEGREE_LAT = 111_132.0
METRES_PER_DEGREE_LON = 111_320.0 * math.cos(math.radians(_LATITUDE))
OUTSIDE = "(outside the boroughs)"
_LSOA_CODE_SUFFIX = r"\s+\d{3,4}[A-Z]?$"


@dataclass(frozen=True)
class PointIndex:
    """Map points with the borough of the street crimes recorded there (or OUTSIDE)."""

    points: pl.DataFrame  # longitude, latitude, x, y, borough, crimes
    files: int


def metres(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        x=pl.col("longitude") * METRES_PER_DEGREE_LON, y=pl.col("latitude") * METRES_PER_DEGREE_LAT
    )


_INDEXES: dict[tuple, PointIndex] = {}  # the last few indexes built, by files and geography
# Stop and search files of one load are parsed on several threads: the index is built once.
_INDEX_LOCK = threading.Lock()


def street_points(paths: tuple[Path, ...], config: Config) -> PointIndex:
    """The map-point index of these data.police.uk street files (kept for the next file)."""
    stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths)
    key = (stamp, repr(config.geography.model_dump()))
    with _INDEX_LOCK:
        if key not in _INDEXES:
            if len(_INDEXES) >= 4:
                _INDEXES.pop(next(iter(_INDEXES)))
            _INDEXES[key] = _street_points(stamp, config)
        return _INDEXES[key]


def _street_points(stamp: tuple, config: Config) -> PointIndex:
    from crimefighters.data.names import BoroughResolver

    frames = []
    for name, _size, _mtime in stamp:
        path = Path(name)
        lazy = pl.scan_csv(io.BytesIO(read_bytes(path)), infer_schema=False)
        frames.append(
            lazy.select(
                longitude=pl.col("Longitude").cast(pl.Float64, strict=False),
                latitude=pl.col("Latitude").cast(pl.Float64, strict=False),
                place=pl.col("LSOA name").str.strip_chars().str.replace(_LSOA_CODE_SUFFIX, ""),
            )
            .drop_nulls()
            .filter(pl.col("place") != "")
            .group_by("longitude", "latitude", "place")
            .agg(crimes=pl.len())
            .collect()
        )
    if not frames:
        return PointIndex(
            pl.DataFrame(
                schema={
                    "longitude": pl.Float64,
                    "latitude": pl.Float64,
                    "borough": pl.String,
                    "crimes": pl.UInt32,
                }
            ),
            0,
        )
    by_place = (
        pl.concat(frames).group_by("longitude", "latitude", "place").agg(pl.col("crimes").sum())
    )
    lookup = BoroughResolver(config).table(by_place["place"].unique().to_list())
    boroughs = lookup.select(
        "borough_raw",
        borough=pl.when(pl.col("kind") == "borough")
        .then(pl.col("borough"))
        .otherwise(pl.lit(OUTSIDE)),
    )
    by_borough = (
        by_place.join(boroughs, left_on="place", right_on="borough_raw")
        .group_by("longitude", "latitude", "borough")
        .agg(pl.col("crimes").sum())
    )
    # One borough per map point: the one with most crimes there (ties: alphabetical).
    points = (
        by_borough.sort(
            ["longitude", "latitude", "crimes", "borough"], descending=[False, False, True, False]
        )
        .group_by("longitude", "latitude", maintain_order=True)
        .first()
    )
    return PointIndex(metres(points), len(stamp))


def nearest(
    queries: pl.DataFrame, index: pl.DataFrame, max_m: float, exclude_same_point: bool = False
) -> pl.DataFrame:
    """For each query (qid, x, y): the borough and distance of the nearest index point within
    ``max_m`` metres, or no row. ``exclude_same_point`` holds out index points at the query's
    own location (for the accuracy check)."""
    cell = float(max_m)
    offsets = pl.DataFrame(
        {"dx": [-1, 0, 1] * 3, "dy": [-1] * 3 + [0] * 3 + [1] * 3},
        schema={"dx": pl.Int64, "dy": pl.Int64},
    )
    around = (
        queries.select(
            "qid",
            "x",
            "y",
            cx=(pl.col("x") / cell).floor().cast(pl.Int64),
            cy=(pl.col("y") / cell).floor().cast(pl.Int64),
        )
        .join(offsets, how="cross")
        .select("qid", "x", "y", cx=pl.col("cx") + pl.col("dx"), cy=pl.col("cy") + pl.col("dy"))
    )
    cells = index.select(
        px=pl.col("x"),
        py=pl.col("y"),
        borough=pl.col("borough"),
        cx=(pl.col("x") / cell).floor().cast(pl.Int64),
        cy=(pl.col("y") / cell).floor().cast(pl.Int64),
    )
    candidates = around.join(cells, on=["cx", "cy"]).with_columns(
        distance=((pl.col("x") - pl.col("px")) ** 2 + (pl.col("y") - pl.col("py")) ** 2).sqrt()
    )
    keep = pl.col("distance") <= max_m
    if exclude_same_point:
        keep = keep & (pl.col("distance") > 0.5)  # another map point, not the query's own
    return (
        candidates.filter(keep)
        .sort("qid", "distance", "borough")
        .group_by("qid", maintain_order=True)
        .first()
        .select("qid", "borough", "distance")
    )


def place(locations: pl.DataFrame, index: PointIndex, max_m: float) -> pl.DataFrame:
    """Each (longitude, latitude) location -> borough (or OUTSIDE, or null: not placed) and how:
    ``map point`` (street crimes recorded at the same point), ``nearest`` (within max_m)."""
    located = metres(locations.select("longitude", "latitude").unique()).with_row_index("qid")
    exact = located.join(
        index.points.select("longitude", "latitude", "borough"),
        on=["longitude", "latitude"],
        how="left",
    )
    placed = exact.filter(pl.col("borough").is_not_null()).with_columns(
        how=pl.lit("map point"), distance=pl.lit(0.0)
    )
    rest = exact.filter(pl.col("borough").is_null()).drop("borough")
    near = nearest(rest, index.points, max_m).with_columns(how=pl.lit("nearest"))
    rest = rest.join(near, on="qid", how="left").with_columns(how=pl.col("how").fill_null("beyond"))
    return pl.concat([placed.select(rest.columns), rest], how="vertical_relaxed").select(
        "longitude", "latitude", "borough", "how", "distance"
    )


@dataclass(frozen=True)
class Check:
    points: int
    placed: int
    agree: int
    crimes: int
    crimes_agree: int

    def describe(self, max_m: float) -> str:
        return (
            f"held-out check: {self.placed:,} of {self.points:,} street-crime map points placed from the other "
            f"points within {max_m:,.0f} m; {self.agree / self.placed:.1%} in their own borough "
            f"({self.crimes_agree / self.crimes:.1%} weighted by crimes)"
        )


def placement_check(index: PointIndex, max_m: float) -> Check:
    """Hold out each map point's own crimes; place it from the others; compare boroughs."""
    points = index.points.filter(pl.col("borough") != OUTSIDE).with_row_index("qid")
    near = nearest(points.select("qid", "x", "y"), index.points, max_m, exclude_same_point=True)
    judged = points.join(near.rename({"borough": "placed"}), on="qid")
    agree = judged.filter(pl.col("placed") == pl.col("borough"))
    return Check(
        points=points.height,
        placed=judged.height,
        agree=agree.height,
        crimes=int(judged["crimes"].sum()),
        crimes_agree=int(agree["crimes"].sum()),
    )


def main(argv: list[str] | None = None) -> int:
    """Measure the placement on real files: the held-out check, and stop and search placed."""
    import argparse

    from crimefighters.config import load_config
    from crimefighters.data.fingerprints import detect
    from crimefighters.data.store import expand_paths

    parser = argparse.ArgumentParser(
        prog="python -m crimefighters.data.placement", description=main.__doc__
    )
    parser.add_argument("street", nargs="+", help="data.police.uk street files or folders")
    parser.add_argument(
        "--stop-and-search", nargs="*", default=[], help="stop and search files or folders to place"
    )
    parser.add_argument("--config", default=None)
    args = parser.parse_args(argv)
    config = load_config(args.config).config
    max_m = config.geography.placement.max_distance_m
    try:
        files = expand_paths([Path(p) for p in args.street])
        street = tuple(p for p in files if detect(p).name == "police_uk_street")
        index = street_points(street, config)
        print(f"{len(street)} street files, {index.points.height:,} map points")
        print(placement_check(index, max_m).describe(max_m))
        if args.stop_and_search:
            from crimefighters.data.formats.stop_and_search import placement_summary

            searches = expand_paths([Path(p) for p in args.stop_and_search])
            print(placement_summary(tuple(searches), index, max_m))
    except DataError as exc:
        print(f"error: {exc}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
