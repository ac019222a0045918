"""data.police.uk API responses saved as JSON: ``crimes-street`` and ``outcomes-at-location``.

- ``/api/crimes-street/all-crime?...`` is an array of crimes: ``category`` (a slug such as
  ``violent-crime``), ``month``, ``persistent_id`` (empty for anti-social behaviour),
  ``location`` and ``outcome_status``. It gives ``street_crime`` by crime type, with slugs
  turned into the crime types of the CSV downloads (``violent-crime`` -> ``Violence and sexual
  offences``), and ``asb_incidents`` (category ``All``). A persistent ID repeated within a month
  is one crime, as in the CSV files.
- ``/api/outcomes-at-location?...`` is an array of outcomes: ``category.code``, ``date`` and the
  ``crime``. It gives ``positive_outcomes`` (category ``All``) in the month of ``date``: crimes
  given an outcome whose Home Office type (``outcomes.police_uk_api``) is in
  ``outcomes.positive``.
- Records with ``location_type: BTP`` are British Transport Police crimes, which the API mixes
  into a location's results but the Met's CSV downloads leave out; they are set aside with a
  warning so both sources count the same thing.

A response carries no borough. It comes from a sidecar beside the file, ``NAME.meta.json`` for
``NAME.json``, holding ``{"borough": "Greenwich", "source": "..."}`` (the fetch step writes
it). Without one the file is refused. Other API responses (a single crime or outcome, a case
history, stop and search, neighbourhoods, forces, officers) are refused with a message naming
what the file looks like.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from crimefighters.config.models import Config
from crimefighters.data.formats import FileFormat
from crimefighters.data.formats.checks import EARLIEST_MONTH, current_month
from crimefighters.data.names import BoroughResolver, canonical_categories
from crimefighters.data.schema import CANONICAL_COLUMNS, ParsedFile, conform, sample_record_ids
from crimefighters.data.text import decode_text, meta_sidecar
from crimefighters.errors import DataError

# /api/crime-categories: slug -> the "Crime type" wording of the CSV downloads.
CRIME_TYPES = {
    "anti-social-behaviour": "Anti-social behaviour",
    "bicycle-theft": "Bicycle theft",
    "burglary": "Burglary",
    "criminal-damage-arson": "Criminal damage and arson",
    "drugs": "Drugs",
    "other-theft": "Other theft",
    "possession-of-weapons": "Possession of weapons",
    "public-order": "Public order",
    "public-disorder-weapons": "Public disorder and weapons",
    "robbery": "Robbery",
    "shoplifting": "Shoplifting",
    "theft-from-the-person": "Theft from the person",
    "vehicle-crime": "Vehicle crime",
    "violent-crime": "Violence and sexual offences",
    "violence-and-sexual-offences": "Violence and sexual offences",
    "other-crime": "Other crime",
}
ASB_SLUG = "anti-social-behaviour"


def detect(header_line: str, path: Path) -> bool:
    return header_line.lstrip().startswith(("[", "{"))


def parse(path: Path, data: bytes, config: Config) -> ParsedFile:
    records = _load_json(path, data)
    if not records:
        return ParsedFile(
            path=path,
            format="police_uk_api",
            rows=pl.DataFrame(schema=CANONICAL_COLUMNS),
            kind="partial_area",
            additive=True,
            canonical=True,
            warnings=["an empty API response (no crimes or outcomes); nothing loaded"],
        )
    if _is_outcome(records[0]):
        kind, frame = "outcomes", _outcome_records(path, records, config)
    elif _is_crime(records[0]):
        kind, frame = "crimes", _crime_records(path, records)
    else:
        raise DataError(path, f"a JSON list of {_describe(records[0])}; {_SUPPORTED}")
    borough = _sidecar_borough(path, config)
    warnings = []
    btp = frame.filter(pl.col("location_type") == "BTP").height
    if btp:
        warnings.append(f"set aside {btp:,} British Transport Police records (not Met crimes)")
        frame = frame.filter(pl.col("location_type") != "BTP")
    record_ids = sample_record_ids(frame, "month", "crime").collect()
    frame, repeats = _one_per_crime(frame)
    if repeats:
        warnings.append(
            f"{repeats:,} repeated records for a crime already seen that month counted once"
        )
    rows = _crime_counts(frame) if kind == "crimes" else _positive_counts(frame)
    # categories spelled two ways (aliases) are one category: their crimes add up
    rows = (
        canonical_categories(rows, config)
        .group_by("month", "measure", "category")
        .agg(pl.col("value").sum())
        .sort("measure", "category", "month")
    )
    rows = rows.with_columns(
        borough=pl.lit(borough),
        category_group=pl.lit(""),
        family=pl.lit("police_uk"),
        denominator=pl.lit(None, dtype=pl.Float64),
        provisional_hint=pl.lit(False),
    )
    # A response covers the crimes near one point, not the whole borough: a partial area.
    return ParsedFile(
        path=path,
        format="police_uk_api",
        rows=conform(rows, CANONICAL_COLUMNS),
        warnings=warnings,
        release=rows["month"].max() if rows.height else None,
        period_start=rows["month"].min() if rows.height else None,
        kind="partial_area",
        additive=True,
        canonical=True,
        record_ids=record_ids,
    )


_SUPPORTED = (
    "supported data.police.uk API responses are the crimes-street and outcomes-at-location lists"
)


def _load_json(path: Path, data: bytes) -> list[Any]:
    try:
        records = json.loads(decode_text(path, data))
    except json.JSONDecodeError as exc:
        raise DataError(
            path, f"not valid JSON: {exc.msg} at character {exc.colno}", line=exc.lineno
        ) from None
    if isinstance(records, dict):
        raise DataError(
            path,
            f"holds one JSON object ({_describe(records)}), not a list of records; {_SUPPORTED}",
        )
    if not isinstance(records, list):
        raise DataError(path, f"JSON {type(records).__name__}, not a list; {_SUPPORTED}")
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise DataError(
                path, f"record {index} is {type(record).__name__}, not an object; {_SUPPORTED}"
            )
    return records


def _describe(record: Any) -> str:
    if not isinstance(record, dict):
        return type(record).__name__
    if "outcomes" in record and "crime" in record:
        return "a case history (outcomes-for-crime)"
    if _is_outcome(record):
        return "a single outcome"
    if _is_crime(record):
        return "a single crime"
    keys = ", ".join(sorted(record)[:6])
    return f"an object with keys {keys}{', ...' if len(record) > 6 else ''}"


def _is_crime(record: dict) -> bool:
    return isinstance(record.get("category"), str) and "month" in record and "location" in record


def _is_outcome(record: dict) -> bool:
    return (
        isinstance(record.get("category"), dict)
        and "date" in record
        and isinstance(record.get("crime"), dict)
    )


def _field(path: Path, index: int, record: dict, *keys: str) -> Any:
    value: Any = record
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            raise DataError(path, f"record {index}: missing {'.'.join(keys)!r}")
        value = value[key]
    return value


def _crime_records(path: Path, records: list[dict]) -> pl.DataFrame:
    rows = []
    for index, record in enumerate(records, start=1):
        slug = str(_field(path, index, record, "category"))
        if slug not in CRIME_TYPES:
            raise DataError(
                path,
                f"record {index}: unknown crime category {slug!r}; known: {', '.join(sorted(CRIME_TYPES))}",
            )
        rows.append(
            {
                "record": index,
                "month_text": str(_field(path, index, record, "month")),
                "crime": str(record.get("persistent_id") or ""),
                "slug": slug,
                "location_type": str(record.get("location_type") or ""),
            }
        )
    return _with_month(path, pl.DataFrame(rows, schema=_RECORD_SCHEMA))


def _outcome_records(path: Path, records: list[dict], config: Config) -> pl.DataFrame:
    codes = config.outcomes.police_uk_api
    rows = []
    for index, record in enumerate(records, start=1):
        code = str(_field(path, index, record, "category", "code"))
        if code not in codes:
            raise DataError(
                path,
                f"record {index}: outcome code {code!r} is not in outcomes.yaml; add it under "
                f"outcomes.police_uk_api with its Home Office outcome code (or null if it is not an outcome)",
            )
        crime = _field(path, index, record, "crime")
        rows.append(
            {
                "record": index,
                "month_text": str(_field(path, index, record, "date")),
                "crime": str(crime.get("persistent_id") or crime.get("id") or ""),
                "slug": code,
                "location_type": str(crime.get("location_type") or ""),
                "home_office": codes[code],
            }
        )
    frame = pl.DataFrame(rows, schema={**_RECORD_SCHEMA, "home_office": pl.Int64})
    positive = sorted(config.outcomes.positive)
    return _with_month(path, frame).with_columns(
        positive=pl.col("home_office").is_in(positive).fill_null(False)
    )


_RECORD_SCHEMA = {
    "record": pl.Int64,
    "month_text": pl.String,
    "crime": pl.String,
    "slug": pl.String,
    "location_type": pl.String,
}


def _with_month(path: Path, frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.with_columns(month=pl.col("month_text").str.to_date("%Y-%m", strict=False))
    bad = frame.filter(pl.col("month").is_null())
    if bad.height:
        row = bad.row(0, named=True)
        raise DataError(
            path,
            f"record {row['record']}: expected a month as YYYY-MM; found {row['month_text']!r}",
        )
    limit = current_month()
    implausible = frame.filter((pl.col("month") > limit) | (pl.col("month") < EARLIEST_MONTH))
    if implausible.height:
        row = implausible.select("record", "month_text").row(0, named=True)
        raise DataError(
            path,
            f"record {row['record']}: month {row['month_text']!r} is after the current month "
            f"({limit:%Y-%m}) or before {EARLIEST_MONTH:%Y}",
        )
    return frame


def _one_per_crime(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Records of one crime in a month are one crime (positive if any of its outcomes is)."""
    keyed = frame.with_columns(
        crime=pl.when(pl.col("crime") == "")
        .then(pl.format("record {}", pl.col("record")))
        .otherwise(pl.col("crime"))
    )
    aggregations = [pl.col("slug").first(), pl.col("record").min()]
    if "positive" in frame.columns:
        aggregations.append(pl.col("positive").any())
    crimes = keyed.sort("record").group_by("month", "crime", maintain_order=True).agg(aggregations)
    return crimes, frame.height - crimes.height


