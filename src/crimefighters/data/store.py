"""Load files of any supported format into one canonical table.

``load_dataset(paths, config)``:
1. expands directories, detects each file's format from its header;
2. parses it (or takes the parse from the cache, keyed by the file's content);
3. resolves borough spellings to canonical names, setting pseudo-boroughs aside;
4. where several releases cover the same borough and month of a measure, keeps the newest
   release and says which files were superseded;
5. marks provisional months (the newest month of the release it came from).
Nothing is half-loaded: any error stops the whole load with a ``DataError``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from crimefighters.cache import code_fingerprint, key_of, load_frames, store_frames
from crimefighters.config.models import Config, normalise_name
from crimefighters.data.categories import normalise_categories
from crimefighters.data.formats import FileFormat, registry, with_companions
from crimefighters.data.formats.tabular import binary_header
from crimefighters.data.schema import (
    OBSERVATION_SCHEMA,
    RAW_COLUMNS,
    RAW_WARD_COLUMNS,
    WARD_SCHEMA,
    ParsedFile,
    conform,
)
from crimefighters.data.synthetic import synthetic_files
from crimefighters.data.text import decode_text, first_line, meta_sidecar, read_bytes
from crimefighters.errors import DataError
from crimefighters.files import atomic_write
from crimefighters.paths import cache_dir

DATA_SUFFIXES = (".csv", ".csv.gz", ".json", ".json.gz", ".txt", ".parquet", ".xlsx")
CACHE_LAYOUT = 3  # bump when the cached frame layout changes
# A month under 10% of the median month is a stub only when the median is this large: with a
# median of 3 (a sampled file), a month of 0 is chance, not an incomplete extract.
STUB_MIN_MEDIAN = 50


@dataclass
class FileReport:
    path: Path
    format: str
    rows: int
    first_month: date | None
    last_month: date | None
    cached: bool


@dataclass
class LoadReport:
    files: list[FileReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)


@dataclass
class Dataset:
    observations: pl.DataFrame  # OBSERVATION_SCHEMA, sorted
    wards: pl.DataFrame  # WARD_SCHEMA, sorted (empty when no ward file was loaded)
    report: LoadReport
    key: str = ""  # identifies the inputs and loading configuration (cache key for scans)
    # The loaded files that are the synthetic sample (data/synthetic.py); set on every load.
    synthetic_files: list[Path] = field(default_factory=list)

    @property
    def synthetic(self) -> bool:
        return bool(self.synthetic_files)

    def latest_month(self, measure: str | None = None) -> date | None:
        frame = self.observations
        if measure is not None:
            frame = frame.filter(pl.col("measure") == measure)
        return frame["month"].max() if frame.height else None

    def months(self) -> list[date]:
        return self.observations["month"].unique().sort().to_list()

    def measures(self) -> list[str]:
        return self.observations["measure"].unique().sort().to_list()

    def boroughs(self) -> list[str]:
        return self.observations["borough"].unique().sort().to_list()


def expand_paths(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise DataError(path, "no such file or directory")
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and p.name.lower().endswith(DATA_SUFFIXES)
                and not p.name.lower().endswith(".meta.json")
            )
            files.extend(found)
        else:
            files.append(path)
    unique: list[Path] = []
    seen: set[Path] = set()
    for file in files:
        resolved = file.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(file)
    if not unique:
        raise DataError(paths[0] if paths else ".", "no data files found (expected .csv, .csv.gz, .json, .parquet or .xlsx)")
    return unique


def detect_format(path: Path, data: bytes, formats: list[FileFormat]) -> FileFormat:
    if not data.strip():
        raise DataError(path, "the file is empty")
    header = binary_header(path, data)  # Parquet and XLSX: their column names
    if header is None:
        text = decode_text(path, data[:65536] if len(data) > 65536 else data)
        header = first_line(text.lstrip("\ufeff"))
    for fmt in formats:
        if fmt.detect(header, path):
            return fmt
    shown = header if len(header) <= 120 else header[:117] + "..."
    raise DataError(
        path,
        f"not a recognised data format (first line: {shown!r}); see `crimefighters data formats`",
        line=1,
    )


def _config_fingerprint(config: Config) -> str:
    relevant = {
        "measures": [m.model_dump() for m in config.measures],
        "outcomes": config.outcomes.model_dump(),
        # data.police.uk parsers set aside LSOAs outside the configured boroughs
        "geography": config.geography.model_dump(),
    }
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _cache_paths(key: str) -> tuple[Path, Path, Path]:
    root = cache_dir() / "parsed"
    return root / f"{key}.rows.parquet", root / f"{key}.wards.parquet", root / f"{key}.json"


def _read_cache(key: str, path: Path) -> ParsedFile | None:
    rows_path, wards_path, meta_path = _cache_paths(key)
    try:
        meta = json.loads(meta_path.read_text())
        rows = pl.read_parquet(rows_path)
        wards = pl.read_parquet(wards_path) if meta.get("has_wards") else None
    except (OSError, ValueError, pl.exceptions.PolarsError):
        return None
    release = date.fromisoformat(meta["release"]) if meta.get("release") else None
    return ParsedFile(path=path, format=meta["format"], rows=rows, wards=wards, warnings=meta["warnings"], release=release)


def _write_cache(key: str, parsed: ParsedFile) -> None:
    rows_path, wards_path, meta_path = _cache_paths(key)
    try:
        atomic_write(rows_path, lambda p: parsed.rows.write_parquet(p))
        if parsed.wards is not None:
            atomic_write(wards_path, lambda p: parsed.wards.write_parquet(p))
        meta = {
            "format": parsed.format,
            "warnings": parsed.warnings,
            "release": parsed.release.isoformat() if parsed.release else None,
            "has_wards": parsed.wards is not None,
        }
        atomic_write(meta_path, lambda p: p.write_text(json.dumps(meta)))
    except OSError:
        pass  # a cache that cannot be written only costs speed


def file_key(path: Path, config: Config) -> tuple[str, FileFormat, bytes]:
    """The parse-cache key of a file (its content, sidecar, format and parser), and its bytes."""
    data = read_bytes(path)
    formats = registry()
    fmt = detect_format(path, data, formats)
    try:
        sidecar_bytes = meta_sidecar(path).read_bytes()
    except OSError:
        sidecar_bytes = b""
    key = hashlib.sha256(
        data
        + sidecar_bytes
        + f"|{fmt.name}|{fmt.version}|{CACHE_LAYOUT}|{_config_fingerprint(config)}|{code_fingerprint('data')}".encode()
    ).hexdigest()[:32]
    return key, fmt, data


def parse_file(path: Path, config: Config, use_cache: bool = True, keyed=None) -> tuple[ParsedFile, bool]:
    """Parse one file, from the cache when its content was parsed before."""
    key, fmt, data = keyed or file_key(path, config)
    if use_cache:
        cached = _read_cache(key, path)
        if cached is not None:
            return cached, True
    parsed = fmt.parse(path, data, config)
    parsed.rows = conform(parsed.rows, RAW_COLUMNS)
    if parsed.wards is not None:
        parsed.wards = conform(parsed.wards, RAW_WARD_COLUMNS)
    if use_cache:
        _write_cache(key, parsed)
    return parsed, False


class BoroughResolver:
    """Maps every spelling to a canonical borough, a pseudo-borough, or nothing (unknown)."""

    def __init__(self, config: Config):
        self.canonical: dict[str, str] = {}
        self.pseudo: dict[str, tuple[str, str]] = {}
        for borough in config.geography.boroughs:
            for spelling in [borough.name, *borough.aliases]:
                self.canonical[normalise_name(spelling)] = borough.name
        for pseudo in config.geography.pseudo_boroughs:
            for spelling in [pseudo.name, *pseudo.aliases]:
                self.pseudo[normalise_name(spelling)] = (pseudo.name, pseudo.treatment)

    def table(self, raw_names: list[str]) -> pl.DataFrame:
        rows = []
        for raw in raw_names:
            key = normalise_name(raw)
            if key in self.canonical:
                rows.append((raw, self.canonical[key], "borough"))
            elif key in self.pseudo:
                name, treatment = self.pseudo[key]
                rows.append((raw, name, "pseudo_keep" if treatment == "keep" else "pseudo_exclude"))
            else:
                rows.append((raw, None, "unknown"))
        return pl.DataFrame(rows, schema={"borough_raw": pl.String, "borough": pl.String, "kind": pl.String}, orient="row")


def _resolve(parsed: ParsedFile, frame: pl.DataFrame, resolver: BoroughResolver, report: LoadReport) -> pl.DataFrame:
    if frame.height == 0:
        return frame.with_columns(borough=pl.lit(None, dtype=pl.String)).drop("borough_raw")
    lookup = resolver.table(frame["borough_raw"].unique().to_list())
    joined = frame.join(lookup, on="borough_raw", how="left")
    unknown = joined.filter(pl.col("kind") == "unknown").sort("line")
    if unknown.height:
        row = unknown.row(0, named=True)
        raise DataError(
            parsed.path,
            f"unknown borough {row['borough_raw']!r} (add the spelling to boroughs.yaml aliases "
            f"or pseudo_boroughs)",
            line=int(row["line"]) if row["line"] is not None else None,
        )
    set_aside = joined.filter(pl.col("kind") == "pseudo_exclude")
    if set_aside.height:
        summary = set_aside.group_by("borough").agg(pl.len().alias("rows"), pl.col("value").sum().alias("total")).sort("borough")
        for row in summary.iter_rows(named=True):
            report.set_aside.append(
                f"{parsed.path.name}: set aside pseudo-borough {row['borough']!r} "
                f"({row['rows']} rows, total {row['total']:,.0f})"
            )
    return joined.filter(pl.col("kind") != "pseudo_exclude").drop("kind", "borough_raw")


def _drop_stub_months(parsed: ParsedFile, frame: pl.DataFrame, report: LoadReport) -> pl.DataFrame:
    """A month whose total is under 10% of the file's median month is an incomplete stub."""
    if frame.height == 0 or parsed.format == "generic":
        return frame
    totals = frame.group_by("month").agg(pl.col("value").sum().alias("total"))
    if totals.height < 3:
        return frame
    median = totals["total"].median()
    if median < STUB_MIN_MEDIAN:
        return frame  # too few offences a month to tell a stub from chance (e.g. a sample)
    stubs = totals.filter(pl.col("total") < 0.1 * median).sort("month")
    for row in stubs.iter_rows(named=True):
        report.warnings.append(
            f"{parsed.path.name}: month {row['month']:%Y-%m} looks incomplete "
            f"({row['total']:,.0f} against a median month of {median:,.0f}); set aside"
        )
    if stubs.height:
        frame = frame.filter(~pl.col("month").is_in(stubs["month"].implode()))
    return frame


