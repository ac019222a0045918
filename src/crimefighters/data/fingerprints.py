"""What a file holds, without reading it again when it has not changed.

A file's fingerprint is the SHA-256 of its bytes, read in 1 MiB chunks (never the whole file
at once), and the format its header names. Both are remembered in the cache under the file's
identity on disk (resolved path, size, modification time in nanoseconds, inode, device): a
warm start stats each file and reads nothing. A changed file has a new identity, so its entry
is simply not found. The entry also records the loader code it was made with, since a new
loader can recognise a file an older one skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from crimefighters.cache import code_fingerprint
from crimefighters.data.formats import FileFormat, registry
from crimefighters.data.text import decode_text, first_line, head_bytes
from crimefighters.errors import DataError
from crimefighters.files import atomic_write
from crimefighters.paths import cache_dir

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Fingerprint:
    content: str  # sha256 of the file's bytes as stored (gzipped or not)
    format: FileFormat | None  # None: no loader recognises the file
    problem: str = ""  # why no loader recognises it (the refusal's message)
    problem_line: int | None = None

    def refusal(self, path: Path) -> DataError:
        return DataError(path, self.problem, line=self.problem_line)


def fingerprint(path: Path, use_cache: bool = True) -> Fingerprint:
    """The file's content hash and format, from the cache when the file is unchanged."""
    try:
        stat = path.stat()
        resolved = path.resolve()
    except OSError as exc:
        raise DataError(path, f"cannot read the file: {exc.strerror or exc}") from None
    identity = f"{resolved}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ino}|{stat.st_dev}"
    entry = cache_dir() / "files" / f"{hashlib.sha256(identity.encode()).hexdigest()[:32]}.json"
    code = code_fingerprint("data")
    if use_cache:
        known = _read_entry(entry, code)
        if known is not None:
            return known
    found = Fingerprint(content=content_hash(path), format=None)
    try:
        found = Fingerprint(content=found.content, format=detect(path))
    except DataError as exc:
        found = Fingerprint(
            content=found.content, format=None, problem=exc.message, problem_line=exc.line
        )
    if use_cache:
        _write_entry(entry, code, found)
    return found


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
    if not data or data.isspace():
        raise DataError(path, "the file is empty")
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


def _read_entry(entry: Path, code: str) -> Fingerprint | None:
    """A remembered fingerprint, or None when it is missing, stale or malformed."""
    try:
        known = json.loads(entry.read_text())
        if not isinstance(known, dict) or known.get("code") != code:
            return None
        content, name, problem = known["content"], known["format"], known["problem"]
        line = known["problem_line"]
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
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_entry(entry: Path, code: str, found: Fingerprint) -> None:
    record = {
        "code": code,
        "content": found.content,
        "format": found.format.name if found.format else None,
        "problem": found.problem,
        "problem_line": found.problem_line,
    }
    # a cache that cannot be written only costs speed
    with contextlib.suppress(OSError):
        atomic_write(entry, lambda p: p.write_text(json.dumps(record)), durable=False)
