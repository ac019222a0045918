"""The exception scan: pure functions from (observations, config, scan month) to findings.

No Textual here: the CLI, the briefing and the TUI all read ``ScanResult``.
"""

from crimefighters.scan.runner import (
    CSV_FIELDS,
    FINDING_COLUMNS,
    ScanResult,
    default_scan_month,
    run_scan,
)

__all__ = ["CSV_FIELDS", "FINDING_COLUMNS", "ScanResult", "default_scan_month", "run_scan"]