def load_dataset(paths: list[str | Path], config: Config, use_cache: bool = True) -> Dataset:
    files = expand_paths([Path(p) for p in paths])
    keyed = with_companions(files, [file_key(path, config) for path in files])
    dataset_key = key_of(
        [str(p) for p in files],
        [k for k, _, _ in keyed],
        config.geography.model_dump(),
        config.categories.model_dump(),
        config.scan.provisional.model_dump(),
        config.outcomes.provisional_months,
        [m.model_dump() for m in config.measures],
        code_fingerprint("data"),
    )
    if use_cache:
        cached_dataset = _read_dataset(dataset_key)
        if cached_dataset is not None:
            cached_dataset.synthetic_files = synthetic_files(files)
            return cached_dataset
    dataset = _build_dataset(files, keyed, config, use_cache)
    dataset.key = dataset_key
    if use_cache:
        _write_dataset(dataset)
    dataset.synthetic_files = synthetic_files(files)
    return dataset


def _report_to_json(report: LoadReport) -> dict:
    return {
        "files": [
            {"path": str(f.path), "format": f.format, "rows": f.rows, "first_month": f.first_month, "last_month": f.last_month}
            for f in report.files
        ],
        "warnings": report.warnings,
        "superseded": report.superseded,
        "set_aside": report.set_aside,
    }