def _crime_counts(frame: pl.DataFrame) -> pl.DataFrame:
    is_asb = pl.col("slug") == ASB_SLUG
    return (
        frame.with_columns(
            measure=pl.when(is_asb).then(pl.lit("asb_incidents")).otherwise(pl.lit("street_crime")),
            category=pl.when(is_asb)
            .then(pl.lit("All"))
            .otherwise(pl.col("slug").replace_strict(CRIME_TYPES)),
        )
        .group_by("month", "measure", "category")
        .agg(pl.len().cast(pl.Float64).alias("value"))
        .sort("measure", "category", "month")
    )


def _positive_counts(frame: pl.DataFrame) -> pl.DataFrame:
    return (
        frame.group_by("month")
        .agg(pl.col("positive").sum().cast(pl.Float64).alias("value"))
        .with_columns(measure=pl.lit("positive_outcomes"), category=pl.lit("All"))
        .sort("month")
    )


def _sidecar_borough(path: Path, config: Config) -> str:
    sidecar = meta_sidecar(path)
    example = '{"borough": "Greenwich", "source": "https://data.police.uk/api/..."}'
    if not sidecar.is_file():
        raise DataError(
            path,
            f"the borough is unknown: an API response carries none. Write it beside the file as "
            f"{sidecar.name} containing {example}",
        )
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(sidecar, f"cannot read the sidecar: {exc}; expected {example}") from None
    borough = meta.get("borough") if isinstance(meta, dict) else None
    if not isinstance(borough, str) or not borough.strip():
        raise DataError(sidecar, f'no "borough" in the sidecar; expected {example}')
    resolved = BoroughResolver(config).table([borough]).row(0, named=True)
    if resolved["kind"] != "borough":
        raise DataError(
            sidecar,
            f"{borough!r} is not one of the configured boroughs (check the spelling, or add it to "
            f"boroughs.yaml aliases)",
        )
    return resolved["borough"]


FORMATS = [
    FileFormat(
        name="police_uk_api",
        description="data.police.uk API JSON (crimes-street, outcomes-at-location) with a .meta.json borough sidecar",
        detect=detect,
        parse=parse,
    )
]
