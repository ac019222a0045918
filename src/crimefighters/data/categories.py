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
    """Each name -> its canonical spelling: ``categories.aliases`` matched by the rule in
    ``config.models.Categories`` (the one the configuration checks use), capitals in title
    case. Loaded data is rewritten with it by ``crimefighters.data.names.canonical_categories``."""
    categories = config.categories
    spellings = categories.spellings()
    result = {}
    for name in names:
        if name is None:
            continue
        titled = title_case(name)
        result[name] = spellings.get(categories.key(titled), titled)
    return result


def is_non_notifiable(config: Config) -> pl.Expr:
    """True for rows whose major or minor category is outside Total Notifiable Offences."""
    names = [n.casefold() for n in config.categories.non_notifiable]
    return pl.col("category").str.to_lowercase().is_in(names) | pl.col(
        "category_group"
    ).str.to_lowercase().is_in(names)