def _write_dataset(dataset: Dataset) -> None:
    store_frames("datasets", dataset.key, {"observations": dataset.observations, "wards": dataset.wards}, _report_to_json(dataset.report))


def _read_dataset(key: str) -> Dataset | None:
    found = load_frames("datasets", key, ["observations", "wards"])
    if found is None:
        return None
    frames, meta = found
    month = lambda text: date.fromisoformat(text) if text else None  # noqa: E731
    report = LoadReport(
        files=[
            FileReport(Path(f["path"]), f["format"], f["rows"], month(f["first_month"]), month(f["last_month"]), cached=True)
            for f in meta["files"]
        ],
        warnings=meta["warnings"],
        superseded=meta["superseded"],
        set_aside=meta["set_aside"],
    )
    return Dataset(observations=frames["observations"], wards=frames["wards"], report=report, key=key)


def _build_dataset(files: list[Path], keyed: list, config: Config, use_cache: bool) -> Dataset:
    report = LoadReport()
    resolver = BoroughResolver(config)
    observations: list[pl.DataFrame] = []
    ward_frames: list[pl.DataFrame] = []
    for order, (path, file_keyed) in enumerate(zip(files, keyed, strict=True)):
        parsed, cached = parse_file(path, config, use_cache=use_cache, keyed=file_keyed)
        span = parsed.months()
        report.files.append(
            FileReport(
                path=path,
                format=parsed.format,
                rows=parsed.rows.height + (parsed.wards.height if parsed.wards is not None else 0),
                first_month=span[0] if span else None,
                last_month=span[1] if span else None,
                cached=cached,
            )
        )
        report.warnings.extend(f"{path.name}: {w}" for w in parsed.warnings)
        release = parsed.release or (span[1] if span else None)
        provenance = {"source": pl.lit(path.name), "release": pl.lit(release, dtype=pl.Date), "order": pl.lit(order)}
        if parsed.rows.height:
            rows = _drop_stub_months(parsed, parsed.rows, report)
            rows = _resolve(parsed, rows, resolver, report)
            observations.append(rows.with_columns(level_rank=pl.lit(0), **provenance))
        if parsed.wards is not None and parsed.wards.height:
            wards = _drop_stub_months(parsed, parsed.wards, report)
            wards = _resolve(parsed, wards, resolver, report)
            ward_frames.append(wards.with_columns(**provenance))
            # Ward files also give borough totals, used where no borough file covers a month.
            borough_level = wards.group_by("month", "borough", "measure", "category_group", "category").agg(
                pl.col("value").sum(), pl.col("line").min()
            )
            observations.append(
                borough_level.with_columns(
                    family=pl.lit("mps_new"),
                    denominator=pl.lit(None, dtype=pl.Float64),
                    provisional_hint=pl.lit(None, dtype=pl.Boolean),
                    level_rank=pl.lit(1),
                    **provenance,
                )
            )

    obs = _newest_release(observations, ["measure", "borough", "month"], report, OBSERVATION_SCHEMA)
    obs = normalise_categories(obs, config)
    obs = _derive_positive_outcome_rate(obs, config, report)
    obs = _mark_provisional(obs, config)
    obs = conform(obs, OBSERVATION_SCHEMA).sort("measure", "borough", "category_group", "category", "month")

    wards = _newest_release(ward_frames, ["measure", "borough", "month"], None, WARD_SCHEMA)
    wards = normalise_categories(wards, config) if wards.height else wards
    wards = conform(wards, WARD_SCHEMA).sort("borough", "ward", "category_group", "category", "month")
    return Dataset(observations=obs, wards=wards, report=report)


