"""HTTP downloads that never damage the data directory.

One request at a time, through ``Downloader.fetch``:
- explicit timeouts (connect, read, and a deadline for the whole body);
- retries with exponential backoff and jitter on connection errors, timeouts, truncated bodies,
  HTTP 5xx and HTTP 429 (honouring ``Retry-After`` up to a configured maximum); never on other
  4xx, which will not get better by asking again;
- the body is streamed to a hidden temporary file beside its target, then checked (status 200,
  acceptable content type, complete length, the caller's content check). Only a verified
  temporary file is handed back; ``install`` renames it into place with ``os.replace``, so the
  previous copy stays whole until the new one is known to be good;
- conditional requests (``If-None-Match`` / ``If-Modified-Since``) from ``FetchState``: an
  HTTP 304 leaves the file untouched.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import httpx

from crimefighters.config.models import Sources
from crimefighters.errors import FetchError
from crimefighters.fetch.verify import ContentProblem, check_content_type
from crimefighters.files import atomic_write_bytes, make_shareable

EventKind = Literal["start", "progress", "retry", "done", "unchanged", "skipped", "failed"]


@dataclass(frozen=True)
class FetchEvent:
    """What a progress callback receives. ``total`` is None when the size is unknown."""

    kind: EventKind
    label: str
    target: Path | None = None
    received: int = 0
    total: int | None = None
    message: str = ""


ProgressCallback = Callable[[FetchEvent], None]


class DownloadFailed(Exception):
    """This file could not be fetched; the data directory is unchanged for it."""


class TooLarge(Exception):
    """The API refused an area as too large (data.police.uk: HTTP 503 over 10,000 crimes)."""


class FetchCancelled(FetchError):
    """The caller asked to stop (e.g. the TUI's cancel); nothing half-written was kept."""

    def __init__(self) -> None:
        super().__init__("fetch cancelled; files already fetched were kept, nothing else changed")


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Request:
    label: str  # e.g. "mps-borough-24m" or "crimes-street Lambeth 2025-01"
    url: str
    kind: Literal["csv", "json"]
    check: Callable[[Path], None]  # raises ContentProblem when the body is not what we expect
    params: dict[str, str] | None = None
    form: dict[str, str] | None = None  # sent as a POST body (data.police.uk: long polygons)
    too_large_status: int | None = None
    pace: float = 0.0  # least seconds since the previous request (API rate limits)


@dataclass(frozen=True)
class Download:
    """A verified temporary file, not yet in place."""

    path: Path
    url: str
    size: int
    etag: str | None
    last_modified: str | None


NOT_MODIFIED = "not-modified"


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def temp_path_for(target: Path) -> Path:
    """A hidden temporary file beside ``target`` (same filesystem, so the rename is atomic;
    hidden, so the data loader never picks it up)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    return Path(name)


def install(download: Download, target: Path) -> None:
    """Rename a verified download over ``target``: the only moment the target changes."""
    try:
        make_shareable(download.path)  # mkstemp made it private
        os.replace(download.path, target)
    except OSError as exc:
        download.path.unlink(missing_ok=True)
        raise DownloadFailed(f"cannot write {target}: {exc.strerror or exc}") from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class FetchState:
    """ETag / Last-Modified per target, in ``<data dir>/.fetch/state.json`` (written atomically).

    Validators are only sent when the file on disk is still the one they describe (same
    SHA-256), so a file edited or replaced by hand is downloaded again rather than kept.
    """

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.path = data_dir / ".fetch" / "state.json"
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            self.entries: dict[str, dict] = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            self.entries = {}  # no state (or a damaged one) only costs a full download

    def key(self, target: Path) -> str:
        try:
            return target.relative_to(self.data_dir).as_posix()
        except ValueError:
            return str(target)

    def conditional_headers(self, target: Path) -> dict[str, str]:
        entry = self.entries.get(self.key(target))
        if not entry or not target.is_file() or sha256_of(target) != entry.get("sha256"):
            return {}
        headers = {}
        if entry.get("etag"):
            headers["If-None-Match"] = entry["etag"]
        if entry.get("last_modified"):
            headers["If-Modified-Since"] = entry["last_modified"]
        return headers

    def record(self, target: Path, url: str, etag: str | None, last_modified: str | None) -> None:
        self.entries[self.key(target)] = {
            "url": url,
            "etag": etag,
            "last_modified": last_modified,
            "sha256": sha256_of(target),
            "size": target.stat().st_size,
            "fetched": now_iso(),
        }
        self.save()

    def forget(self, target: Path) -> None:
        if self.entries.pop(self.key(target), None) is not None:
            self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, json.dumps(self.entries, indent=2, sort_keys=True).encode())


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass
class Downloader:
    settings: Sources
    progress: ProgressCallback | None = None
    cancel: threading.Event | None = None
    sleep: Callable[[float], None] = time.sleep
    client: httpx.Client = field(init=False)
    _last_request: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        t = self.settings.timeouts
        self.client = httpx.Client(
            timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.read, pool=t.connect),
            follow_redirects=True,
            headers={"User-Agent": self.settings.user_agent},
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def emit(self, event: FetchEvent) -> None:
        if self.progress is not None:
            self.progress(event)

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise FetchCancelled()

    def backoff(self, attempt: int) -> float:
        r = self.settings.retries
        wait = min(r.backoff_max, r.backoff_base * 2 ** (attempt - 1))
        return random.uniform(wait / 2, wait)  # jitter, so many clients do not retry in step

    def fetch(
        self, request: Request, target: Path, conditional: dict[str, str] | None = None
    ) -> Download | str:
        """A verified temporary ``Download`` beside ``target``, or ``NOT_MODIFIED``.

        Raises ``DownloadFailed`` (giving up, with the reason) or ``TooLarge``.
        """
        retries = self.settings.retries
        for attempt in range(1, retries.attempts + 1):
            self.check_cancel()
            try:
                return self._attempt(request, target, conditional or {})
            except _Retryable as exc:
                reason = str(exc)
                if exc.retry_after is not None and exc.retry_after > retries.max_retry_after:
                    raise DownloadFailed(
                        f"{reason}; the server asked to wait {exc.retry_after:.0f} s, longer than "
                        f"sources.retries.max_retry_after ({retries.max_retry_after:g} s)"
                    ) from None
                if attempt == retries.attempts:
                    raise DownloadFailed(f"gave up after {attempt} tries; last: {reason}") from None
                wait = exc.retry_after if exc.retry_after is not None else self.backoff(attempt)
                self.emit(
                    FetchEvent(
                        "retry",
                        request.label,
                        target,
                        message=f"{reason}; retry {attempt}/{retries.attempts - 1} in {wait:.1f} s",
                    )
                )
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _pace(self, seconds: float) -> None:
        if seconds > 0:
            remaining = self._last_request + seconds - time.monotonic()
            if remaining > 0:
                self.sleep(remaining)
        self._last_request = time.monotonic()

    def _attempt(
        self, request: Request, target: Path, conditional: dict[str, str]
    ) -> Download | str:
        self._pace(request.pace)
        try:
            with self.client.stream(
                "POST" if request.form else "GET",
                request.url,
                params=request.params,
                data=request.form,
                headers=conditional,
            ) as response:
                return self._receive(request, target, response, bool(conditional))
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out ({type(exc).__name__}) from {request.url}") from None
        except httpx.TransportError as exc:
            detail = str(exc) or type(exc).__name__
            raise _Retryable(f"connection failed ({detail}) from {request.url}") from None

    def _receive(
        self, request: Request, target: Path, response: httpx.Response, conditional: bool
    ) -> Download | str:
        status = response.status_code
        where = str(response.url)
        if status == 304 and conditional:
            return NOT_MODIFIED
        if request.too_large_status is not None and status == request.too_large_status:
            raise TooLarge(where)
        if status == 429:
            raise _Retryable(
                f"rate limited (HTTP 429) by {where}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 500:
            raise _Retryable(f"HTTP {status} {response.reason_phrase} from {where}")
        if status != 200:
            raise DownloadFailed(f"HTTP {status} {response.reason_phrase} from {where}")
        try:
            check_content_type(request.kind, response.headers.get("Content-Type"))
        except ContentProblem as exc:
            raise DownloadFailed(f"{exc} from {where}") from None

        expected = response.headers.get("Content-Length")
        total = int(expected) if expected and expected.isdigit() else None
        tmp = temp_path_for(target)
        try:
            size = self._stream(request, target, response, tmp, total)
            encoded = response.headers.get("Content-Encoding", "identity").lower()
            if (
                total is not None
                and encoded == "identity"
                and response.num_bytes_downloaded != total
            ):
                raise _Retryable(
                    f"truncated body: received {response.num_bytes_downloaded:,} of {total:,} "
                    f"bytes from {where}"
                )
            try:
                request.check(tmp)
            except ContentProblem as exc:
                raise DownloadFailed(f"{exc} (from {where})") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.emit(FetchEvent("done", request.label, target, received=size, total=size))
        return Download(
            path=tmp,
            url=where,
            size=size,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )

    def _stream(
        self,
        request: Request,
        target: Path,
        response: httpx.Response,
        tmp: Path,
        total: int | None,
    ) -> int:
        deadline = time.monotonic() + self.settings.timeouts.total
        received = 0
        last_report = 0.0
        self.emit(FetchEvent("start", request.label, target, 0, total))
        with open(tmp, "wb") as handle:
            for chunk in response.iter_bytes(chunk_size=65536):
                handle.write(chunk)
                received += len(chunk)
                now = time.monotonic()
                if now > deadline:
                    raise _Retryable(
                        f"download took longer than sources.timeouts.total "
                        f"({self.settings.timeouts.total:g} s) from {response.url}"
                    )
                self.check_cancel()
                if now - last_report >= 0.1:
                    last_report = now
                    self.emit(FetchEvent("progress", request.label, target, received, total))
            handle.flush()
            os.fsync(handle.fileno())
        return received
