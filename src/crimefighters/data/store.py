"""Load files of any supported format into one canonical table.

``load_dataset(paths, config)``:
1. expands folders and identifies each file (content hash and format, remembered by the
   file's identity on disk, so a warm start reads nothing); in a folder, a file no loader
   recognises is skipped and listed (``strict=True`` refuses it instead); a file named
   explicitly is always refused when it is not recognised;
2. parses each file (or takes the parse from the cache, keyed by the file's content): names
   made canonical, every value and month checked, duplicates refused;
3. decides which file supplies each figure where several cover the same borough and month
   (``crimefighters.data.precedence``) and says which files lost months;
4. marks provisional months (the newest months of the release a figure came from).
Nothing is half-loaded: any error stops the whole load with a ``DataError``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from array import array
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from crimefighters.cache import code_fingerprint, key_of, load_frames, store_frames
from crimefighters.config.models import Config
from crimefighters.data.fingerprints import Fingerprint, FingerprintIndex, detect_format
from crimefighters.data.formats.checks import (
    EARLIEST_MONTH,
    current_month,
    incomplete_months,
    refuse_conflicting_duplicates,
)
from crimefighters.data.names import (
    BoroughResolver,
    canonical_categories,
    refuse_control_characters,
    resolve_boroughs,
)
from crimefighters.data.precedence import Source, choose
from crimefighters.data.schema import (
    CANONICAL_COLUMNS,
    CANONICAL_WARD_COLUMNS,
    OBSERVATION_SCHEMA,
    RAW_COLUMNS,
    RAW_WARD_COLUMNS,
    RECORD_ID_SCHEMA,
    WARD_SCHEMA,
    ParsedFile,
    conform,
)
from crimefighters.data.synthetic import synthetic_files
from crimefighters.data.text import inflate, meta_sidecar, read_raw
from crimefighters.errors import DataError
from crimefighters.files import atomic_write
from crimefighters.paths import cache_dir

__all__ = [
    "BoroughResolver",
    "Dataset",
    "FileReport",
    "LoadReport",
    "detect_format",
    "expand_paths",
    "load_dataset",
]

DATA_SUFFIXES = (".csv", ".csv.gz", ".json", ".json.gz", ".txt", ".parquet", ".xlsx")
PARALLEL_FILES = min(4, os.cpu_count() or 1)  # files parsed at once
BATCH_BYTES = 128 * 1024**2  # record files read together (memory: a few times this)
CACHE_LAYOUT = 5  # bump when the cached frame layout changes
CACHE_META = "crimefighters"  # the Parquet metadata key of a parse-cache entry
OBSERVATION_ORDER = ["measure", "borough", "category_group", "category", "month"]
WARD_ORDER = ["borough", "ward", "category_group", "category", "month"]


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
    # files in a folder that no loader recognises, each "name: why"
    skipped: list[str] = field(default_factory=list)


@dataclass
class Dataset:
    observations: pl.DataFrame  # OBSERVATION_SCHEMA, sorted
    wards: pl.DataFrame  # WARD_SCHEMA, sorted (empty when no ward file was loaded)
    report: LoadReport
    key: str = ""  # identifies the inputs and loading configuration (cache key for scans)
    # The loaded files that are the synthetic sample (data/synthetic.py); set on every load,
    # a cached one included, so it can never be served stale.
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


@dataclass
class _Input:
    path: Path
    explicit: bool  # named on the command line, not found in a folder


def expand_paths(paths: list[Path]) -> list[Path]:
    """Every data file the paths name (folders searched, hidden files left out), once each."""
    return [item.path for item in _expand(paths)]


def _expand(paths: list[Path]) -> list[_Input]:
    found: list[_Input] = []
    for path in paths:
        if not path.exists():
            raise DataError(path, "no such file or directory")
        if path.is_dir():
            found.extend(
                _Input(p, explicit=False)
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and p.name.lower().endswith(DATA_SUFFIXES)
                and not p.name.lower().endswith(".meta.json")
            )
        else:
            found.append(_Input(path, explicit=True))
    unique: list[_Input] = []
    seen: dict[Path, _Input] = {}
    for item in found:
        resolved = item.path.resolve()
        if resolved in seen:
            seen[resolved].explicit |= item.explicit
            continue
        seen[resolved] = item
        unique.append(item)
    if not unique:
        raise DataError(
            paths[0] if paths else ".",
            "no data files found (expected .csv, .csv.gz, .json, .parquet or .xlsx)",
        )
    return unique


def _config_fingerprint(config: Config) -> str:
    relevant = {
        # generic files are checked against each measure's kind
        "measures": [m.model_dump() for m in config.measures],
        "outcomes": config.outcomes.model_dump(),
        # names are resolved while parsing: borough spellings, pseudo-boroughs, categories
        "geography": config.geography.model_dump(),
        "categories": config.categories.model_dump(),
    }
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()[
        :16
    ]


def _parse_key(
    path: Path, found: Fingerprint, config: Config, config_print: str | None = None
) -> str:
    """The parse-cache key: the file's content, its sidecar, its parser and the configuration."""
    fmt = found.format
    assert fmt is not None
    try:
        sidecar = hashlib.sha256(meta_sidecar(path).read_bytes()).hexdigest()
    except OSError:
        sidecar = ""
    return key_of(
        found.content,
        sidecar,
        fmt.name,
        fmt.version,
        CACHE_LAYOUT,
        config_print or _config_fingerprint(config),
        code_fingerprint("data"),
        pl.__version__,
    )