def _derive_positive_outcome_rate(obs: pl.DataFrame, config: Config, report: LoadReport) -> pl.DataFrame:
    """Positive outcome rate from data.police.uk files: positive outcomes assigned in a month /
    crimes recorded in that month (the ``outcomes_in_period`` basis), per borough, where no
    file supplies the rate itself. Only the crime types loaded count (the real Met extracts in
    ../shared are burglary only, so there it is a burglary rate)."""
    if obs.height == 0 or config.outcomes.basis != "outcomes_in_period":
        return obs
    police = obs.filter(pl.col("family") == "police_uk")
    outcomes = police.filter(pl.col("measure") == "positive_outcomes").group_by("month", "borough").agg(
        value=pl.col("value").sum(), release=pl.col("release").max()
    )
    crimes = police.filter(pl.col("measure") == "street_crime").group_by("month", "borough").agg(
        denominator=pl.col("value").sum(), crimes_release=pl.col("release").max()
    )
    supplied = obs.filter(pl.col("measure") == "positive_outcome_rate").select("month", "borough").unique()
    rate = outcomes.join(crimes, on=["month", "borough"]).join(supplied, on=["month", "borough"], how="anti")
    rate = rate.filter(pl.col("denominator") > 0)
    if rate.height == 0:
        return obs
    over = rate.filter(pl.col("value") > pl.col("denominator"))
    if over.height:
        report.warnings.append(
            f"positive outcome rate not derived for {over.height} borough-months where positive "
            "outcomes exceeded the crimes recorded that month"
        )
        rate = rate.filter(pl.col("value") <= pl.col("denominator"))
    derived = rate.select(
        "month",
        "borough",
        measure=pl.lit("positive_outcome_rate"),
        category=pl.lit("All"),
        category_group=pl.lit(""),
        value=pl.col("value"),
        denominator=pl.col("denominator"),
        family=pl.lit("police_uk"),
        source=pl.lit("derived: positive outcomes / street-level crimes (data.police.uk)"),
        release=pl.max_horizontal("release", "crimes_release"),
        provisional_hint=pl.lit(False),
    )
    return pl.concat([obs, derived], how="diagonal_relaxed")


