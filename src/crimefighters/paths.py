"""Where the bundled configuration and sample data live.

In a wheel they are packaged under ``crimefighters/_bundled``; in a source checkout (editable
install, tests) they are the repository's ``config/`` and ``sample_data/`` folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE / "_bundled"
_REPO = _PACKAGE.parent.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[-1]


def default_config_dir() -> Path:
    return _first_existing(_BUNDLED / "config", _REPO / "config")


def default_sample_dir() -> Path:
    return _first_existing(_BUNDLED / "sample_data", _REPO / "sample_data")


def repo_root() -> Path:
    return _REPO


def cache_dir() -> Path:
    """Per-user cache for parsed data files (Parquet keyed by file content)."""
    import os

    base = os.environ.get("CRIMEFIGHTERS_CACHE") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    if not os.environ.get("CRIMEFIGHTERS_CACHE"):
        root = root / "crimefighters"
    return root
