"""Category names that attack every output: Textual/Rich markup, terminal escape sequences,
spreadsheet formulas, Markdown links and images, HTML.

Two ways in, because the loader may refuse some of them (control characters) and the outputs
must be safe even when it does not (they are the second line of defence):

- ``write_hostile_file``: the bundled sample's ``recorded_crime.csv`` (MPS wide layout) with
  printable hostile names, for end-to-end runs of the CLI and the TUI through the loader;
- ``hostile_dataset``: a loaded dataset with every hostile name, control characters included,
  put straight into its observations.

Either way the renamed categories are tripled in Lambeth's latest month, so each name is an
exception there and reaches every table, panel, chart title, export and briefing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import polars as pl

from crimefighters.paths import default_sample_dir

BOROUGH = "Lambeth"
# sample category (as loaded) -> hostile name; the file carries the capitalised form
PRINTABLE_NAMES = {
    "Robbery of Personal Property": "Knife [/] crime",
    "Shoplifting": "[@click=app.quit]Click me[/]",
    "Criminal Damage": '=HYPERLINK("http://evil.example","x")',
    "Bicycle Theft": "![img](http://evil.example/x.png) [link](http://evil.example) <script>alert(1)</script>",
    "Other Theft": "+cmd|' /C calc'!A0",
    "Violence with Injury": "-2+3 @SUM(A1) | `code` **bold** www.evil.example a@evil.example",
}
CONTROL_NAMES = {
    "Theft from the Person": "Pane \x1b]0;PWNED\x07title",
    "Arson": "\x1b[31mRed\x1b[0m arson \x1b[2J",
    "Res Burglary of a Home": "Bidi \u202eevil\u202c name\x85and\u2028line\r\n",
}
ALL_NAMES = {**PRINTABLE_NAMES, **CONTROL_NAMES}
ESCAPE_BYTES = ("\x1b", "\x07", "\x9b", "\u202e")


def write_hostile_file(directory: Path) -> Path:
    """The sample's recorded crime with the printable hostile names, spiked in Lambeth."""
    source = default_sample_dir() / "recorded_crime.csv"
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"))))
    by_capitals = {k.upper(): v for k, v in PRINTABLE_NAMES.items()}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        if row[1] in by_capitals:
            row = [row[0], by_capitals[row[1]], *row[2:]]
            if row[2] == BOROUGH:
                row[-1] = str(int(row[-1]) * 3 + 50)
        writer.writerow(row)
    path = directory / "hostile_recorded_crime.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def hostile_dataset(dataset):
    """``dataset`` with every hostile name (control characters too) in place of sample
    categories, as if the loader had let them through."""
    obs = dataset.observations
    latest = obs["month"].max()
    renamed = pl.col("category").is_in(list(ALL_NAMES))
    obs = obs.with_columns(
        value=pl.when(renamed & (pl.col("borough") == BOROUGH) & (pl.col("month") == latest))
        .then(pl.col("value") * 3 + 50)
        .otherwise(pl.col("value")),
        category=pl.col("category").replace(ALL_NAMES),
    )
    return replace(dataset, observations=obs, key="")
