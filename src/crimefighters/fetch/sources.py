"""The configured sources, and fetching one file of one source into place.

Source names (for ``crimefighters fetch --source``): each London Datastore file by its
``name`` (``mps-borough-24m``, ``mps-ward-24m``) and the data.police.uk API as a whole
(``police-uk``). See ``config/sources.yaml``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
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
    TooLarge,
    install,
    now_iso,
)
from crimefighters.fetch.result import FileOutcome
from crimefighters.fetch.verify import csv_check
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


def write_sidecar(target: Path, borough: str | None, source_url: str) -> None:
    meta = {"borough": borough, "source": source_url, "fetched": now_iso()}
    atomic_write_bytes(sidecar_path(target), (json.dumps(meta, indent=2) + "\n").encode())


_NO_SIDECAR = object()


def fetch_file(
    ctx: FetchContext,
    source: str,
    request: Request,
    target: Path,
    *,
    borough: str | object | None = _NO_SIDECAR,
    split: Callable[[], tuple[bytes, str]] | None = None,
) -> FileOutcome:
    """Fetch one file into place, or leave the previous copy untouched and say why.

    ``borough``: write a ``.meta.json`` sidecar naming it (data.police.uk files).
    ``split``: called when the API says the request is too large; returns the merged body
    (already checked) and a note on how it was assembled.
    """
    assert ctx.downloader is not None and ctx.state is not None
    downloader, state = ctx.downloader, ctx.state
    conditional = state.conditional_headers(target)
    try:
        try:
            result = downloader.fetch(request, target, conditional)
        except TooLarge:
            if split is None:
                raise DownloadFailed(
                    f"the server refused the request as too large ({request.url})"
                ) from None
            body, note = split()
            atomic_write_bytes(target, body)
            state.forget(target)  # a merged body has no ETag to revalidate
            if borough is not _NO_SIDECAR:
                write_sidecar(target, borough, str(request.url))  # type: ignore[arg-type]
            return _done(
                downloader, FileOutcome(source, request.label, "fetched", target, note, len(body))
            )
        if result == NOT_MODIFIED:
            if borough is not _NO_SIDECAR and not sidecar_path(target).exists():
                write_sidecar(target, borough, request.url)  # type: ignore[arg-type]
            return _done(
                downloader,
                FileOutcome(source, request.label, "unchanged", target, "not modified (HTTP 304)"),
            )
        assert isinstance(result, Download)
        install(result, target)
        if borough is not _NO_SIDECAR:
            write_sidecar(target, borough, result.url)  # type: ignore[arg-type]
        state.record(target, result.url, result.etag, result.last_modified)
        return _done(
            downloader,
            FileOutcome(
                source, request.label, "fetched", target, f"{result.size:,} bytes", result.size
            ),
        )
    except DownloadFailed as exc:
        return _done(downloader, FileOutcome(source, request.label, "failed", target, str(exc)))
    except OSError as exc:
        reason = f"cannot write {getattr(exc, 'filename', None) or target}: {exc.strerror or exc}"
        return _done(downloader, FileOutcome(source, request.label, "failed", target, reason))


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
        return FileOutcome(name, name, "planned", target, f"GET {url}")
    request = Request(label=name, url=url, kind="csv", check=csv_check(file.format))
    return fetch_file(ctx, name, request, target)
