"""Writing briefings: safe file names, atomic writes, one borough or all 32 in parallel."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING

from crimefighters.briefing.context import (
    build_area_context,
    build_context,
    build_london_context,
    resolve_borough,
)
from crimefighters.briefing.render import FORMATS, render, render_html, render_pdf
from crimefighters.errors import BriefingError
from crimefighters.files import atomic_write_bytes

if TYPE_CHECKING:
    from crimefighters.config import LoadedConfig
    from crimefighters.data import Dataset
    from crimefighters.scan.result import ScanResult

PREFIX = "crimefighters-briefing"
Progress = Callable[[int, int, str], None]


def slug(text: str) -> str:
    """A file-name-safe form of any borough string: 'Barking & Dagenham' -> 'barking-dagenham'."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")
    return cleaned or "borough"


def briefing_filename(name: str, month: str, fmt: str) -> str:
    return f"{PREFIX}_{slug(name)}_{month}.{fmt}"


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it over ``path`` once complete.

    An interrupted write leaves the old file whole and no temporary file behind.
    """
    atomic_write_bytes(path, data, suffix=".part")


def _check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(formats))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise BriefingError(
            f"unknown format {', '.join(unknown) or '(none)'}; expected html, pdf or md"
        )
    return chosen


def write_context(
    context: dict, formats: Iterable[str], output_dir: Path, template_dir: str | Path | None = None
) -> list[Path]:
    """Render every format first, then write each atomically: a failure writes nothing."""
    output_dir = Path(output_dir)
    rendered: list[tuple[Path, bytes]] = []
    html: str | None = None
    for fmt in _check_formats(formats):
        if fmt in ("html", "pdf"):
            html = html or render_html(context, template_dir)
            data = html.encode("utf-8") if fmt == "html" else render_pdf(html)
        else:
            data = render(context, fmt, template_dir)
        rendered.append(
            (output_dir / briefing_filename(context["borough"], context["month"], fmt), data)
        )
    try:
        for path, data in rendered:
            atomic_write(path, data)
    except OSError as exc:
        raise BriefingError(
            f"cannot write the briefing to {output_dir}: {exc.strerror or exc}"
        ) from None
    return [path for path, _ in rendered]


def write_briefing(
    result: ScanResult,
    dataset: Dataset,
    loaded_config: LoadedConfig,
    borough: str,
    formats: Iterable[str] = ("html", "pdf"),
    output_dir: Path = Path("."),
    template_dir: str | Path | None = None,
) -> list[Path]:
    """One borough's briefing in each format; returns the paths written."""
    context = build_context(result, dataset, loaded_config, borough)
    return write_context(context, formats, output_dir, template_dir)


def _write_one(args: tuple) -> list[Path]:
    context, formats, output_dir, template_dir = args
    return write_context(context, formats, output_dir, template_dir)


def write_all(
    result: ScanResult,
    dataset: Dataset,
    loaded_config: LoadedConfig,
    formats: Iterable[str] = ("html", "pdf"),
    output_dir: Path = Path("."),
    template_dir: str | Path | None = None,
    boroughs: list[str] | None = None,
    workers: int = 2,
    executor: str = "process",
    progress: Progress | None = None,
    meetings: dict | None = None,
    level: str = "borough",
) -> list[Path]:
    """Every borough's (``level="bcu"``: every BCU's) briefing and the London summary page,
    rendered in parallel.

    Contexts are built here (they read the scan result, which stays in this process) and
    rendered and written by ``workers`` processes (WeasyPrint holds the GIL, so processes beat
    threads for PDF; see docs/benchmarks.md).
    """
    formats = _check_formats(formats)
    config = loaded_config.config
    meetings = meetings or {}
    if level == "bcu":
        contexts = [build_area_context(result, dataset, loaded_config, b) for b in (boroughs or config.bcu_names())]
    else:
        names = [resolve_borough(config, b) for b in (boroughs or config.borough_names())]
        contexts = [build_context(result, dataset, loaded_config, b, meeting=meetings.get(b)) for b in names]
    contexts.append(build_london_context(result, dataset, loaded_config))
    jobs = [
        (c, formats, Path(output_dir), None if template_dir is None else str(template_dir))
        for c in contexts
    ]
    total = len(jobs)
    written: list[Path] = []
    if workers <= 1 or total == 1:
        for done, job in enumerate(jobs, 1):
            written.extend(_write_one(job))
            if progress:
                progress(done, total, job[0]["borough"])
        return written
    pool: Executor = (
        ProcessPoolExecutor(workers) if executor == "process" else ThreadPoolExecutor(workers)
    )
    with pool:
        futures = {pool.submit(_write_one, job): job[0]["borough"] for job in jobs}
        try:
            for done, future in enumerate(as_completed(futures), 1):
                written.extend(future.result())
                if progress:
                    progress(done, total, futures[future])
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    return sorted(written)
