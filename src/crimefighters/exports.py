"""Tables written for other programs: the CSV and JSON of ``scan``, ``compare`` and TUI exports,
and the XLSX workbook.

Every tabular export (``scan``/``compare`` CSV, the XLSX workbook) goes through
``export_ready``: numbers rounded to 6 decimals (p-values kept whole), numbers staying numbers,
every string cell cleaned of control characters, and a cell a spreadsheet would read as a
formula neutralised with a leading ``'`` (``crimefighters.text_safety``).

Every CSV/JSON row carries a last column ``data_note``: ``SYNTHETIC SAMPLE DATA`` when any loaded
file is the synthetic sample, empty (CSV) or null (JSON) otherwise. A column rather than a
comment line, because a comment is not CSV and would break every reader; the last column, so
the documented fields keep their places. The commands also print the note on stderr.

The workbook (``crimefighters export xlsx``) has one sheet per table, each with a frozen,
bold header row, filtered, sized to its contents:
- Findings: the ``scan --format csv`` columns for every area (boroughs, BCUs, London), with
  ``area_type``;
- Learn from: for each concern, the peers that improved (``ScanResult.improvers``);
- Comparisons: the published comparison tables (``compare``) for the month, 3 and 12 months and
  the financial year to date, London, every BCU and every borough;
- Standing: each area's 12-month rates and ranks (``ScanResult.standing``);
- Overview: the London overview matrix (``scan.overview``);
- About: the month, the data, the configuration, and anything left out.

Written with xlsxwriter (a pure-Python writer, kept by its author since 2013, fast and exact
about types), into memory first, then atomically.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from crimefighters.data.synthetic import LABEL, NOTE
from crimefighters.errors import CrimefightersError
from crimefighters.files import atomic_write_bytes
from crimefighters.text_safety import csv_safe, json_safe, neutralise_formula

if TYPE_CHECKING:
    from crimefighters.config import LoadedConfig
    from crimefighters.data import Dataset
    from crimefighters.scan.result import ScanResult

COMPARE_WINDOWS = ("1", "3", "12", "fytd")
DATA_NOTE = "data_note"


def with_data_note(frame: pl.DataFrame, synthetic: bool) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(LABEL if synthetic else None, dtype=pl.String).alias(DATA_NOTE)
    )


def synthetic_note() -> str:
    """The line the commands print on stderr for an export made from the sample."""
    return f"note: {LABEL}: {NOTE}"


def export_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Floats rounded to 6 decimals (p-values left whole), text made inert for spreadsheets."""
    frame = frame.with_columns(
        pl.col(c).round(6) for c, t in frame.schema.items() if t == pl.Float64 and c != "p_value"
    )
    return csv_safe(frame)


def csv_text(frame: pl.DataFrame, *, synthetic: bool) -> str:
    return export_ready(with_data_note(frame, synthetic)).write_csv(float_precision=None)


def json_text(frame: pl.DataFrame, *, synthetic: bool) -> str:
    rows = json_safe(with_data_note(frame, synthetic)).to_dicts()
    return json.dumps(rows, indent=2, default=str) + "\n"