# --- the parse cache --------------------------------------------------------------------------


def _parse_cache(key: str) -> tuple[Path, Path]:
    root = cache_dir() / "parsed"
    return root / f"{key}.parquet", root / f"{key}.wards.parquet"


def _read_parse(key: str, path: Path) -> ParsedFile | None:
    """A cached parse, or None when it is missing or malformed in any way.

    One entry is one Parquet file of the rows, its description (and record-id sample) in the
    file's metadata, plus a second file for ward rows, written first."""
    rows_path, wards_path = _parse_cache(key)
    try:
        meta = json.loads(pl.read_parquet_metadata(rows_path)[CACHE_META])
        month = lambda text: date.fromisoformat(text) if text else None  # noqa: E731
        rows = pl.read_parquet(rows_path)
        wards = pl.read_parquet(wards_path) if meta["has_wards"] is True else None
        parsed = ParsedFile(
            path=path,
            format=str(meta["format"]),
            rows=rows,
            wards=wards,
            warnings=[str(w) for w in meta["warnings"]],
            release=month(meta["release"]),
            period_start=month(meta["period_start"]),
            kind=str(meta["kind"]),
            additive=bool(meta["additive"]),
            per_category=bool(meta["per_category"]),
            canonical=True,
            set_aside=[str(s) for s in meta["set_aside"]],
            record_ids=_record_ids(meta["record_ids"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError, pl.exceptions.PolarsError):
        return None
    if dict(rows.schema) != CANONICAL_COLUMNS:
        return None
    if wards is not None and dict(wards.schema) != CANONICAL_WARD_COLUMNS:
        return None
    return parsed


def _write_parse(key: str, parsed: ParsedFile) -> None:
    rows_path, wards_path = _parse_cache(key)
    meta = {
        "format": parsed.format,
        "warnings": parsed.warnings,
        "release": parsed.release.isoformat() if parsed.release else None,
        "period_start": parsed.period_start.isoformat() if parsed.period_start else None,
        "has_wards": parsed.wards is not None,
        "kind": parsed.kind,
        "additive": parsed.additive,
        "per_category": parsed.per_category,
        "set_aside": parsed.set_aside,
        "record_ids": _record_ids_text(parsed.record_ids),
    }
    try:
        if parsed.wards is not None:
            wards = parsed.wards
            atomic_write(
                wards_path, lambda p: wards.write_parquet(p, compression="lz4"), durable=False
            )
        atomic_write(
            rows_path,
            lambda p: parsed.rows.write_parquet(
                p, compression="lz4", metadata={CACHE_META: json.dumps(meta)}
            ),
            durable=False,
        )
    except (OSError, pl.exceptions.PolarsError):
        pass  # a cache that cannot be written only costs speed


def _record_ids_text(record_ids: pl.DataFrame | None) -> dict[str, str] | None:
    """The record-id sample as text for the cache: month -> base64 of the 64-bit hashes."""
    if record_ids is None:
        return None
    return {
        f"{month:%Y-%m-%d}": base64.b64encode(array("Q", hashes).tobytes()).decode()
        for month, hashes in record_ids.group_by("month").agg("id_hash").sort("month").iter_rows()
    }


def _record_ids(text: dict[str, str] | None) -> pl.DataFrame | None:
    if text is None:
        return None
    months, hashes = [], []
    for month, packed in text.items():
        values = array("Q")
        values.frombytes(base64.b64decode(packed, validate=True))
        months += [date.fromisoformat(month)] * len(values)
        hashes += values.tolist()
    return pl.DataFrame({"month": months, "id_hash": hashes}, schema=RECORD_ID_SCHEMA)


def _finish(parsed: ParsedFile, config: Config) -> ParsedFile:
    """A parser's result in the canonical layout (names resolved for a raw-name parser)."""
    if not parsed.canonical:
        parsed = _canonical(parsed, config)
    parsed.rows = conform(parsed.rows, CANONICAL_COLUMNS)
    if parsed.wards is not None:
        parsed.wards = conform(parsed.wards, CANONICAL_WARD_COLUMNS)
    if parsed.record_ids is not None:
        parsed.record_ids = conform(parsed.record_ids, RECORD_ID_SCHEMA)
    span = parsed.months()
    parsed.release = parsed.release or (span[1] if span else None)
    parsed.period_start = parsed.period_start or (span[0] if span else None)
    return parsed


def _canonical(parsed: ParsedFile, config: Config) -> ParsedFile:
    """For a parser that hands back raw names (``RAW_COLUMNS``): the same checks the built-in
    parsers make on their own rows, in the same order: text, months, values, stub months,
    boroughs, categories, then duplicates on the canonical names."""
    rows = conform(parsed.rows, RAW_COLUMNS)
    rows, notes = _canonical_rows(parsed, rows, config, ["measure", "category_group", "category"])
    parsed.rows = rows.sort(OBSERVATION_ORDER)
    if parsed.wards is not None:
        wards = conform(parsed.wards, RAW_WARD_COLUMNS)
        wards, ward_notes = _canonical_rows(
            parsed, wards, config, ["ward_code", "measure", "category_group", "category"]
        )
        parsed.wards = wards.sort(WARD_ORDER)
        notes += ward_notes
    parsed.set_aside = [*parsed.set_aside, *notes]
    parsed.canonical = True
    return parsed


def _canonical_rows(
    parsed: ParsedFile, rows: pl.DataFrame, config: Config, detail: list[str]
) -> tuple[pl.DataFrame, list[str]]:
    path = parsed.path
    text = {c: c for c in ("borough_raw", "ward", "ward_code", "category_group", "category")}
    refuse_control_characters(path, rows, text, "line")
    limit = current_month()
    for check, problem in (
        (pl.col("month") > limit, f"a month after the current month ({limit:%Y-%m})"),
        (pl.col("month") < EARLIEST_MONTH, f"a month before {EARLIEST_MONTH:%Y}"),
        (~pl.col("value").is_finite(), "not a finite number"),
        (pl.col("value") < 0, "negative value"),
        (pl.col("denominator") <= 0, "a denominator must be above 0"),
        (pl.col("value") > pl.col("denominator"), "numerator larger than its denominator"),
    ):
        bad = rows.filter(check.fill_null(False))
        if bad.height:
            row = (
                bad.sort("line")
                .select("line", "value", pl.col("month").dt.strftime("%Y-%m"))
                .row(0, named=True)
            )
            raise DataError(
                path, f"{problem}; found {row['value']!r} for {row['month']}", line=row["line"]
            )
    if parsed.format != "generic" and rows.height:
        totals = rows.group_by("month").agg(pl.col("value").sum().alias("total"))
        stubs, warnings = incomplete_months(totals)
        parsed.warnings.extend(warnings)
        rows = rows.filter(~pl.col("month").is_in(stubs))
    rows, notes = resolve_boroughs(
        path, rows, config, rows=pl.len(), total=pl.col("value").sum(), line_column="line"
    )
    rows = canonical_categories(rows, config)
    keys = ["month", "borough", *detail]
    if parsed.additive:
        rows = rows.group_by(keys).agg(
            pl.col("value").sum(), pl.all().exclude(*keys, "value").first()
        )
    else:
        refuse_conflicting_duplicates(
            path,
            rows,
            keys,
            pl.struct("value", "denominator") if "denominator" in rows.columns else pl.col("value"),
            lambda r: ", ".join(str(r[k]) for k in ("borough", *detail)) + f", {r['month']:%Y-%m}",
            line_column="line",
        )
        rows = rows.sort("line").unique(subset=keys, keep="first", maintain_order=True)
    return rows, notes


# --- loading ----------------------------------------------------------------------------------


def load_dataset(
    paths: list[str | Path], config: Config, use_cache: bool = True, strict: bool = False
) -> Dataset:
    """Every file the paths name, loaded into one table (see the module docstring).

    ``strict``: a file in a folder that no loader recognises stops the load (as a file named
    explicitly always does) instead of being skipped and listed in the report.
    """
    inputs = _expand([Path(p) for p in paths])
    index = FingerprintIndex(use_cache)
    files: list[_File] = []
    skipped: list[str] = []
    for item, (identity, found) in zip(inputs, _identify(inputs, index), strict=True):
        if found.format is None:
            if item.explicit or strict:
                raise found.refusal(item.path)
            where = f":{found.problem_line}" if found.problem_line else ""
            skipped.append(f"{item.path.name}{where}: {found.problem}")
            continue
        files.append(_File(item.path, identity, found))
    if not files:
        index.save()
        raise DataError(
            paths[0] if paths else ".",
            f"no file here that a loader recognises ({len(skipped)} skipped; the first: "
            f"{skipped[0]})",
        )
    config_print = _config_fingerprint(config)
    _find_companions(files)
    _fill_keys(files, config, config_print)
    # Marked on every load, a cached one included (its own stat, never stale); the check
    # reads nothing of real data unless a file's size matches a sample file's.
    synthetic = synthetic_files([file.path for file in files])
    if use_cache and all(file.key for file in files):
        # every file known by its identity on disk: the dataset may be cached whole
        cached_dataset = _read_dataset(_dataset_key(files, skipped, config))
        if cached_dataset is not None:
            index.save()
            cached_dataset.synthetic_files = synthetic
            return cached_dataset
    try:
        dataset = _build_dataset(files, config, use_cache, index, config_print)
    finally:
        index.save()  # the hashes of files read, even when one of them is refused
    dataset.report.skipped = skipped
    dataset.key = _dataset_key(files, skipped, config)
    if use_cache:
        _write_dataset(dataset)
    dataset.synthetic_files = synthetic
    return dataset


@dataclass
class _File:
    """A file a loader recognises, and (once its content is known) its parse-cache key."""

    path: Path
    identity: str  # its key in the fingerprint index
    found: Fingerprint
    key: str | None = None
    # For a format with ``companions``: the numbers of the files of the load it needs (stop
    # and search: every street file); its parse-cache key holds their keys too.
    companions: tuple[int, ...] | None = None


def _find_companions(files: list[_File]) -> None:
    for file in files:
        wanted = file.found.format.companions if file.found.format else None
        if wanted is not None:
            file.companions = tuple(
                number
                for number, other in enumerate(files)
                if other.found.format is not None and other.found.format.name == wanted
            )


def _fill_keys(files: list[_File], config: Config, config_print: str) -> None:
    """The parse-cache key of every file whose content is known (hashed from the index or
    while reading), and of every companion-dependent file whose companions' keys are known
    too. Companions are never dependent themselves, so files without are keyed first."""
    for file in sorted(files, key=lambda f: f.companions is not None):
        if file.key is None and file.found.content is not None:
            file.key = _file_key(files, file, config, config_print)


def _file_key(files: list[_File], file: _File, config: Config, config_print: str) -> str | None:
    own = _parse_key(file.path, file.found, config, config_print)
    if file.companions is None:
        return own
    companions = [files[number].key for number in file.companions]
    if any(key is None for key in companions):
        return None  # a companion not hashed yet: keyed once it is
    return key_of(own, companions)


def _dataset_key(files: list[_File], skipped: list[str], config: Config) -> str:
    return key_of(
        [str(file.path) for file in files],
        [file.key for file in files],
        skipped,
        config.geography.model_dump(),
        config.categories.model_dump(),
        config.scan.provisional.model_dump(),
        config.outcomes.provisional_months,
        [m.model_dump() for m in config.measures],
        code_fingerprint("data"),
    )


def _build_dataset(
    files: list[_File],
    config: Config,
    use_cache: bool,
    index: FingerprintIndex,
    config_print: str,
) -> Dataset:
    report = LoadReport()
    sources: list[Source] = []
    ward_sources: list[Source] = []
    seen: dict[str, Path] = {}
    parsed_files = _parse_all(files, config, use_cache, index, config_print)
    for file, (parsed, cached) in zip(files, parsed_files, strict=True):
        path, key = file.path, file.key
        assert key is not None
        if key in seen:
            report.warnings.append(
                f"{path.name}: the same content as {seen[key].name}; counted once"
            )
            continue
        seen[key] = path
        span = parsed.months()
        report.files.append(
            FileReport(
                path=path,
                format=parsed.format,
                rows=parsed.wards.height if parsed.wards is not None else parsed.rows.height,
                first_month=span[0] if span else None,
                last_month=span[1] if span else None,
                cached=cached,
            )
        )
        report.warnings.extend(f"{path.name}: {w}" for w in parsed.warnings)
        report.set_aside.extend(f"{path.name}: {note}" for note in parsed.set_aside)
        provenance = {
            "source": pl.lit(path.name),
            "release": pl.lit(parsed.release, dtype=pl.Date),
        }
        common = {
            "content_key": key,
            "release": parsed.release,
            "period_start": parsed.period_start,
            "additive": parsed.additive,
        }
        sources.append(
            Source(
                name=path.name,
                rows=parsed.rows.with_columns(**provenance),
                kind=parsed.kind,
                per_category=parsed.per_category,
                record_ids=parsed.record_ids,
                **common,
            )
        )
        if parsed.wards is not None and parsed.wards.height:
            ward_sources.append(
                Source(name=path.name, rows=parsed.wards.with_columns(**provenance), **common)
            )

    live = [s for s in sources if s.rows.height]
    obs = choose(sources, report.superseded)
    if obs.height == 0:
        obs = pl.DataFrame(schema={**CANONICAL_COLUMNS, "source": pl.String, "release": pl.Date})
    obs, derived = _derive_positive_outcome_rate(obs, config, report)
    obs = _mark_provisional(obs, config)
    obs = conform(obs, OBSERVATION_SCHEMA)
    if len(live) > 1 or derived:
        obs = obs.sort(OBSERVATION_ORDER)  # each parser hands back its rows in this order

    ward_notes: list[str] = []
    wards = choose(ward_sources, ward_notes, detail=("ward_code", "category_group", "category"))
    # a ward file's borough sums compete as its ward rows do: say each note once
    report.superseded.extend(n for n in ward_notes if n not in report.superseded)
    if wards.height == 0:
        wards = pl.DataFrame(schema=WARD_SCHEMA)
    wards = conform(wards, WARD_SCHEMA)
    if len([s for s in ward_sources if s.rows.height]) > 1:
        wards = wards.sort(WARD_ORDER)
    return Dataset(observations=obs, wards=wards, report=report)


def _identify(inputs: list[_Input], index: FingerprintIndex) -> list[tuple[str, Fingerprint]]:
    """Each file's identity and fingerprint, in order (a few at a time: new files are read)."""
    if len(inputs) < 2 or PARALLEL_FILES < 2:
        return [index.get(item.path) for item in inputs]
    with ThreadPoolExecutor(max_workers=PARALLEL_FILES) as pool:
        return list(pool.map(lambda item: index.get(item.path), inputs))


def _parse_all(
    files: list[_File],
    config: Config,
    use_cache: bool,
    index: FingerprintIndex,
    config_print: str,
) -> list[tuple[ParsedFile, bool]]:
    """Each file parsed (or taken from the parse cache), in order.

    A new file is read once: its hash comes from the bytes read to parse it. Files of a
    format that reads many files together (data.police.uk records) are parsed in batches of
    about ``BATCH_BYTES``; the others a few at a time (Polars releases the interpreter while
    it works). When files are refused, the first in order is reported.
    """
    results: dict[int, tuple[ParsedFile, bool]] = {}
    pending: list[int] = []
    for number, file in enumerate(files):
        cached = _read_parse(file.key, file.path) if use_cache and file.key else None
        if cached is not None:
            results[number] = (cached, True)
        else:
            pending.append(number)
    refusals: list[tuple[int, DataError]] = []

    def read(number: int) -> bytes | None:
        """The file's bytes to parse, or None when its content turns out to be cached."""
        file = files[number]
        raw = read_raw(file.path)
        if file.found.content is None:
            file.found = Fingerprint(hashlib.sha256(raw).hexdigest(), file.found.format)
            index.record(file.identity, file.found)
            file.key = _file_key(files, file, config, config_print)
            assert file.key is not None  # a dependent file is read once its companions are
            cached = _read_parse(file.key, file.path) if use_cache else None
            if cached is not None:
                results[number] = (cached, True)
                return None
        return inflate(file.path, raw)

    def parse_one(number: int) -> None:
        file = files[number]
        try:
            data = read(number)
            if data is not None:
                fmt = file.found.format
                assert fmt is not None
                if file.companions is None:
                    parsed = fmt.parse(file.path, data, config)
                else:
                    paths = tuple(files[n].path for n in file.companions)
                    parsed = fmt.parse(file.path, data, config, companions=paths)
                results[number] = (_finish(parsed, config), False)
        except DataError as error:
            refusals.append((number, error))

    def parse_batch(numbers: list[int]) -> None:
        fmt = files[numbers[0]].found.format
        assert fmt is not None and fmt.parse_many is not None
        try:
            items, parsing = [], []
            for number in numbers:
                data = read(number)
                if data is not None:
                    items.append((files[number].path, data))
                    parsing.append(number)
            if items:
                for number, parsed in zip(parsing, fmt.parse_many(items, config), strict=True):
                    results[number] = (_finish(parsed, config), False)
        except DataError as error:
            where = [n for n in numbers if str(files[n].path) == error.path] or numbers
            refusals.append((where[0], error))

    def run(numbers: list[int]) -> None:
        batches: dict[str, list[int]] = {}
        singles: list[int] = []
        for number in numbers:
            fmt = files[number].found.format
            if fmt is not None and fmt.parse_many is not None:
                batches.setdefault(fmt.name, []).append(number)
            else:
                singles.append(number)
        work = [lambda n=n: parse_one(n) for n in singles]
        for chunked in batches.values():
            work += [lambda chunk=chunk: parse_batch(chunk) for chunk in _chunks(files, chunked)]
        if len(work) < 2 or PARALLEL_FILES < 2:
            for job in work:
                job()
        else:
            with ThreadPoolExecutor(max_workers=PARALLEL_FILES) as pool:
                list(pool.map(lambda job: job(), work))

    # Files that need others of the load (stop and search needs the street files) come
    # second: by then every companion is hashed, so their keys can be folded into theirs.
    run([n for n in pending if files[n].companions is None])
    dependent = [n for n in pending if files[n].companions is not None]
    if dependent:
        _fill_keys(files, config, config_print)
        later = []
        for number in dependent:
            file = files[number]
            assert file.companions is not None
            if any(files[n].key is None for n in file.companions):
                continue  # a companion could not be read: that refusal is reported
            cached = _read_parse(file.key, file.path) if use_cache and file.key else None
            if cached is not None:
                results[number] = (cached, True)
            else:
                later.append(number)
        run(later)
    if refusals:
        raise min(refusals, key=lambda refusal: refusal[0])[1]
    if use_cache and len(files) > 1:
        # (one file alone is cached whole as the dataset; a second copy would only cost time)
        writes = [(files[n].key, results[n][0]) for n in pending if not results[n][1]]
        with ThreadPoolExecutor(max_workers=PARALLEL_FILES) as pool:
            list(pool.map(lambda entry: _write_parse(*entry), writes))
    return [results[number] for number in range(len(files))]


def _chunks(files: list[_File], numbers: list[int]) -> list[list[int]]:
    """Consecutive runs of files holding about BATCH_BYTES between them."""
    chunks: list[list[int]] = [[]]
    size = 0
    for number in numbers:
        try:
            bytes_on_disk = files[number].path.stat().st_size
        except OSError:
            bytes_on_disk = 0
        if chunks[-1] and size + bytes_on_disk > BATCH_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(number)
        size += bytes_on_disk
    return chunks


def _report_to_json(report: LoadReport) -> dict:
    return {
        "files": [
            {
                "path": str(f.path),
                "format": f.format,
                "rows": f.rows,
                "first_month": f.first_month,
                "last_month": f.last_month,
            }
            for f in report.files
        ],
        "warnings": report.warnings,
        "superseded": report.superseded,
        "set_aside": report.set_aside,
        "skipped": report.skipped,
    }


def _write_dataset(dataset: Dataset) -> None:
    store_frames(
        "datasets",
        dataset.key,
        {"observations": dataset.observations, "wards": dataset.wards},
        _report_to_json(dataset.report),
    )


def _read_dataset(key: str) -> Dataset | None:
    """A cached dataset, or None when it is missing or malformed in any way."""
    found = load_frames(
        "datasets",
        key,
        ["observations", "wards"],
        {"observations": OBSERVATION_SCHEMA, "wards": WARD_SCHEMA},
    )
    if found is None:
        return None
    frames, meta = found
    month = lambda text: date.fromisoformat(text) if text else None  # noqa: E731
    try:
        report = LoadReport(
            files=[
                FileReport(
                    Path(f["path"]),
                    str(f["format"]),
                    int(f["rows"]),
                    month(f["first_month"]),
                    month(f["last_month"]),
                    cached=True,
                )
                for f in meta["files"]
            ],
            warnings=[str(w) for w in meta["warnings"]],
            superseded=[str(s) for s in meta["superseded"]],
            set_aside=[str(s) for s in meta["set_aside"]],
            skipped=[str(s) for s in meta["skipped"]],
        )
    except (KeyError, TypeError, ValueError):
        return None
    return Dataset(
        observations=conform(frames["observations"], OBSERVATION_SCHEMA),
        wards=conform(frames["wards"], WARD_SCHEMA),
        report=report,
        key=key,
    )


def _derive_positive_outcome_rate(
    obs: pl.DataFrame, config: Config, report: LoadReport
) -> tuple[pl.DataFrame, bool]:
    """Positive outcome rate from data.police.uk files: positive outcomes assigned in a month /
    crimes recorded in that month (the ``outcomes_in_period`` basis), per borough, where no
    file supplies the rate itself. Only the crime types loaded count (the real Met extracts in
    ../shared are burglary only, so there it is a burglary rate)."""
    if obs.height == 0 or config.outcomes.basis != "outcomes_in_period":
        return obs, False
    police = obs.filter(pl.col("family") == "police_uk")
    if police.height == 0:
        return obs, False
    outcomes = (
        police.filter(pl.col("measure") == "positive_outcomes")
        .group_by("month", "borough")
        .agg(value=pl.col("value").sum(), release=pl.col("release").max())
    )
    crimes = (
        police.filter(pl.col("measure") == "street_crime")
        .group_by("month", "borough")
        .agg(denominator=pl.col("value").sum(), crimes_release=pl.col("release").max())
    )
    supplied = (
        obs.filter(pl.col("measure") == "positive_outcome_rate").select("month", "borough").unique()
    )
    rate = outcomes.join(crimes, on=["month", "borough"]).join(
        supplied, on=["month", "borough"], how="anti"
    )
    rate = rate.filter(pl.col("denominator") > 0)
    if rate.height == 0:
        return obs, False
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
    return pl.concat([obs, derived], how="diagonal_relaxed"), True


def _mark_provisional(obs: pl.DataFrame, config: Config) -> pl.DataFrame:
    """The newest month(s) of the release a value came from are provisional."""
    if obs.height == 0:
        return obs.with_columns(provisional=pl.lit(None, dtype=pl.Boolean))
    latest = config.scan.provisional.latest_months
    outcome_months = config.outcomes.provisional_months
    outcome_measures = [m.id for m in config.measures if m.family == "positive_outcomes"]
    months_before_release = (
        (pl.col("release").dt.year() - pl.col("month").dt.year()) * 12
        + pl.col("release").dt.month()
        - pl.col("month").dt.month()
    )
    window = (
        pl.when(pl.col("measure").is_in(outcome_measures))
        .then(pl.lit(outcome_months))
        .otherwise(pl.lit(latest))
    )
    return obs.with_columns(
        provisional=pl.coalesce(pl.col("provisional_hint"), months_before_release < window)
    )
