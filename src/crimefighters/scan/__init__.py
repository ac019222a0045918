"""The exception scan: pure functions from (observations, config, scan month) to exceptions.

No Textual imports here (a test proves it), so the CLI and exports run headless and fast.
"""

from crimefighters.scan.runner import EXCEPTION_COLUMNS, ScanResult, default_scan_month, run_scan

__all__ = ["EXCEPTION_COLUMNS", "ScanResult", "default_scan_month", "run_scan"]
