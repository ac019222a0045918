"""``fetch_all``: fetch every selected source into the data directory (see the package doc)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from crimefighters.config import LoadedConfig
from crimefighters.config.models import parse_month
from crimefighters.errors import FetchError
from crimefighters.fetch.download import Downloader, FetchState, ProgressCallback
from crimefighters.fetch.police_api import PoliceAPI
from crimefighters.fetch.result import FetchResult
from crimefighters.fetch.sources import FetchContext, fetch_datastore, select_sources


def default_data_dir(loaded: LoadedConfig) -> Path:
    return Path(loaded.config.sources.data_dir)


def fetch_all(
    loaded: LoadedConfig,
    data_dir: str | Path | None = None,
    *,
    sources: Sequence[str] | None = None,
    months: Sequence[str] | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """Fetch the selected sources (default: all) into ``data_dir``; see the package docstring."""
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir(loaded)
    names = select_sources(loaded, list(sources) if sources else None)
    wanted_months = _check_months(months)
    result = FetchResult(data_dir=data_dir, dry_run=dry_run)
    police_name = loaded.config.sources.police_uk.name

    if dry_run:
        ctx = FetchContext(loaded, data_dir, downloader=None, state=None)
        for name in names:
            if name == police_name:
                result.outcomes.extend(
                    PoliceAPI(ctx).plan(
                        wanted_months or list(loaded.config.sources.police_uk.months)
                    )
                )
            else:
                result.outcomes.append(fetch_datastore(ctx, name, dry_run=True))
        return result

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(
            f"cannot create the data directory {data_dir}: {exc.strerror or exc}"
        ) from None
    state = FetchState(data_dir)
    with Downloader(
        loaded.config.sources, progress=progress, cancel=cancel, sleep=sleep
    ) as downloader:
        ctx = FetchContext(loaded, data_dir, downloader=downloader, state=state)
        for name in names:
            if name == police_name:
                result.outcomes.extend(
                    PoliceAPI(ctx).run(
                        wanted_months or list(loaded.config.sources.police_uk.months)
                    )
                )
            else:
                result.outcomes.append(fetch_datastore(ctx, name, dry_run=False))
    return result


def _check_months(months: Sequence[str] | None) -> list[str]:
    checked = []
    for month in months or []:
        try:
            parse_month(month)
        except ValueError:
            raise FetchError(f"--month: expected YYYY-MM; got {month!r}") from None
        checked.append(month)
    return checked
