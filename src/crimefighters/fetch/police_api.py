"""data.police.uk API: which months, which files, and splitting areas that are too large.

Endpoints (https://data.police.uk/docs/), for the configured force (``metropolitan``):
- ``crime-last-updated`` -> ``{"date": "YYYY-MM-DD"}``, the newest month published;
- ``crimes-street-dates`` -> ``[{"date": "YYYY-MM", ...}, ...]``, every month available;
- ``crimes-no-location?category=&force=&date=`` -> crimes that could not be mapped;
- ``crimes-street/<category>?poly=&date=`` -> street-level crimes inside a polygon;
- ``outcomes-at-location?poly=&date=`` -> outcomes for crimes inside a polygon.

Limits: 15 requests a second (HTTP 429 beyond, handled by the downloader); a custom area with
more than 10,000 crimes is refused with HTTP 503, so the polygon is quartered (each quarter
clipped to the original polygon, overlapping its neighbours by a hair so no crime on a cut line
is lost) and the parts merged, crimes de-duplicated by id. URLs longer than the API's 4,094
characters are sent as POST.

Files land in ``<data>/<folder>/<force>/<month>/<endpoint>_<borough>_<month>.json``, each with
a ``.meta.json`` sidecar ``{"borough", "source", "fetched"}`` that the JSON loader reads (the
borough cannot be told from the records themselves). Crimes with no location cannot be placed
in any borough, and the loader refuses a file without one, so they are kept with the two index
endpoints (last updated, dates) in ``<data>/.fetch/police_uk/``, out of the loader's way.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from crimefighters.config.models import parse_month, parse_polygon
from crimefighters.fetch.download import DownloadFailed, FetchEvent, Request, TooLarge
from crimefighters.fetch.result import FileOutcome
from crimefighters.fetch.sources import FetchContext, fetch_file
from crimefighters.fetch.verify import ContentProblem, json_check, read_json, validate_shape

Polygon = list[tuple[float, float]]  # (lat, lng)

MAX_URL_LENGTH = 4000  # the API documents 4,094; keep a margin
SPLIT_OVERLAP = 1e-5  # degrees (about a metre): parts overlap so no boundary crime is lost


# --- polygons ----------------------------------------------------------------------------------


def format_polygon(polygon: Polygon) -> str:
    return ":".join(f"{lat:.6f},{lng:.6f}" for lat, lng in polygon)


def _clip(polygon: Polygon, inside, intersect) -> Polygon:
    """One Sutherland-Hodgman pass against a half-plane."""
    result: Polygon = []
    for i, current in enumerate(polygon):
        previous = polygon[i - 1]
        if inside(current):
            if not inside(previous):
                result.append(intersect(previous, current))
            result.append(current)
        elif inside(previous):
            result.append(intersect(previous, current))
    return result


def clip_to_box(polygon: Polygon, south: float, north: float, west: float, east: float) -> Polygon:
    """The part of ``polygon`` inside the box (may be empty)."""

    def at_lat(limit):
        def intersect(a, b):
            t = (limit - a[0]) / (b[0] - a[0])
            return (limit, a[1] + t * (b[1] - a[1]))

        return intersect

    def at_lng(limit):
        def intersect(a, b):
            t = (limit - a[1]) / (b[1] - a[1])
            return (a[0] + t * (b[0] - a[0]), limit)

        return intersect

    for inside, intersect in (
        (lambda p: p[0] >= south, at_lat(south)),
        (lambda p: p[0] <= north, at_lat(north)),
        (lambda p: p[1] >= west, at_lng(west)),
        (lambda p: p[1] <= east, at_lng(east)),
    ):
        if not polygon:
            break
        polygon = _clip(polygon, inside, intersect)
    return polygon


def _area(polygon: Polygon) -> float:
    return (
        abs(
            sum(
                a[0] * b[1] - b[0] * a[1]
                for a, b in zip(polygon, polygon[1:] + polygon[:1], strict=True)
            )
        )
        / 2
    )


def quarter(polygon: Polygon) -> list[Polygon]:
    """Split at the middle of the bounding box into up to four parts, each clipped to the
    polygon and widened by ``SPLIT_OVERLAP`` so points on a cut line fall in both halves."""
    lats = [p[0] for p in polygon]
    lngs = [p[1] for p in polygon]
    mid_lat = (min(lats) + max(lats)) / 2
    mid_lng = (min(lngs) + max(lngs)) / 2
    e = SPLIT_OVERLAP
    boxes = [
        (min(lats) - e, mid_lat + e, min(lngs) - e, mid_lng + e),
        (min(lats) - e, mid_lat + e, mid_lng - e, max(lngs) + e),
        (mid_lat - e, max(lats) + e, min(lngs) - e, mid_lng + e),
        (mid_lat - e, max(lats) + e, mid_lng - e, max(lngs) + e),
    ]
    parts = [clip_to_box(polygon, *box) for box in boxes]
    return [part for part in parts if len(part) >= 3 and _area(part) > 0]


def record_key(shape: str, record: dict) -> Any:
    """Crimes are one record per id; outcomes one per crime, outcome and date."""
    if shape == "outcomes-at-location":
        category = record.get("category")
        code = category.get("code") if isinstance(category, dict) else category
        return (record["crime"].get("id"), code, record.get("date"), record.get("person_id"))
    return record["id"]


def merge_records(shape: str, parts: list[list[dict]]) -> tuple[list[dict], int]:
    """Concatenate parts, keeping the first of each duplicate. Returns (records, duplicates)."""
    seen: set = set()
    merged: list[dict] = []
    for part in parts:
        for record in part:
            key = json.dumps(record_key(shape, record), default=str)
            if key not in seen:
                seen.add(key)
                merged.append(record)
    return merged, sum(len(p) for p in parts) - len(merged)


def borough_slug(borough: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in borough.lower()).split())


# --- the fetch ---------------------------------------------------------------------------------


class PoliceAPI:
    def __init__(self, ctx: FetchContext):
        self.ctx = ctx
        self.settings = ctx.settings.police_uk
        self.base = self.settings.base_url.rstrip("/")
        self.source = self.settings.name
        self.index_dir = ctx.data_dir / ".fetch" / "police_uk"

    # -- plan --

    def _check_boroughs(self) -> list[str]:
        """Polygon keys that are not configured boroughs: reported, not guessed."""
        from crimefighters.config.models import normalise_name

        known = {normalise_name(b): b for b in self.ctx.loaded.config.borough_names()}
        return [b for b in self.settings.polygons if normalise_name(b) not in known]

    def month_dir(self, month: str) -> Path:
        return self.ctx.data_dir / self.settings.folder / self.settings.force / month

    def target(self, endpoint: str, month: str, borough: str) -> Path:
        return self.month_dir(month) / f"{endpoint}_{borough_slug(borough)}_{month}.json"

    def no_location_target(self, month: str) -> Path:
        force = self.settings.force
        return self.index_dir / force / month / f"crimes-no-location_{force}_{month}.json"

    def index_request(self, endpoint: str) -> tuple[Request, Path]:
        request = Request(
            label=endpoint,
            url=f"{self.base}/{endpoint}",
            kind="json",
            check=json_check(endpoint),
            pace=self.settings.min_request_interval,
        )
        return request, self.index_dir / f"{endpoint}.json"

    def no_location_request(self, month: str) -> Request:
        s = self.settings
        return Request(
            label=f"crimes-no-location {s.force} {month}",
            url=f"{self.base}/crimes-no-location",
            params={"category": s.category, "force": s.force, "date": month},
            kind="json",
            check=json_check("crimes-no-location"),
            pace=s.min_request_interval,
        )

    def area_url(self, endpoint: str) -> str:
        if endpoint == "crimes-street":
            return f"{self.base}/crimes-street/{self.settings.category}"
        return f"{self.base}/{endpoint}"

    def area_request(
        self, endpoint: str, borough: str, month: str, polygon: Polygon, part: str = ""
    ) -> Request:
        url = self.area_url(endpoint)
        fields = {"poly": format_polygon(polygon), "date": month}
        long = len(str(httpx.URL(url, params=fields))) > MAX_URL_LENGTH
        return Request(
            label=f"{endpoint} {borough} {month}{part}",
            url=url,
            params=None if long else fields,
            form=fields if long else None,
            kind="json",
            check=json_check(endpoint),
            too_large_status=self.settings.too_large_status,
            pace=self.settings.min_request_interval,
        )

    def plan(self, months: list[str]) -> list[FileOutcome]:
        """What a dry run prints: every request, with its target."""
        s = self.settings
        outcomes: list[FileOutcome] = []
        for endpoint in ("crime-last-updated", "crimes-street-dates"):
            if endpoint in s.endpoints:
                request, target = self.index_request(endpoint)
                outcomes.append(
                    FileOutcome(self.source, endpoint, "planned", target, f"GET {request.url}")
                )
        shown = months or ["<latest>"]
        if not months:
            outcomes.append(
                FileOutcome(
                    self.source,
                    "months",
                    "planned",
                    None,
                    f"the latest {s.latest_months} published month(s), asked from crime-last-updated",
                )
            )
        for month in shown:
            if "crimes-no-location" in s.endpoints:
                request = self.no_location_request(month)
                query = "&".join(f"{k}={v}" for k, v in (request.params or {}).items())
                outcomes.append(
                    FileOutcome(
                        self.source,
                        request.label,
                        "planned",
                        self.no_location_target(month),
                        f"GET {request.url}?{query}",
                    )
                )
            for endpoint in ("crimes-street", "outcomes-at-location"):
                if endpoint not in s.endpoints:
                    continue
                for borough, text in s.polygons.items():
                    points = len(parse_polygon(text))
                    outcomes.append(
                        FileOutcome(
                            self.source,
                            f"{endpoint} {borough} {month}",
                            "planned",
                            self.target(endpoint, month, borough),
                            f"GET {self.area_url(endpoint)}?poly=<{points} points>&date={month}",
                        )
                    )
        outcomes.extend(self._area_notes())
        return outcomes

    def _area_notes(self) -> list[FileOutcome]:
        s = self.settings
        wanted = [e for e in ("crimes-street", "outcomes-at-location") if e in s.endpoints]
        if wanted and not s.polygons:
            where = self.ctx.loaded.where("sources", "police_uk", "polygons")
            return [
                FileOutcome(
                    self.source,
                    " and ".join(wanted),
                    "skipped",
                    None,
                    f"no borough polygons configured (sources.police_uk.polygons, {where})",
                )
            ]
        return []

    # -- run --

    def run(self, months: list[str]) -> list[FileOutcome]:
        s = self.settings
        outcomes: list[FileOutcome] = []
        unknown = self._check_boroughs()
        if unknown:
            where = self.ctx.loaded.where("sources", "police_uk", "polygons", unknown[0])
            outcomes.append(
                FileOutcome(
                    self.source,
                    "polygons",
                    "failed",
                    None,
                    f"{where}: {unknown[0]!r} is not a configured borough",
                )
            )
            return outcomes
        index: dict[str, Any] = {}
        for endpoint in ("crime-last-updated", "crimes-street-dates"):
            if endpoint in s.endpoints or not months:
                request, target = self.index_request(endpoint)
                outcome = fetch_file(self.ctx, self.source, request, target, loadable=False)
                if outcome.status in ("fetched", "unchanged"):
                    try:  # checked again: a 304 vouches only for what an older version kept
                        index[endpoint] = read_json(target)
                        validate_shape(endpoint, index[endpoint])
                    except (OSError, ValueError, ContentProblem) as exc:
                        index.pop(endpoint, None)
                        outcome = FileOutcome(
                            self.source, endpoint, "failed", target, f"the kept copy: {exc}"
                        )
                outcomes.append(outcome)
        try:
            months = self._months(months, index)
        except DownloadFailed as exc:
            outcomes.append(FileOutcome(self.source, "months", "failed", None, str(exc)))
            return outcomes
        for month in months:
            if "crimes-no-location" in s.endpoints:
                request = self.no_location_request(month)
                target = self.no_location_target(month)
                outcomes.append(fetch_file(self.ctx, self.source, request, target, loadable=False))
            for endpoint in ("crimes-street", "outcomes-at-location"):
                if endpoint not in s.endpoints:
                    continue
                for borough, text in s.polygons.items():
                    outcomes.append(self._fetch_area(endpoint, borough, month, parse_polygon(text)))
        outcomes.extend(self._area_notes())
        return outcomes

    def _months(self, wanted: list[str], index: dict[str, Any]) -> list[str]:
        published = sorted(
            {d["date"][:7] for d in index.get("crimes-street-dates", [])}, reverse=True
        )
        latest = index.get("crime-last-updated", {}).get("date", "")[:7] or None
        if wanted:
            if published:
                missing = [m for m in wanted if m not in published]
                if missing:
                    newest = published[0] if published else "unknown"
                    raise DownloadFailed(
                        f"month {missing[0]} is not published by data.police.uk (newest: {newest})"
                    )
            return list(wanted)
        if latest is None and not published:
            raise DownloadFailed(
                "cannot tell the latest month: crime-last-updated and crimes-street-dates both failed"
            )
        if published:
            candidates = [m for m in published if latest is None or m <= latest]
            return candidates[: self.settings.latest_months]
        newest = parse_month(latest)
        months = []
        for back in range(self.settings.latest_months):
            year, month0 = divmod(newest.year * 12 + newest.month - 1 - back, 12)
            months.append(f"{date(year, month0 + 1, 1):%Y-%m}")
        return months

    def _fetch_area(self, endpoint: str, borough: str, month: str, polygon: Polygon) -> FileOutcome:
        target = self.target(endpoint, month, borough)
        request = self.area_request(endpoint, borough, month, polygon)

        def split() -> tuple[bytes, str]:
            counter = {"requests": 0}
            parts = self._split(endpoint, borough, month, polygon, 1, target, counter)
            records, duplicates = merge_records(endpoint, parts)
            try:
                validate_shape(endpoint, records)
            except ContentProblem as exc:
                raise DownloadFailed(str(exc)) from None
            body = json.dumps(records, separators=(",", ":"), ensure_ascii=False).encode()
            note = (
                f"{len(records):,} records merged from {counter['requests']} smaller areas "
                f"({duplicates} duplicates on cut lines dropped); {len(body):,} bytes"
            )
            return body, note

        return fetch_file(self.ctx, self.source, request, target, borough=borough, split=split)

    def _split(
        self,
        endpoint: str,
        borough: str,
        month: str,
        polygon: Polygon,
        depth: int,
        target: Path,
        counter: dict,
    ) -> list[list[dict]]:
        downloader = self.ctx.downloader
        assert downloader is not None
        limit = self.settings.max_split_depth
        if depth > limit:
            raise DownloadFailed(
                f"HTTP {self.settings.too_large_status} even after quartering the polygon {limit} "
                f"times: the API may be down, or the area still holds over 10,000 crimes "
                f"(raise sources.police_uk.max_split_depth)"
            )
        parts = quarter(polygon)
        downloader.emit(
            FetchEvent(
                "retry",
                f"{endpoint} {borough} {month}",
                target,
                message=f"too many crimes for one request; splitting into {len(parts)} parts (level {depth})",
            )
        )
        results: list[list[dict]] = []
        for number, part in enumerate(parts, 1):
            request = self.area_request(
                endpoint, borough, month, part, part=f" part {depth}.{number}"
            )
            try:
                download = downloader.fetch(request, target)
            except TooLarge:
                results.extend(
                    self._split(endpoint, borough, month, part, depth + 1, target, counter)
                )
                continue
            counter["requests"] += 1
            try:
                results.append(read_json(download.path))
            finally:
                download.discard()
        return results
