"""HTTP downloads that never damage the data directory.

One request at a time, through ``Downloader.fetch`` (synchronous to its caller; inside, one
asyncio loop kept for the downloader's life, so a single ``asyncio.timeout`` can bound a whole
attempt):
- timeouts: connect, read (between two reads), and ``sources.timeouts.total`` for the whole
  attempt, from the first byte of the request through every redirect to the last byte of the
  body, so a server that trickles one byte every few seconds is cut off too;
- retries with exponential backoff and jitter on connection errors, read timeouts, truncated
  bodies, HTTP 5xx and HTTP 429 (honouring ``Retry-After`` up to a configured maximum); never
  on other 4xx, on the total timeout, or on a body that fails its checks, which will not get
  better by asking again;
- redirects are followed by hand, each one vetted by ``safety.RedirectPolicy``; a loop or more
  than ``safety.MAX_REDIRECTS`` is one line, never a traceback;
- sizes: ``sources.max_bytes`` caps the bytes received and the bytes written once a gzip
  ``Content-Encoding`` is inflated (inflated a piece at a time, so a gzip bomb is refused
  before it writes more than the cap), and a body that is itself gzip;
- the body is streamed into a hidden staging folder beside its target (``Staged``), then checked
  (status 200, acceptable content type, complete length, the caller's content check). Only a
  verified staged file is handed back; the caller checks it with the loader and ``install``s
  it with ``os.replace``, so the previous copy stays whole until the new one is known good;
- conditional requests (``If-None-Match`` / ``If-Modified-Since``) from ``FetchState``: an
  HTTP 304 leaves the file untouched.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import os
import random
import shutil
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import httpx

from crimefighters.config.models import Sources
from crimefighters.errors import FetchError
from crimefighters.fetch.safety import (
    MAX_REDIRECTS,
    InflateLimit,
    RedirectPolicy,
    TooBig,
    inflated_size_within,
    inside,
)
from crimefighters.fetch.verify import ContentProblem, check_content_type
from crimefighters.files import atomic_write_bytes

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
    format: str = ""  # the loader must detect a format whose name starts with this


@dataclass(frozen=True)
class Staged:
    """A file being fetched, in its own hidden folder beside the target: the same filesystem, so
    ``install`` is one atomic rename; its real name, so the loader reads it as it will read the
    installed file; hidden, so a load of the data folder never picks it up meanwhile."""

    folder: Path
    path: Path

    @classmethod
    def beside(cls, target: Path) -> Staged:
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(
            tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        )
        return cls(folder, folder / target.name)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass(frozen=True)
class Download:
    """A verified staged file, not yet in place."""

    staged: Staged
    url: str
    size: int
    etag: str | None
    last_modified: str | None

    @property
    def path(self) -> Path:
        return self.staged.path

    def discard(self) -> None:
        self.staged.discard()


NOT_MODIFIED = "not-modified"


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def install(path: Path, target: Path) -> None:
    """Rename a verified staged file over ``target``: the only moment the target changes."""
    try:
        os.replace(path, target)
    except OSError as exc:
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
        inside(self.data_dir, self.path)
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
    client: httpx.AsyncClient = field(init=False)
    policy: RedirectPolicy = field(init=False)
    _runner: asyncio.Runner = field(init=False)
    _last_request: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        t = self.settings.timeouts
        self._runner = asyncio.Runner()
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.read, pool=t.connect),
            follow_redirects=False,  # followed by hand, each hop vetted (see _open)
            # Only what _stream can inflate within the size cap; never brotli or zstd.
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip"},
        )
        s = self.settings
        self.policy = RedirectPolicy(
            [
                s.london_datastore.base_url,
                s.police_uk.base_url,
                *(f.url for f in s.london_datastore.files if f.url),
            ]
        )

    def close(self) -> None:
        try:
            self._runner.run(self.client.aclose())
        finally:
            self._runner.close()

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
        """A verified staged ``Download`` beside ``target``, or ``NOT_MODIFIED``.

        Raises ``DownloadFailed`` (giving up, with the reason) or ``TooLarge``.
        """
        retries = self.settings.retries
        for attempt in range(1, retries.attempts + 1):
            self.check_cancel()
            self._pace(request.pace)
            try:
                return self._runner.run(self._attempt(request, target, conditional or {}))
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

    async def _attempt(
        self, request: Request, target: Path, conditional: dict[str, str]
    ) -> Download | str:
        total = self.settings.timeouts.total
        deadline = asyncio.timeout(total)
        try:
            async with deadline:
                response = await self._open(request, conditional)
                try:
                    return await self._receive(request, target, response, bool(conditional))
                finally:
                    await response.aclose()
        except TimeoutError:
            if not deadline.expired():
                raise
            # Not retried: a server this slow will not be quicker for being asked again.
            raise DownloadFailed(
                f"the download took longer than sources.timeouts.total ({total:g} s) from "
                f"{request.url}"
            ) from None
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out ({type(exc).__name__}) from {request.url}") from None
        except httpx.TransportError as exc:
            detail = str(exc) or type(exc).__name__
            raise _Retryable(f"connection failed ({detail}) from {request.url}") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise DownloadFailed(f"{exc} ({type(exc).__name__}) from {request.url}") from None

    async def _open(self, request: Request, conditional: dict[str, str]) -> httpx.Response:
        """The response at the end of the redirects, each one checked before it is followed."""
        current = self.client.build_request(
            "POST" if request.form else "GET",
            request.url,
            params=request.params,
            data=request.form,
            headers=conditional,
        )
        visited = [current.url]
        while True:
            response = await self.client.send(current, stream=True)
            following = response.next_request  # set by httpx for a 3xx with a Location
            if following is None:
                return response
            await response.aclose()
            if following.url in visited:
                raise DownloadFailed(
                    f"a redirect loop: {current.url} sends back to {following.url}"
                )
            if len(visited) > MAX_REDIRECTS:
                raise DownloadFailed(f"more than {MAX_REDIRECTS} redirects from {visited[0]}")
            refusal = await self.policy.refusal(current.url, following.url)
            if refusal is not None:
                raise DownloadFailed(
                    f"refused to follow a redirect from {current.url} to {following.url}: {refusal}"
                )
            visited.append(following.url)
            current = following

    async def _receive(
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

        cap = self.settings.max_bytes
        expected = response.headers.get("Content-Length", "").strip()
        total = int(expected) if expected.isdigit() else None
        if total is not None and total > cap:
            raise DownloadFailed(
                f"the server offers {total:,} bytes, more than sources.max_bytes ({cap:,}) "
                f"from {where}"
            )
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("identity", "", "gzip", "x-gzip"):
            raise DownloadFailed(f"unsupported Content-Encoding {encoding!r} from {where}")
        inflater = InflateLimit(cap) if encoding in ("gzip", "x-gzip") else None

        staged = Staged.beside(target)
        try:
            size = await self._stream(request, target, response, staged.path, total, inflater)
            if total is not None and response.num_bytes_downloaded != total:
                raise _Retryable(
                    f"truncated body: received {response.num_bytes_downloaded:,} of {total:,} "
                    f"bytes from {where}"
                )
            if inflater is not None and not inflater.complete:
                raise _Retryable(f"truncated body: the gzip stream from {where} ends early")
            try:
                inflated_size_within(staged.path, cap)
            except TooBig:
                raise DownloadFailed(
                    f"the file inflates to more than sources.max_bytes ({cap:,} bytes) from "
                    f"{where}: refused unread"
                ) from None
            try:
                request.check(staged.path)
            except ContentProblem as exc:
                raise DownloadFailed(f"{exc} (from {where})") from None
        except BaseException:
            staged.discard()
            raise
        self.emit(FetchEvent("done", request.label, target, received=size, total=size))
        return Download(
            staged=staged,
            url=where,
            size=size,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )

    async def _stream(
        self,
        request: Request,
        target: Path,
        response: httpx.Response,
        path: Path,
        total: int | None,
        inflater: InflateLimit | None,
    ) -> int:
        """Write the body to ``path``; never more than ``sources.max_bytes``, as received or
        as written. Returns the bytes written."""
        cap = self.settings.max_bytes
        where = response.url
        written = 0
        last_report = 0.0
        shown_total = total if inflater is None else None  # Content-Length counts gzip bytes
        self.emit(FetchEvent("start", request.label, target, 0, shown_total))
        with open(path, "wb") as handle:
            async for raw in response.aiter_raw():
                if response.num_bytes_downloaded > cap:
                    raise DownloadFailed(
                        f"the body is larger than sources.max_bytes ({cap:,} bytes) from {where}"
                    )
                try:
                    pieces = list(inflater.feed(raw)) if inflater is not None else [raw]
                except TooBig:
                    raise DownloadFailed(
                        f"the body inflates to more than sources.max_bytes ({cap:,} bytes) from "
                        f"{where}: refused (a gzip bomb?)"
                    ) from None
                except zlib.error as exc:
                    raise DownloadFailed(f"{exc} from {where}") from None
                for piece in pieces:
                    handle.write(piece)
                    written += len(piece)
                self.check_cancel()
                now = time.monotonic()
                if now - last_report >= 0.1:
                    last_report = now
                    self.emit(FetchEvent("progress", request.label, target, written, shown_total))
            handle.flush()
            os.fsync(handle.fileno())
        return written
