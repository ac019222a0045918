"""Atomic file writes, used by every layer that writes: exports, caches, fetched files, samples.

The new content goes to a temporary file in the same folder, is flushed to disk, given the
permissions a plain ``open()`` would give, and renamed over the target. An interrupted or failed
write leaves the old file whole and no temporary file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_shareable(path: Path) -> None:
    """Give a file made by mkstemp (0600) the permissions a plain open() would give."""
    os.chmod(path, 0o666 & ~_umask())


def atomic_write(
    path: Path, write: Callable[[Path], object], suffix: str = ".tmp", durable: bool = True
) -> None:
    """Call ``write(temporary_path)`` to fill the file, then rename it over ``path``.

    ``durable=False`` skips the flush to disk: for caches, where a file lost in a power cut is
    only recomputed, and thousands of small entries would otherwise wait on the disk.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        if durable:
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); a briefing is meant to be shared
        make_shareable(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes, suffix: str = ".tmp") -> None:
    atomic_write(path, lambda tmp: tmp.write_bytes(data), suffix)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
