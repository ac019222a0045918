"""Tables written for other programs: the CSV and JSON of ``scan``, ``compare`` and TUI exports.

- Every string cell is cleaned of control characters, and a CSV cell a spreadsheet would read as
  a formula is neutralised with a leading ``'`` (``crimefighters.text_safety``); numbers stay
  numbers.
- Every row carries a last column ``data_note``: ``SYNTHETIC SAMPLE DATA`` when any loaded file
  is the synthetic sample, empty (CSV) or null (JSON) otherwise. A column rather than a comment
  line, because a comment is not CSV and would break every reader; the last column, so the
  documented fields keep their places. The commands also print the note on stderr.
"""

from __future__ import annotations

import json

import polars as pl

from crimefighters.data.synthetic import LABEL, NOTE
from crimefighters.text_safety import csv_safe, json_safe

DATA_NOTE = "data_note"


def with_data_note(frame: pl.DataFrame, synthetic: bool) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(LABEL if synthetic else None, dtype=pl.String).alias(DATA_NOTE)
    )


def synthetic_note() -> str:
    """The line the commands print on stderr for an export made from the sample."""
    return f"note: {LABEL}: {NOTE}"


def csv_text(frame: pl.DataFrame, *, synthetic: bool) -> str:
    frame = with_data_note(frame, synthetic)
    frame = frame.with_columns(
        pl.col(c).round(6)
        for c, dtype in frame.schema.items()
        if dtype == pl.Float64 and c != "p_value"
    )
    return csv_safe(frame).write_csv(float_precision=None)


def json_text(frame: pl.DataFrame, *, synthetic: bool) -> str:
    rows = json_safe(with_data_note(frame, synthetic)).to_dicts()
    return json.dumps(rows, indent=2, default=str) + "\n"