def _newest_release(
    frames: list[pl.DataFrame], keys: list[str], report: LoadReport | None, empty: dict
) -> pl.DataFrame:
    """Per key, keep the rows of the newest release; say which files lost months to which."""
    if not frames:
        return pl.DataFrame(schema=empty)
    frames = [f.with_columns(pl.col("line").cast(pl.Int64)) for f in frames]
    combined = pl.concat(frames, how="diagonal_relaxed")
    # Newest release first; at equal release, borough files before ward-derived totals, then
    # the later file in load order.
    ranked = (
        combined.select(*keys, "release", "level_rank" if "level_rank" in combined.columns else pl.lit(0).alias("level_rank"), "order", "source")
        .unique()
        .sort([*keys, "release", "level_rank", "order"], descending=[False] * len(keys) + [True, False, True])
    )
    winners = ranked.group_by(keys, maintain_order=True).first().select(*keys, pl.col("order").alias("winner"), pl.col("source").alias("winner_source"))
    if report is not None:
        losers = (
            ranked.join(winners, on=keys)
            .filter(pl.col("order") != pl.col("winner"))
            .group_by("source", "winner_source")
            .agg(pl.col("month").min().alias("first"), pl.col("month").max().alias("last"), pl.len().alias("cells"))
            .sort("source", "winner_source")
        )
        for row in losers.iter_rows(named=True):
            report.superseded.append(
                f"{row['source']}: {row['first']:%Y-%m}..{row['last']:%Y-%m} superseded by the newer "
                f"release {row['winner_source']}"
            )
    kept = combined.join(winners.select(*keys, "winner"), on=keys).filter(pl.col("order") == pl.col("winner"))
    # Identical repeated rows within one file (same key, same value) count once.
    subset = [c for c in ("month", "borough", "ward_code", "measure", "category_group", "category") if c in kept.columns]
    return kept.unique(subset=subset, keep="first").drop("winner")


def _mark_provisional(obs: pl.DataFrame, config: Config) -> pl.DataFrame:
    """The newest month(s) of the release a value came from are provisional."""
    if obs.height == 0:
        return obs
    latest = config.scan.provisional.latest_months
    outcome_months = config.outcomes.provisional_months
    outcome_measures = [m.id for m in config.measures if m.family == "positive_outcomes"]
    months_before_release = (
        (pl.col("release").dt.year() - pl.col("month").dt.year()) * 12
        + pl.col("release").dt.month()
        - pl.col("month").dt.month()
    )
    window = pl.when(pl.col("measure").is_in(outcome_measures)).then(pl.lit(outcome_months)).otherwise(pl.lit(latest))
    return obs.with_columns(
        provisional=pl.coalesce(pl.col("provisional_hint"), months_before_release < window)
    )
