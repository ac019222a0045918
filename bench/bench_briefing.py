"""Time the briefing: one borough (HTML, PDF) and all 32 + London (medians of 5).

    python bench/bench_briefing.py [--data PATH] [--runs 5] [--borough Lambeth] [--skip-all]

The scan runs once, outside the timings: these are the costs of the briefing layer. "--all"
is timed with a pool of 2 processes and of 2 threads, to show which the command should use.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", action="append", help="data file or directory (default: the bundled sample)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--borough", default="Lambeth")
    parser.add_argument("--skip-all", action="store_true", help="time one borough only")
    args = parser.parse_args()

    from crimefighters.briefing import (
        build_context,
        render_html,
        render_markdown,
        render_pdf,
        write_all,
        write_briefing,
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
        f"scan (once, not in the timings below): {time.perf_counter() - start:.2f} s, month {result.scan_month:%Y-%m}"
    )

    context = build_context(result, dataset, loaded, args.borough)
    html = render_html(context)
    render_pdf(html)  # warm WeasyPrint's font cache
    with tempfile.TemporaryDirectory() as out:
        rows = [
            (
                "one borough: context",
                median_time(
                    lambda: build_context(result, dataset, loaded, args.borough), args.runs
                ),
            ),
            (
                "one borough: HTML (context + render + write)",
                median_time(
                    lambda: write_briefing(
                        result, dataset, loaded, args.borough, ("html",), Path(out)
                    ),
                    args.runs,
                ),
            ),
            ("one borough: Markdown", median_time(lambda: render_markdown(context), args.runs)),
            (
                "one borough: PDF (context + HTML + PDF + write)",
                median_time(
                    lambda: write_briefing(
                        result, dataset, loaded, args.borough, ("pdf",), Path(out)
                    ),
                    args.runs,
                ),
            ),
        ]
        if not args.skip_all:
            for executor in ("process", "thread"):
                rows.append(
                    (
                        f"--all, HTML + PDF, 2 {executor}es"
                        if executor == "process"
                        else f"--all, HTML + PDF, 2 {executor}s",
                        median_time(
                            lambda e=executor: write_all(
                                result,
                                dataset,
                                loaded,
                                ("html", "pdf"),
                                Path(out),
                                workers=2,
                                executor=e,
                            ),
                            args.runs,
                        ),
                    )
                )
            rows.append(
                (
                    "--all, HTML only, 2 processes",
                    median_time(
                        lambda: write_all(result, dataset, loaded, ("html",), Path(out), workers=2),
                        args.runs,
                    ),
                )
            )
    for name, seconds in rows:
        print(f"{name:50} {seconds:7.2f} s  (median of {args.runs})")


if __name__ == "__main__":
    main()
