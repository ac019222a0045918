"""One module per published format. Each exposes ``FORMATS``: a list of ``FileFormat``.

A format is chosen by its header (never by file name), so a renamed download still loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crimefighters.config.models import Config
from crimefighters.data.schema import ParsedFile


@dataclass(frozen=True)
class FileFormat:
    name: str  # e.g. "mps_borough_upper"
    description: str
    # detect(first_line_text, path) -> True when this format reads the file
    detect: Callable[[str, Path], bool]
    # parse(path, raw_bytes, config) -> ParsedFile
    parse: Callable[[Path, bytes, Config], ParsedFile]
    # bumped when the parser's output changes, so cached results are not reused
    version: int = 1
    # the format of other files in the same load this parser needs (stop and search is placed
    # in boroughs by street files); parse then takes companions=(paths...)
    companions: str | None = None


def with_companions(
    files: list[Path], keyed: list[tuple[str, FileFormat, bytes]]
) -> list[tuple[str, FileFormat, bytes]]:
    """Give a format that needs other files of the load (``companions``) their paths, and fold
    their content keys into its parse-cache key, so a changed street file re-places searches."""
    import hashlib
    from dataclasses import replace
    from functools import partial

    out = []
    for key, fmt, data in keyed:
        if fmt.companions is None:
            out.append((key, fmt, data))
            continue
        found = [
            (p, k) for p, (k, f, _) in zip(files, keyed, strict=True) if f.name == fmt.companions
        ]
        paths = tuple(p for p, _ in found)
        key = hashlib.sha256("|".join([key, *(k for _, k in found)]).encode()).hexdigest()[:32]
        out.append((key, replace(fmt, parse=partial(fmt.parse, companions=paths)), data))
    return out


def registry() -> list[FileFormat]:
    """Every supported format, in detection order."""
    from crimefighters.data.formats import (
        generic,
        kaggle_lsoa,
        mps_business_crime,
        mps_dashboard,
        mps_homicides,
        mps_vawg,
        mps_wide,
        pas,
        police_uk,
        police_uk_api,
        stop_and_search,
    )

    formats: list[FileFormat] = []
    for module in (
        mps_wide,
        generic,
        police_uk,
        police_uk_api,
        pas,
        kaggle_lsoa,
        mps_business_crime,
        mps_dashboard,
        mps_homicides,
        mps_vawg,
        stop_and_search,
    ):
        formats.extend(module.FORMATS)
    return formats
