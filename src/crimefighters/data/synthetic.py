"""Which loaded files are the synthetic sample: every front-end says so on what it shows.

``crimefighters sample`` writes ``synthetic_manifest.toml`` beside the files it generates,
naming each with its size and SHA-256. A loaded file is synthetic when

- a manifest in its own folder lists its name (even if it was edited since: an edited
  sample is still invented data), or
- its content matches a file listed in that manifest or in the bundled sample's manifest (a
  sample file copied or renamed anywhere else).

Only files whose size matches a listed file are hashed, so real data costs one ``stat``.
The check runs on every load, outside the dataset cache, so it can never be served stale.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "synthetic_manifest.toml"
LABEL = "SYNTHETIC SAMPLE DATA"
NOTE = "every number is invented (made by the crimefighters sample command); do not use it for decisions"


@dataclass(frozen=True)
class ManifestEntry:
    name: str
    size: int
    sha256: str


def manifest_text(files: dict[str, bytes], seed: int) -> str:
    """The manifest of generated files (name -> content), as TOML."""
    lines = [
        f"# {LABEL}: {NOTE}.",
        "# Written by `crimefighters sample`; the loader marks every file listed here (or with",
        "# the same content) as synthetic, and every screen, briefing and export says so.",
        f'label = "{LABEL}"',
        'generator = "crimefighters sample"',
        f"seed = {seed}",
        "",
    ]
    for name in sorted(files):
        content = files[name]
        lines += [
            f'[files."{name}"]',
            f"bytes = {len(content)}",
            f'sha256 = "{hashlib.sha256(content).hexdigest()}"',
            "",
        ]
    return "\n".join(lines)


def read_manifest(path: Path) -> list[ManifestEntry]:
    """The entries of one manifest; none if it is missing or unreadable (then nothing is
    marked from it: the bundled manifest still catches copies of the bundled sample)."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        return [
            ManifestEntry(name, int(entry["bytes"]), str(entry["sha256"]))
            for name, entry in document.get("files", {}).items()
        ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def synthetic_files(files: list[Path], bundled_sample: Path | None = None) -> list[Path]:
    """The files among ``files`` that are synthetic sample data, in the order given."""
    if bundled_sample is None:
        from crimefighters.paths import default_sample_dir

        bundled_sample = default_sample_dir()
    manifests: dict[Path, list[ManifestEntry]] = {}

    def entries(folder: Path) -> list[ManifestEntry]:
        if folder not in manifests:
            manifests[folder] = read_manifest(folder / MANIFEST_NAME)
        return manifests[folder]

    bundled = entries(bundled_sample.resolve())
    found = []
    for file in files:
        beside = entries(file.resolve().parent)
        if any(e.name == file.name for e in beside):
            found.append(file)
            continue
        try:
            size = file.stat().st_size
        except OSError:
            continue
        candidates = {e.sha256 for e in (*beside, *bundled) if e.size == size}
        if candidates and _sha256(file) in candidates:
            found.append(file)
    return found