def _cell(value: Any) -> Any:
    """A value as xlsxwriter should store it: None for missing or non-finite numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return neutralise_formula("; ".join(str(v) for v in value))
    return value


def workbook_bytes(sheets: Iterable[tuple[str, pl.DataFrame]]) -> bytes:
    """An XLSX workbook, one sheet per (name, frame): frozen bold header, autofilter, numbers
    as numbers, text as text (never a formula)."""
    import xlsxwriter

    buffer = BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})  # fmt: skip
    header = book.add_format({"bold": True, "bg_color": "#F2F4F7", "bottom": 1})
    for name, frame in sheets:
        sheet = book.add_worksheet(name[:31])
        frame = export_ready(frame)
        columns = frame.columns
        for c, title in enumerate(columns):
            sheet.write_string(0, c, title, header)
        widths = [len(title) for title in columns]
        for r, row in enumerate(frame.iter_rows(), start=1):
            for c, raw in enumerate(row):
                value = _cell(raw)
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                else:
                    text = neutralise_formula(str(value))
                    sheet.write_string(r, c, text)
                    widths[c] = max(widths[c], min(len(text), 60))
        for c, width in enumerate(widths):
            sheet.set_column(c, c, max(8, width + 2))
        sheet.freeze_panes(1, 0)
        if columns:
            sheet.autofilter(0, 0, max(frame.height, 1), len(columns) - 1)
    book.close()
    return buffer.getvalue()


def write_workbook(path: Path, sheets: Iterable[tuple[str, pl.DataFrame]]) -> None:
    data = workbook_bytes(sheets)
    try:
        atomic_write_bytes(Path(path), data)
    except OSError as exc:
        raise CrimefightersError(f"cannot write {path}: {exc.strerror or exc}") from None


def findings_sheet(result: ScanResult, areas: list[str] | None) -> pl.DataFrame:
    from crimefighters.scan.result import CSV_FIELDS

    frame = result.findings
    if areas:
        frame = frame.filter(pl.col("borough").is_in(areas))
    columns = [*CSV_FIELDS[:1], "area_type", *CSV_FIELDS[1:]]
    return frame.select(columns)


def comparison_sheet(
    observations: pl.DataFrame,
    loaded: LoadedConfig,
    month: date,
    areas: list[str] | None,
    level: str = "major",
) -> tuple[pl.DataFrame, list[str]]:
    """The published comparison tables for every window the data covers, and a note for each
    window it does not."""
    from crimefighters.config.models import LONDON
    from crimefighters.errors import ScanError
    from crimefighters.scan.compare import comparison_table

    config = loaded.config
    wanted = areas or [LONDON, *config.bcu_names(), *config.borough_names()]
    frames, notes = [], []
    for window in COMPARE_WINDOWS:
        try:
            table = comparison_table(observations, config, month, window, wanted, level)
        except ScanError as exc:
            notes.append(f"comparisons, window {window}: left out ({exc})")
            continue
        if table.height:
            frames.append(table.with_columns(window=pl.lit(window), level=pl.lit(level)))
    if not frames:
        return pl.DataFrame(), notes
    frame = pl.concat(frames, how="vertical_relaxed").with_columns(
        area_type=pl.col("area").replace_strict(
            {a: config.area_type(a) for a in wanted}, default=None, return_dtype=pl.String
        )
    )
    first = ["window", "level", "area", "area_type"]
    return frame.select(*first, *[c for c in frame.columns if c not in first]), notes


def workbook_sheets(
    result: ScanResult,
    dataset: Dataset,
    loaded: LoadedConfig,
    areas: list[str] | None = None,
) -> list[tuple[str, pl.DataFrame]]:
    from crimefighters.present import month_name
    from crimefighters.scan.overview import overview_matrix

    config = loaded.config
    comparisons, notes = comparison_sheet(dataset.observations, loaded, result.scan_month, areas)
    improvers = result.improvers
    standing = result.standing
    if areas:
        improvers = improvers.filter(pl.col("concern_area").is_in(areas))
        standing = standing.filter(pl.col("area").is_in(areas))
    about = pl.DataFrame(
        {
            "item": ["month", "areas", "data", "configuration", *(["note"] * len(notes))],
            "value": [
                month_name(result.scan_month),
                ", ".join(areas) if areas else "London, every BCU and every borough",
                "; ".join(f.path.name for f in dataset.report.files) or "none loaded",
                loaded.description,
                *notes,
            ],
        }
    )
    return [
        ("Findings", findings_sheet(result, areas)),
        ("Learn from", improvers),
        ("Comparisons", comparisons),
        ("Standing", standing),
        ("Overview", overview_matrix(result.findings, result.status, config).drop("order")),
        ("About", about),
    ]
