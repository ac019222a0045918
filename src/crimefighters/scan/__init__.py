"""The exception scan: pure functions from (observations, config, scan month) to findings.

No Textual here: the CLI, the briefing and the TUI all read ``ScanResult``. ``run_scan`` is
imported on first use, so reading a cached result does not load the runner (NumPy, SciPy-free
statistics, every method).
"""

from crimefighters.scan.result import CSV_FIELDS, FINDING_COLUMNS, ScanResult, default_scan_month

__all__ = ["CSV_FIELDS", "FINDING_COLUMNS", "ScanResult", "default_scan_month", "run_scan"]


def __getattr__(name: str):
    if name == "run_scan":
        from crimefighters.scan.runner import run_scan

        return run_scan
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
