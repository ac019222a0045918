"""One spelling per offence category across releases.

Releases print the same category in title case (``Robbery of Personal Property``) or in
capitals (``ROBBERY OF PERSONAL PROPERTY``); capitals are turned into title case with the
small words in lower case, then ``categories.aliases`` in the configuration joins any other
spellings. Matching elsewhere (priorities, non-notifiable) ignores case.
"""

from __future__ import annotations

import re

import polars as pl

from crimefighters.config.models import Config

_SMALL = {
    "a",
    "an",
    "and",
    "as",
    "at",
    "by",
    "for",
    "from",
    "in",
    "of",
    "on",
    "or",
    "the",
    "to",
    "with",
    "without",
}
_KEEP_UPPER = {"NFIB", "GBH", "ABH", "M/V", "MV", "UK", "SO18", "DA", "CSE", "ASB"}


def title_case(text: str) -> str:
    """'THEFT FROM THE PERSON' -> 'Theft from the Person'. Mixed-case text is kept as it is."""
    text = " ".join(text.split())
    if not text or text != text.upper():
        return text
    words = re.split(r"(\s+|-|/|,)", text)
    out = []
    first = True
    for word in words:
        if not word.strip() or word in "-/,":
            out.append(word)
            continue
        if word in _KEEP_UPPER:
            out.append(word)
        elif not first and word.lower() in _SMALL:
            out.append(word.lower())
        else:
            out.append(word[:1] + word[1:].lower())
        first = False
    return "".join(out)


def canonical_map(names: list[str], config: Config) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for canonical, others in config.categories.aliases.items():
        for spelling in [canonical, *others]:
            aliases[" ".join(spelling.split()).casefold()] = canonical
    result = {}
    for name in names:
        if name is None:
            continue
        titled = title_case(name)
        result[name] = aliases.get(titled.casefold(), titled)
    return result


def normalise_categories(frame: pl.DataFrame, config: Config) -> pl.DataFrame:
    if frame.height == 0:
        return frame
    columns = [c for c in ("category", "category_group") if c in frame.columns]
    names = sorted({n for c in columns for n in frame[c].unique().to_list() if n is not None})
    mapping = canonical_map(names, config)
    return frame.with_columns([pl.col(c).replace(mapping) for c in columns])


def is_non_notifiable(config: Config) -> pl.Expr:
    """True for rows whose major or minor category is outside Total Notifiable Offences."""
    names = [n.casefold() for n in config.categories.non_notifiable]
    return pl.col("category").str.to_lowercase().is_in(names) | pl.col(
        "category_group"
    ).str.to_lowercase().is_in(names)
