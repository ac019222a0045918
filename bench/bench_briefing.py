"""Time the briefing: each stage in this process, then the `brief` commands end to end.

    python bench/bench_briefing.py [--data PATH] [--runs 5] [--borough Lambeth]
                                   [--engines typst weasyprint] [--src DIR]
                                   [--case TEXT] [--skip-stages] [--skip-commands]

Stages (the scan runs once, outside the timings): one borough's context, all 32 + London
contexts, HTML, Markdown and PDF (each engine) for one borough and the London page, and
`write_all` with every format by 2 threads, 2 processes and 1 worker.

Commands: `crimefighters brief` for one borough and for `--all`, per format and with all three,
each run `--runs` times after one warm-up run that fills the parse and scan caches (so these are
warm runs: load from cache, scan from cache, render, write). Each row gives the median wall time
and the median CPU time (user + system of the command and its children). On a shared machine
the CPU time is the figure to compare: wall time depends on what else is running (the load
average is printed before and after).

``--src DIR`` runs another source tree (e.g. `git archive main src config sample_data | tar -x
-C /tmp/before`, then ``--src /tmp/before/src``) with the same Python, through PYTHONPATH, for a
before/after table; a tree without ``--pdf-engine`` is timed with its only engine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def median_times(fn, runs: int) -> tuple[float, float]:
    """(median wall, median CPU of this process and its worker processes) over ``runs`` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), cpu_seconds()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu_seconds() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def run_command(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU of the child and its children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def stages(args: argparse.Namespace) -> Iterator[tuple[str, float, float]]:
    """Each stage's (name, median wall, median CPU), as it is measured."""
    from crimefighters.briefing import (
        build_context,
        build_london_context,
        render_html,
        render_markdown,
        write_all,
    )
    from crimefighters.config import load_config
    from crimefighters.data import load_dataset
    from crimefighters.paths import default_sample_dir
    from crimefighters.scan.runner import run_scan

    loaded = load_config()
    dataset = load_dataset(
        [Path(p) for p in args.data] if args.data else [default_sample_dir()], loaded.config
    )
    start = time.perf_counter()
    result = run_scan(dataset.observations, loaded.config)
    print(
        f"scan (once, not in the timings): {time.perf_counter() - start:.2f} s, "
        f"month {result.scan_month:%Y-%m}"
    )
    names = loaded.config.borough_names()
    context = build_context(result, dataset, loaded, args.borough)
    london = build_london_context(result, dataset, loaded)
    contexts = [_restamped(build_context(result, dataset, loaded, b)) for b in names]
    contexts.append(_restamped(london))
    engines = [e for e in args.engines if _has_engine(e)]
    runs = args.runs
    yield (
        "one borough: context",
        *median_times(lambda: build_context(result, dataset, loaded, args.borough), runs),
    )
    yield (
        f"all {len(names)} + London: contexts",
        *median_times(
            lambda: (
                [build_context(result, dataset, loaded, b) for b in names]
                + [build_london_context(result, dataset, loaded)]
            ),
            max(runs // 2, 1),
        ),
    )
    yield ("one borough: HTML", *median_times(lambda: render_html(context), runs))
    yield ("one borough: Markdown", *median_times(lambda: render_markdown(context), runs))
    for engine in engines:
        pdf = _pdf_renderer(engine)
        pdf(context)  # warm the fonts (and Typst's compiler)
        # A new "Prepared" time each run: Typst would otherwise hand back the PDF it made for
        # the same input a moment before, which no real run does.
        yield (
            f"one borough: PDF ({engine})",
            *median_times(lambda p=pdf: p(_restamped(context)), runs),
        )
        yield (
            f"London page: PDF ({engine})",
            *median_times(lambda p=pdf: p(_restamped(london)), runs),
        )
        yield (
            f"all {len(names)} + London: PDFs one after another ({engine})",
            *median_times(
                lambda p=pdf: [p(c) for c in contexts],
                1 if engine == "weasyprint" else max(runs // 2, 1),
            ),
        )
    if "typst" in engines:
        with tempfile.TemporaryDirectory() as out:
            for label, kwargs in (
                ("2 threads", {"workers": 2, "executor": "thread"}),
                ("2 processes", {"workers": 2, "executor": "process"}),
                ("1 worker", {"workers": 1}),
            ):
                yield (
                    f"write_all, html pdf md (typst), {label}",
                    *median_times(
                        lambda kw=kwargs: write_all(
                            result, dataset, loaded, ("html", "pdf", "md"), Path(out), **kw
                        ),
                        max(runs // 2, 1),
                    ),
                )


_stamps = iter(range(10**9))


def _restamped(context: dict) -> dict:
    """The context with a "Prepared" time no other run has had."""
    minute = next(_stamps)
    return dict(context, generated=f"01 January 2026 {minute // 60 % 24:02d}:{minute % 60:02d}")


def _render_module():
    import importlib

    return importlib.import_module("crimefighters.briefing.render")


def _has_engine(engine: str) -> bool:
    render_module = _render_module()

    if hasattr(render_module, "PDF_ENGINES"):
        return engine in render_module.PDF_ENGINES and render_module.pdf_available(engine)
    return engine == "weasyprint" and render_module.pdf_available()


def _pdf_renderer(engine: str):
    render_module = _render_module()

    if hasattr(render_module, "PDF_ENGINES"):
        return lambda context: render_module.render_pdf(context, engine=engine)
    return lambda context: render_module.render_pdf(render_module.render_html(context))


def commands(args: argparse.Namespace) -> list[tuple[str, float, float]]:
    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = str(Path(args.src).resolve())
    env.setdefault("CRIMEFIGHTERS_CACHE", tempfile.mkdtemp(prefix="bench-briefing-cache-"))
    has_engine_option = (
        "--pdf-engine"
        in subprocess.run(
            [sys.executable, "-m", "crimefighters", "brief", "--help"],
            env=env,
            capture_output=True,
            text=True,
        ).stdout
    )
    data = [f"--data={p}" for p in args.data or []]
    base = [sys.executable, "-m", "crimefighters", "brief", *data]
    engines = args.engines if has_engine_option else ["(its only engine)"]
    cases: list[tuple[str, list[str]]] = []
    for fmt in ("html", "md"):
        cases.append(
            (
                f"--borough {args.borough} --format {fmt}",
                ["--borough", args.borough, "--format", fmt],
            )
        )
    for engine in engines:
        flag = ["--pdf-engine", engine] if has_engine_option else []
        label = f" [{engine}]"
        cases.append(
            (
                f"--borough {args.borough} --format pdf{label}",
                ["--borough", args.borough, "--format", "pdf", *flag],
            )
        )
    for fmt in ("html", "md"):
        cases.append((f"--all --format {fmt}", ["--all", "--format", fmt]))
    for engine in engines:
        flag = ["--pdf-engine", engine] if has_engine_option else []
        label = f" [{engine}]"
        cases.append((f"--all --format pdf{label}", ["--all", "--format", "pdf", *flag]))
        cases.append(
            (
                f"--all --format html pdf md{label}",
                ["--all", "--format", "html", "pdf", "md", *flag],
            )
        )
    if args.case:
        cases = [(label, extra) for label, extra in cases if any(c in label for c in args.case)]
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for label, extra in cases:
            command = [*base, *extra, "--output-dir", out]
            run_command(command, env)  # warm-up: fills the parse and scan caches
            results = [run_command(command, env) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in results)
            cpu = statistics.median(r[1] for r in results)
            rows.append((f"brief {label}", wall, cpu))
            print(f"  {rows[-1][0]:58} {wall:7.2f} s wall {cpu:7.2f} s CPU", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", action="append", help="data file or directory (default: the bundled sample)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--borough", default="Lambeth")
    parser.add_argument("--engines", nargs="+", default=["typst", "weasyprint"])
    parser.add_argument("--src", help="another source tree to time (its src/ folder)")
    parser.add_argument(
        "--case",
        action="append",
        help="only the commands whose label holds this text (e.g. 'html pdf md'); repeatable",
    )
    parser.add_argument("--skip-stages", action="store_true")
    parser.add_argument("--skip-commands", action="store_true")
    args = parser.parse_args()
    if args.src:
        sys.path.insert(0, str(Path(args.src).resolve()))

    print(f"load average before: {load_average()}")
    if not args.skip_stages:
        print(f"stages (median of {args.runs}; 'all' rows of {max(args.runs // 2, 1)}):")
        for name, wall, cpu in stages(args):
            print(f"  {name:58} {wall:7.3f} s wall {cpu:7.3f} s CPU", flush=True)
    if not args.skip_commands:
        print(f"commands, warm (median of {args.runs}):")
        commands(args)
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
