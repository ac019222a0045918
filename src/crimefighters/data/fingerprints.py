"""What a file holds, without reading it again when it has not changed.

A file's fingerprint is the SHA-256 of its bytes, read in 1 MiB chunks (never the whole file
at once), and the format its header names. Both are remembered in one index in the cache
(``files.json``), under the file's identity on disk (resolved path, size, modification time in
nanoseconds, inode, device): a warm start stats each file and reads nothing but the index. A
changed file has a new identity, so its entry is simply not found. The index records the
loader code its entries were made with, since a new loader can recognise a file an older one
skipped; a malformed index or entry is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from crimefighters.cache import code_fingerprint
from crimefighters.data.formats import FileFormat, registry
from crimefighters.data.formats.tabular import binary_header
from crimefighters.data.text import decode_text, first_line, head_bytes
from crimefighters.errors import DataError
from crimefighters.files import atomic_write
from crimefighters.paths import cache_dir

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Fingerprint:
    # sha256 of the file's bytes as stored (gzipped or not); None for a new file a loader
    # recognises, which is hashed when it is read to be parsed (read once, not twice)
    content: str | None
    format: FileFormat | None  # None: no loader recognises the file
    problem: str = ""  # why no loader recognises it (the refusal's message)
    problem_line: int | None = None

    def refusal(self, path: Path) -> DataError:
        return DataError(path, self.problem, line=self.problem_line)


class FingerprintIndex:
    """The remembered fingerprints (read once), and those made during this load."""

    # entries kept: the most recent, so the index never grows without bound
    LIMIT = 200_000

    def __init__(self, use_cache: bool = True):
        self.use_cache = use_cache
        self.code = code_fingerprint("data")
        self.path = cache_dir() / "files.json"
        self.entries: dict[str, dict] = self._read() if use_cache else {}
        self.changed = False

    def _read(self) -> dict[str, dict]:
        try:
            index = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(index, dict) or index.get("code") != self.code:
            return {}
        entries = index.get("entries")
        return entries if isinstance(entries, dict) else {}

    def get(self, path: Path) -> tuple[str, Fingerprint]:
        """The file's identity key and fingerprint: remembered when the file is unchanged;
        otherwise its format from its first bytes, and (for a file no loader recognises,
        which is never parsed) its hash, read in chunks."""
        try:
            stat = path.stat()
            resolved = path.resolve()
        except OSError as exc:
            raise DataError(path, f"cannot read the file: {exc.strerror or exc}") from None
        identity = f"{resolved}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ino}|{stat.st_dev}"
        key = hashlib.sha256(identity.encode()).hexdigest()[:32]
        known = _entry(self.entries.get(key))
        if known is not None:
            return key, known
        try:
            return key, Fingerprint(content=None, format=detect(path))
        except DataError as exc:
            found = Fingerprint(
                content=content_hash(path), format=None, problem=exc.message, problem_line=exc.line
            )
        self.record(key, found)
        return key, found

    def record(self, key: str, found: Fingerprint) -> None:
        """Remember a fingerprint whose content hash is known."""
        assert found.content is not None
        self.entries.pop(key, None)
        self.entries[key] = {
            "content": found.content,
            "format": found.format.name if found.format else None,
            "problem": found.problem,
            "problem_line": found.problem_line,
        }
        self.changed = True

    def save(self) -> None:
        if not self.use_cache or not self.changed:
            return
        entries = self.entries
        if len(entries) > self.LIMIT:
            entries = dict(list(entries.items())[-self.LIMIT :])
        document = json.dumps({"code": self.code, "entries": entries})
        # a cache that cannot be written only costs speed
        with contextlib.suppress(OSError):
            atomic_write(self.path, lambda p: p.write_text(document), durable=False)
        self.changed = False


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise DataError(path, f"cannot read the file: {exc.strerror or exc}") from None
    return digest.hexdigest()


def detect(path: Path) -> FileFormat:
    """The format whose header the file's first line matches (only its start is read)."""
    return detect_format(path, head_bytes(path), registry())


def detect_format(path: Path, data: bytes, formats: list[FileFormat]) -> FileFormat:
    """The format whose header ``data`` (the file's first bytes) starts with; a Parquet file
    or XLSX workbook by its column names, read from ``path``."""
    if not data or data.isspace():
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


def _entry(known: object) -> Fingerprint | None:
    """A remembered fingerprint, or None when it is missing or malformed."""
    if not isinstance(known, dict):
        return None
    content, name = known.get("content"), known.get("format")
    problem, line = known.get("problem"), known.get("problem_line")
    if not isinstance(content, str) or len(content) != 64 or not isinstance(problem, str):
        return None
    if line is not None and not isinstance(line, int):
        return None
    if name is None:
        if not problem:
            return None
        return Fingerprint(content=content, format=None, problem=problem, problem_line=line)
    formats = {fmt.name: fmt for fmt in registry()}
    return Fingerprint(content=content, format=formats[name]) if name in formats else None
