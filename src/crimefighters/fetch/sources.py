"""The configured sources, and fetching one file of one source into place.

Source names (for ``crimefighters fetch --source``): each London Datastore file by its
``name`` (``mps-borough-24m``, ``mps-ward-24m``) and the data.police.uk API as a whole
(``police-uk``). See ``config/sources.yaml``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from crimefighters.config import LoadedConfig
from crimefighters.config.models import DatastoreFile
from crimefighters.errors import FetchError
from crimefighters.fetch.download import (
    NOT_MODIFIED,
    Download,
    Downloader,
    DownloadFailed,
    FetchEvent,
    FetchState,
    Request,
    Staged,
    TooLarge,
    install,
    now_iso,
)
from crimefighters.fetch.result import FileOutcome
from crimefighters.fetch.safety import UnsafePath, inside
from crimefighters.fetch.verify import ContentProblem, csv_check, loader_verdict
from crimefighters.files import atomic_write_bytes


@dataclass
class FetchContext:
    loaded: LoadedConfig
    data_dir: Path
    downloader: Downloader | None  # None in a dry run: nothing touches the network
    state: FetchState | None

    @property
    def settings(self):
        return self.loaded.config.sources


def source_names(loaded: LoadedConfig) -> list[str]:
    sources = loaded.config.sources
    return [f.name for f in sources.london_datastore.files] + [sources.police_uk.name]


def select_sources(loaded: LoadedConfig, wanted: list[str] | None) -> list[str]:
    """The names to fetch, in configuration order. Unknown names are a FetchError."""
    known = source_names(loaded)
    if not wanted:
        return known
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise FetchError(
            f"unknown source {unknown[0]!r}; expected one of {', '.join(known)} "
            f"(configured in {loaded.where('sources')})"
        )
    for index, file in enumerate(loaded.config.sources.london_datastore.files):
        if file.name in wanted and not file.url:
            raise FetchError(
                f"source {file.name!r} has no download URL: set it at "
                f"{loaded.where('sources', 'london_datastore', 'files', index)} (url) from "
                f"{loaded.config.sources.london_datastore.dataset_page}"
            )
    return [name for name in known if name in wanted]


def resolve_url(base_url: str, url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return base_url.rstrip("/") + "/" + url.lstrip("/")


def sidecar_path(target: Path) -> Path:
    """``crimes-street_lambeth_2025-01.json`` -> ``crimes-street_lambeth_2025-01.meta.json``,
    where the JSON loader looks for it."""
    from crimefighters.data.text import meta_sidecar

    return meta_sidecar(target)


def sidecar_bytes(borough: str | None, source_url: str) -> bytes:
    meta = {"borough": borough, "source": source_url, "fetched": now_iso()}
    return (json.dumps(meta, indent=2) + "\n").encode()


def write_sidecar(ctx: FetchContext, target: Path, borough: str | None, source_url: str) -> None:
    path = inside(ctx.data_dir, sidecar_path(target))
    atomic_write_bytes(path, sidecar_bytes(borough, source_url))


_NO_SIDECAR = object()


def fetch_file(
    ctx: FetchContext,
    source: str,
    request: Request,
    target: Path,
    *,
    borough: str | object | None = _NO_SIDECAR,
    split: Callable[[], tuple[bytes, str]] | None = None,
    loadable: bool = True,
) -> FileOutcome:
    """Fetch one file into place, or leave the previous copy untouched and say why.

    ``borough``: write a ``.meta.json`` sidecar naming it (data.police.uk files).
    ``split``: called when the API says the request is too large; returns the merged body
    (already checked) and a note on how it was assembled.
    ``loadable``: the file lands where the loader reads, so the loader must accept it (and its
    release must be no older than the installed file's) before it is installed. Files kept
    out of the loader's way (the data.police.uk index, crimes with no location) only pass the
    endpoint's shape check.
    """
    assert ctx.downloader is not None and ctx.state is not None
    downloader, state = ctx.downloader, ctx.state
    try:
        inside(ctx.data_dir, target)
        if borough is not _NO_SIDECAR:
            inside(ctx.data_dir, sidecar_path(target))
        conditional = state.conditional_headers(target)
        note = ""
        try:
            result = downloader.fetch(request, target, conditional)
        except TooLarge:
            if split is None:
                raise DownloadFailed(
                    f"the server refused the request as too large ({request.url})"
                ) from None
            body, note = split()
            staged = Staged.beside(target)
            try:
                staged.path.write_bytes(body)
            except BaseException:
                staged.discard()
                raise
            result = Download(staged, str(request.url), len(body), etag=None, last_modified=None)
        if result == NOT_MODIFIED:
            if borough is not _NO_SIDECAR and not sidecar_path(target).exists():
                write_sidecar(ctx, target, borough, request.url)  # type: ignore[arg-type]
            return _done(
                downloader,
                FileOutcome(source, request.label, "unchanged", target, "not modified (HTTP 304)"),
            )
        assert isinstance(result, Download)
        try:
            kept = _check_and_install(ctx, request, result, target, borough, loadable)
        finally:
            result.discard()
        if kept:
            return _done(downloader, FileOutcome(source, request.label, "unchanged", target, kept))
        if note:
            state.forget(target)  # a merged body has no ETag to revalidate
        else:
            state.record(target, result.url, result.etag, result.last_modified)
        return _done(
            downloader,
            FileOutcome(
                source,
                request.label,
                "fetched",
                target,
                note or f"{result.size:,} bytes",
                result.size,
            ),
        )
    except (DownloadFailed, UnsafePath) as exc:
        return _done(downloader, FileOutcome(source, request.label, "failed", target, str(exc)))
    except OSError as exc:
        reason = f"cannot write {getattr(exc, 'filename', None) or target}: {exc.strerror or exc}"
        return _done(downloader, FileOutcome(source, request.label, "failed", target, reason))


def _check_and_install(
    ctx: FetchContext,
    request: Request,
    download: Download,
    target: Path,
    borough: object,
    loadable: bool,
) -> str:
    """Install a staged download unless the loader refuses it or the installed file holds a
    newer release. Returns "" when installed, else why the installed file was kept."""
    staged = download.path
    sidecar = borough is not _NO_SIDECAR
    if sidecar:  # the loader reads the borough from it, so it is staged and checked too
        sidecar_path(staged).write_bytes(sidecar_bytes(borough, download.url))  # type: ignore[arg-type]
    if loadable:
        config = ctx.loaded.config
        try:
            offered = loader_verdict(staged, config, use_cache=False)
        except ContentProblem as exc:
            raise DownloadFailed(_as_downloaded(str(exc), download.staged, target)) from None
        if not offered.format.startswith(request.format):
            raise DownloadFailed(
                f"expected a {request.format}* file; its header is that of {offered.format} "
                f"(from {download.url})"
            )
        installed = _installed_release(target, config)
        if offered.release is not None and installed is not None and offered.release < installed:
            return (
                f"kept the installed release to {installed:%Y-%m}; the server offered one to "
                f"{offered.release:%Y-%m}"
            )
    install(staged, target)
    if sidecar:
        install(sidecar_path(staged), sidecar_path(target))
    return ""


def _installed_release(target: Path, config) -> date | None:
    """The release of the file in place; None when there is none or it no longer loads (then
    anything the loader accepts is better)."""
    if not target.is_file():
        return None
    try:
        return loader_verdict(target, config).release
    except ContentProblem:
        return None


def _as_downloaded(message: str, staged: Staged, target: Path) -> str:
    """The loader's line about a staged file, naming the download rather than a hidden path."""
    message = message.replace(str(staged.path), f"downloaded {target.name}")
    return message.replace(str(staged.folder) + os.sep, "downloaded ")


def _done(downloader: Downloader, outcome: FileOutcome) -> FileOutcome:
    kind = outcome.status if outcome.status in ("unchanged", "skipped", "failed") else None
    if kind is not None:
        downloader.emit(FetchEvent(kind, outcome.label, outcome.target, message=outcome.detail))
    return outcome


# --- London Datastore ---------------------------------------------------------------------------


def datastore_target(ctx: FetchContext, file: DatastoreFile) -> Path:
    return ctx.data_dir / ctx.settings.london_datastore.folder / file.target


def datastore_file(ctx: FetchContext, name: str) -> tuple[int, DatastoreFile]:
    for index, file in enumerate(ctx.settings.london_datastore.files):
        if file.name == name:
            return index, file
    raise KeyError(name)


def fetch_datastore(ctx: FetchContext, name: str, dry_run: bool) -> FileOutcome:
    index, file = datastore_file(ctx, name)
    target = datastore_target(ctx, file)
    if not file.url:
        where = ctx.loaded.where("sources", "london_datastore", "files", index)
        outcome = FileOutcome(
            name, name, "skipped", target, f"no download URL configured (set url at {where})"
        )
        if ctx.downloader is not None:
            _done(ctx.downloader, outcome)
        return outcome
    url = resolve_url(ctx.settings.london_datastore.base_url, file.url)
    if dry_run:
        try:
            inside(ctx.data_dir, target)
        except UnsafePath as exc:
            return FileOutcome(name, name, "failed", target, str(exc))
        return FileOutcome(name, name, "planned", target, f"GET {url}")
    request = Request(label=name, url=url, kind="csv", check=csv_check(), format=file.format)
    return fetch_file(ctx, name, request, target)
