"""On-disk caches: keys, atomic writes, and frames stored as Parquet.

Four layers use it: the validated configuration (keyed by its files' content), parsed files (keyed
by file content), loaded datasets (keyed by every file's key and the configuration that shapes
loading), and scan results (keyed by the dataset, the whole configuration and the month). Keys
include a hash of the code that produced the value, so a change to a loader or to the scan can
never serve a stale result. A cache that cannot be read or written only costs speed: errors are
swallowed and the value is recomputed.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from crimefighters.files import atomic_write
from crimefighters.paths import cache_dir

if TYPE_CHECKING:  # Polars is imported where frames are read or written: the configuration's
    import polars as pl  # cache uses this module's keys without paying for Polars

_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def code_fingerprint(*subpackages: str) -> str:
    """Hash of the source of the named subpackages (e.g. 'data', 'scan') and the config models."""
    digest = hashlib.sha256()
    files = [_PACKAGE / "config" / "models.py"]
    for name in subpackages:
        root = _PACKAGE / name
        files.extend(sorted(root.rglob("*.py")) if root.is_dir() else [_PACKAGE / f"{name}.py"])
    for file in files:
        try:
            digest.update(file.read_bytes())
        except OSError:
            digest.update(str(file).encode())
    return digest.hexdigest()[:16]


def key_of(*parts: object) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def store_frames(kind: str, key: str, frames: dict[str, pl.DataFrame], meta: dict) -> None:
    """Save named frames and a JSON document under ``<cache>/<kind>/<key>/``; the JSON last,
    so a reader that finds it finds every frame."""
    import polars as pl

    folder = cache_dir() / kind / key
    try:
        for name, frame in frames.items():
            atomic_write(
                folder / f"{name}.parquet",
                # lz4: about twice as fast to write as zstd, for files twice the size
                lambda p, frame=frame: frame.write_parquet(p, compression="lz4"),
                durable=False,
            )
        atomic_write(
            folder / "meta.json",
            lambda p: p.write_text(json.dumps(meta, default=str)),
            durable=False,
        )
    except (OSError, pl.exceptions.PolarsError):
        pass


def load_frames(
    kind: str,
    key: str,
    names: list[str],
    schemas: dict[str, dict[str, pl.DataType]] | None = None,
) -> tuple[dict[str, pl.DataFrame], dict] | None:
    """The frames and JSON document stored under a key, or None for a miss.

    Anything malformed is a miss, never an error: a ``meta.json`` that is not a JSON object
    (``{}`` is an object; the caller checks its fields), a frame that cannot be read, or one
    whose columns differ from ``schemas[name]`` where given.
    """
    import polars as pl

    folder = cache_dir() / kind / key
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if not isinstance(meta, dict):
            return None
        frames = {name: pl.read_parquet(folder / f"{name}.parquet") for name in names}
    except (OSError, ValueError, pl.exceptions.PolarsError):
        return None
    for name, schema in (schemas or {}).items():
        if name in frames and dict(frames[name].schema) != dict(schema):
            return None
    return frames, meta
