"""Writing briefings: safe file names, atomic writes, one borough or all 32 in parallel."""

from __future__ import annotations

import multiprocessing
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)
from pathlib import Path
from typing import TYPE_CHECKING

from crimefighters.briefing.context import (
    build_area_context,
    build_context,
    build_london_context,
    resolve_borough,
)
from crimefighters.briefing.render import (
    DEFAULT_PDF_ENGINE,
    FORMATS,
    check_pdf_engine,
    render_html,
    render_markdown,
    render_pdf,
)
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
    context: dict,
    formats: Iterable[str],
    output_dir: Path,
    template_dir: str | Path | None = None,
    pdf_engine: str = DEFAULT_PDF_ENGINE,
) -> list[Path]:
    """Render every format first, then write each atomically: a failure writes nothing."""
    output_dir = Path(output_dir)
    rendered: list[tuple[Path, bytes]] = []
    for fmt in _check_formats(formats):
        if fmt == "html":
            data = render_html(context, template_dir).encode("utf-8")
        elif fmt == "md":
            data = render_markdown(context, template_dir).encode("utf-8")
        else:
            data = render_pdf(context, template_dir, pdf_engine)
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
    pdf_engine: str = DEFAULT_PDF_ENGINE,
) -> list[Path]:
    """One borough's briefing in each format; returns the paths written."""
    context = build_context(result, dataset, loaded_config, borough)
    return write_context(context, formats, output_dir, template_dir, pdf_engine)


def _write_one(args: tuple) -> list[Path]:
    context, formats, output_dir, template_dir, pdf_engine = args
    return write_context(context, formats, output_dir, template_dir, pdf_engine)


def default_executor(formats: Iterable[str], pdf_engine: str = DEFAULT_PDF_ENGINE) -> str:
    """Processes only for WeasyPrint PDFs, whose layout is Python holding the GIL; Typst
    compiles with the GIL released, so threads share the work without starting processes
    or copying contexts between them (docs/benchmarks.md)."""
    return "process" if "pdf" in formats and pdf_engine == "weasyprint" else "thread"


def _process_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes started afresh ("spawn"), never forked: a forked worker inherits
    Typst's and Polars' thread pools without their threads, and once this process has
    compiled a Typst PDF, a forked worker compiling one waits for ever."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def write_all(
    result: ScanResult,
    dataset: Dataset,
    loaded_config: LoadedConfig,
    formats: Iterable[str] = ("html", "pdf"),
    output_dir: Path = Path("."),
    template_dir: str | Path | None = None,
    boroughs: list[str] | None = None,
    workers: int = 2,
    executor: str | None = None,
    progress: Progress | None = None,
    meetings: dict | None = None,
    level: str = "borough",
    pdf_engine: str = DEFAULT_PDF_ENGINE,
) -> list[Path]:
    """Every borough's (``level="bcu"``: every BCU's) briefing and the London summary page,
    rendered in parallel.

    This thread builds the contexts (they read the scan result, which stays in this process)
    and hands each to ``workers`` threads or processes as soon as it is built, so rendering
    starts with the first borough rather than after the last.
    """
    formats = _check_formats(formats)
    check_pdf_engine(pdf_engine)
    config = loaded_config.config
    meetings = meetings or {}
    folder = Path(output_dir)
    template = None if template_dir is None else str(template_dir)
    if level == "bcu":
        names = list(boroughs or config.bcu_names())
    else:
        names = [resolve_borough(config, b) for b in (boroughs or config.borough_names())]

    def context(name: str) -> dict:
        if level == "bcu":
            return build_area_context(result, dataset, loaded_config, name)
        return build_context(result, dataset, loaded_config, name, meeting=meetings.get(name))

    def jobs() -> Iterator[tuple]:
        for name in names:
            yield (context(name), formats, folder, template, pdf_engine)
        yield (build_london_context(result, dataset, loaded_config), formats, folder, template, pdf_engine)

    total = len(names) + 1
    written: list[Path] = []
    if workers <= 1:
        for done, job in enumerate(jobs(), 1):
            written.extend(_write_one(job))
            if progress:
                progress(done, total, job[0]["borough"])
        return sorted(written)
    kind = executor or default_executor(formats, pdf_engine)
    pool: Executor = _process_pool(workers) if kind == "process" else ThreadPoolExecutor(workers)
    names_of: dict[Future, str] = {}
    pending: set[Future] = set()

    def collect(finished: Iterable[Future]) -> None:
        for future in finished:
            pending.discard(future)
            written.extend(future.result())
            if progress:
                progress(len(names_of) - len(pending), total, names_of[future])

    with pool:
        try:
            for job in jobs():
                future = pool.submit(_write_one, job)
                names_of[future] = job[0]["borough"]
                pending.add(future)
                collect([f for f in pending if f.done()])
            for future in as_completed(set(pending)):
                collect([future])
        except BaseException:
            for f in names_of:
                f.cancel()
            raise
    return sorted(written)
