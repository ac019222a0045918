"""Names in a file made canonical before anything is compared: boroughs, categories, text.

Every rule that compares rows (duplicate keys within a file, which file wins across files)
compares canonical names, so ``Barking & Dagenham`` and ``Barking and Dagenham`` rows in one
file are the same key and refused when they disagree, instead of one set silently winning.

- ``BoroughResolver`` maps every spelling to a canonical borough, a pseudo-borough or nothing.
- ``refuse_control_characters``: names are shown in a terminal, CSV and Markdown, so a name
  holding a control character or terminal escape byte (``\\x1b``...) is refused at load.
- ``resolve_boroughs``: unknown spellings are refused at their first line; pseudo-boroughs set
  aside (or kept) as configured, with a one-line summary of what was set aside.
- ``canonical_categories``: capitals to title case and ``categories.aliases``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar

import polars as pl

from crimefighters.config.models import Config, normalise_name
from crimefighters.data.categories import canonical_map
from crimefighters.errors import DataError

# C0 controls (escape, tab, newline...), DEL, C1 controls (0x9b is a one-byte escape on some
# terminals) and the bidirectional overrides that reorder what a reader sees.
CONTROL_CHARACTERS = r"[\x00-\x1F\x7F-\x9F\x{202A}-\x{202E}\x{2066}-\x{2069}]"


class BoroughResolver:
    """Maps every spelling to a canonical borough, a pseudo-borough, or nothing (unknown).

    Made once per geography (``BoroughResolver(config)`` returns the same resolver while the
    configuration's geography is the same object), remembering each spelling it has seen:
    data.police.uk loads look up thousands of place names in each of hundreds of files."""

    _made: ClassVar[dict[int, tuple[object, BoroughResolver]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __new__(cls, config: Config) -> BoroughResolver:
        geography = config.geography
        with cls._lock:
            made = cls._made.get(id(geography))
            if made is not None and made[0] is geography:
                return made[1]
            resolver = super().__new__(cls)
            resolver._build(config)
            cls._made = {id(geography): (geography, resolver)}
            return resolver

    def _build(self, config: Config) -> None:
        self.canonical: dict[str, str] = {}
        self.pseudo: dict[str, tuple[str, str]] = {}
        self.keys: dict[str, str] = {}
        for borough in config.geography.boroughs:
            for spelling in [borough.name, *borough.aliases]:
                self.canonical[normalise_name(spelling)] = borough.name
        for pseudo in config.geography.pseudo_boroughs:
            for spelling in [pseudo.name, *pseudo.aliases]:
                self.pseudo[normalise_name(spelling)] = (pseudo.name, pseudo.treatment)

    def _key(self, raw: str) -> str:
        key = self.keys.get(raw)
        if key is None:
            key = self.keys[raw] = normalise_name(raw)
        return key

    def table(self, raw_names: list[str]) -> pl.DataFrame:
        rows = []
        for raw in raw_names:
            key = self._key(raw)
            if key in self.canonical:
                rows.append((raw, self.canonical[key], "borough"))
            elif key in self.pseudo:
                name, treatment = self.pseudo[key]
                rows.append((raw, name, "pseudo_keep" if treatment == "keep" else "pseudo_exclude"))
            else:
                rows.append((raw, None, "unknown"))
        return pl.DataFrame(
            rows,
            schema={"borough_raw": pl.String, "borough": pl.String, "kind": pl.String},
            orient="row",
        )


def refuse_control_characters(
    path: Path, frame: pl.DataFrame, columns: dict[str, str], line_column: str = "line"
) -> None:
    """Refuse the first row (by line) whose name holds a control character.

    ``columns`` maps each frame column to the column name the user sees in the file.
    """
    present = {c: shown for c, shown in columns.items() if c in frame.columns}
    if not present:
        return
    bad_any = pl.any_horizontal(
        pl.col(c).str.contains(CONTROL_CHARACTERS).fill_null(False) for c in present
    )
    bad = frame.filter(bad_any)
    if bad.height == 0:
        return
    row = bad.sort(line_column).row(0, named=True)
    for column, shown in present.items():
        text = row[column]
        if text is not None and pl.Series([text]).str.contains(CONTROL_CHARACTERS).item():
            character = next(ch for ch in text if _is_control(ch))
            raise DataError(
                path,
                f"a control character ({ascii(character)[1:-1]}) in a name; names must be plain "
                f"text; found {text!r}",
                line=int(row[line_column]) if row[line_column] is not None else None,
                column=shown,
            )


def _is_control(character: str) -> bool:
    code = ord(character)
    return (
        code < 0x20 or 0x7F <= code <= 0x9F or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069
    )


def resolve_boroughs(
    path: Path,
    frame: pl.DataFrame,
    config: Config,
    *,
    rows: pl.Expr,
    total: pl.Expr,
    line_column: str = "line",
) -> tuple[pl.DataFrame, list[str]]:
    """``borough_raw`` -> canonical ``borough``; pseudo-boroughs set aside as configured.

    ``rows`` and ``total`` are aggregations saying how many observations and how much the
    set-aside rows hold (a wide row holds one observation a month). Returns the frame
    (``borough_raw`` dropped) and a note per pseudo-borough set aside.
    """
    if frame.height == 0:
        return frame.with_columns(borough=pl.lit(None, dtype=pl.String)).drop("borough_raw"), []
    lookup = BoroughResolver(config).table(frame["borough_raw"].unique().to_list())
    joined = frame.join(lookup, on="borough_raw", how="left")
    unknown = joined.filter(pl.col("kind") == "unknown")
    if unknown.height:
        row = unknown.sort(line_column).row(0, named=True)
        raise DataError(
            path,
            f"unknown borough {row['borough_raw']!r} (add the spelling to boroughs.yaml aliases "
            f"or pseudo_boroughs)",
            line=int(row[line_column]) if row[line_column] is not None else None,
        )
    notes = []
    set_aside = joined.filter(pl.col("kind") == "pseudo_exclude")
    if set_aside.height:
        summary = (
            set_aside.group_by("borough")
            .agg(rows.alias("rows"), total.alias("total"))
            .sort("borough")
        )
        notes = [
            f"set aside pseudo-borough {row['borough']!r} ({row['rows']} rows, total {row['total']:,.0f})"
            for row in summary.iter_rows(named=True)
        ]
    kept = joined.filter(pl.col("kind") != "pseudo_exclude").drop("kind", "borough_raw")
    return kept, notes


def canonical_categories(frame: pl.DataFrame, config: Config) -> pl.DataFrame:
    """``category`` and ``category_group`` in their canonical spelling (title case, aliases)."""
    columns = [c for c in ("category", "category_group") if c in frame.columns]
    if frame.height == 0 or not columns:
        return frame
    names = sorted({n for c in columns for n in frame[c].unique().to_list() if n is not None})
    mapping = {k: v for k, v in canonical_map(names, config).items() if k != v}
    if not mapping:
        return frame
    return frame.with_columns([pl.col(c).replace(mapping) for c in columns])
