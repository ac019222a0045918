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
    # parse_many([(path, raw_bytes), ...], config) -> [ParsedFile, ...]: many files of this
    # format read together (record files: a thousand monthly files in a few queries)
    parse_many: Callable[[list[tuple[Path, bytes]], Config], list[ParsedFile]] | None = None
    # the format of other files in the same load this parser needs (stop and search is placed
    # in boroughs by street files): parse then takes ``companions=(paths...)``, and the store
    # folds the companions' content keys into this file's parse-cache key
    companions: str | None = None


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
