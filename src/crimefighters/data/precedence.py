"""Which file supplies each figure when several files cover the same borough and month.

The rule (docs/data-formats.md, "Which file wins"):

1. Sources are ranked: a file publishing borough figures before borough figures summed from
   wards or LSOAs (which miss offences not placed in one), before a partial area (an API
   response for a radius); then the release covering the latest month (a release's own
   period, never its file name or load order); at the same last month, the release covering
   more months (one consistent category set for longer); then the format family.
2. Releases (every format but the generic file) supply a whole (measure, borough, month): the
   best-ranked release gives all of its categories. A newer release renames categories
   (``BURGLARY - RESIDENTIAL`` became ``RES BURGLARY OF A HOME``), so mixing two releases'
   categories inside one month would count those offences twice.
3. Files of one release (same kind, family and period: a release split in two, or the same
   release saved twice) are unioned, never dropped. Aggregate files agree on the categories
   they share; record files (crimes, LSOA rows) add up. Two files that disagree, or record
   files that share records, are two versions of one release: the one with more offences that
   month is kept, and the report names both.
4. Generic measure files are single observations: each row competes per (measure, borough,
   month, category) with the release that supplies that month, by the same ranking (the
   release wins a tie). A row for a category the release lacks is added, with a warning.

Every file that loses months, and every disagreement, is reported naming both files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

KIND_RANK = {"borough": 0, "area_sums": 1, "partial_area": 2}
_KIND_WORDS = {
    "borough": "a borough file",
    "area_sums": "sums of wards or LSOAs",
    "partial_area": "a partial area",
}


@dataclass
class Source:
    """One parsed file, as it competes with the others."""

    name: str  # the file name, as in the ``source`` column
    rows: pl.DataFrame  # canonical rows with ``source`` and ``release``
    content_key: str  # the file's content hash: the last tie-break, never the name
    kind: str = "borough"
    release: date | None = None
    period_start: date | None = None
    additive: bool = False
    per_category: bool = False
    record_ids: pl.DataFrame | None = None
    family: str = field(init=False, default="")

    def __post_init__(self) -> None:
        if self.rows.height and "family" in self.rows.columns:
            self.family = self.rows["family"][0] or ""

    def rank(self) -> tuple:
        return (
            KIND_RANK.get(self.kind, len(KIND_RANK)),
            -(self.release.toordinal() if self.release else 0),
            self.period_start.toordinal() if self.period_start else 0,
            self.per_category,
            self.family,
        )

    def period(self) -> str:
        if self.period_start and self.release:
            return f"{self.period_start:%Y-%m}..{self.release:%Y-%m}"
        return "no months"


def choose(
    sources: list[Source],
    notes: list[str],
    keys: tuple[str, ...] = ("measure", "borough", "month"),
    detail: tuple[str, ...] = ("category_group", "category"),
) -> pl.DataFrame:
    """The rows that win, by the rule above; ``notes`` gets a line per file that lost months
    and per disagreement."""
    live = [s for s in sources if s.rows.height]
    if not live:
        return pl.DataFrame()
    if len(live) == 1:
        return live[0].rows
    ordered = sorted(live, key=lambda s: (s.rank(), s.content_key))
    ranks = sorted({s.rank() for s in ordered})
    frames = []
    for index, source in enumerate(ordered):
        frames.append(
            source.rows.with_columns(
                _source=pl.lit(index, dtype=pl.Int32),
                _rank=pl.lit(ranks.index(source.rank()), dtype=pl.Int32),
            )
        )
    complete = [i for i, s in enumerate(ordered) if not s.per_category]
    partial = [i for i, s in enumerate(ordered) if s.per_category]
    result = _releases(ordered, [frames[i] for i in complete], notes, list(keys), list(detail))
    if partial:
        result = _observations(
            ordered, result, [frames[i] for i in partial], notes, list(keys), list(detail)
        )
    return result.drop("_source", "_rank", strict=False)


# --- releases: whole borough-months -----------------------------------------------------------


def _releases(
    ordered: list[Source],
    frames: list[pl.DataFrame],
    notes: list[str],
    keys: list[str],
    detail: list[str],
) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame()
    if len(frames) == 1:
        return frames[0]
    coverage = pl.concat(
        [f.select(*keys, "_source", "_rank").unique() for f in frames], how="vertical_relaxed"
    )
    best = coverage.group_by(keys).agg(pl.col("_rank").min().alias("_best"))
    coverage = coverage.join(best, on=keys)
    winners = coverage.filter(pl.col("_rank") == pl.col("_best")).select(*keys, "_source")
    losers = coverage.filter(pl.col("_rank") != pl.col("_best"))
    _report_superseded(ordered, winners, losers, notes, keys)

    combined = pl.concat(frames, how="vertical_relaxed")
    kept = combined.join(winners, on=[*keys, "_source"], how="semi")
    shared = (
        winners.group_by(keys)
        .agg(pl.col("_source").n_unique().alias("_files"))
        .filter(pl.col("_files") > 1)
        .select(keys)
    )
    if shared.height == 0:
        return kept
    single = kept.join(shared, on=keys, how="anti")
    union = kept.join(shared, on=keys, how="semi")
    union = _one_release(ordered, union, notes, keys, detail)
    return pl.concat([single, union], how="vertical_relaxed")


def _report_superseded(
    ordered: list[Source],
    winners: pl.DataFrame,
    losers: pl.DataFrame,
    notes: list[str],
    keys: list[str],
) -> None:
    if losers.height == 0:
        return
    by_winner = winners.group_by(keys).agg(pl.col("_source").sort().alias("_winners"))
    lost = (
        losers.join(by_winner, on=keys)
        .group_by("_source", "_winners")
        .agg(pl.col("month").min().alias("first"), pl.col("month").max().alias("last"))
        .sort("_source", "first")
    )
    for row in lost.iter_rows(named=True):
        loser = ordered[row["_source"]]
        winner = ordered[row["_winners"][0]]
        names = " + ".join(ordered[i].name for i in row["_winners"])
        notes.append(
            f"{loser.name}: {row['first']:%Y-%m}..{row['last']:%Y-%m} superseded by {names} "
            f"({_why(winner, loser)})"
        )


def _why(winner: Source, loser: Source) -> str:
    if winner.kind != loser.kind:
        return f"{_KIND_WORDS.get(winner.kind, winner.kind)} beats {_KIND_WORDS.get(loser.kind, loser.kind)}"
    if winner.release != loser.release:
        return (
            f"a newer release, to {winner.release:%Y-%m}" if winner.release else "a newer release"
        )
    if winner.period_start != loser.period_start:
        return f"the same last month, over more months ({winner.period()})"
    if winner.per_category != loser.per_category:
        return "a published release beats a generic file of the same period"
    return f"format family {winner.family} before {loser.family} for the same period"


def _one_release(
    ordered: list[Source],
    union: pl.DataFrame,
    notes: list[str],
    keys: list[str],
    detail: list[str],
) -> pl.DataFrame:
    """Rows of several files of one release for the same borough-months: unioned, or summed
    for record files; two versions of the release keep the one with more offences."""
    additive = [i for i, s in enumerate(ordered) if s.additive]
    records = union.filter(pl.col("_source").is_in(additive))
    aggregates = union.filter(~pl.col("_source").is_in(additive))
    parts = []
    if aggregates.height:
        parts.append(_union_aggregates(ordered, aggregates, notes, keys, detail))
    if records.height:
        parts.append(_sum_records(ordered, records, notes, keys, detail))
    return pl.concat(parts, how="vertical_relaxed")


def _union_aggregates(
    ordered: list[Source],
    rows: pl.DataFrame,
    notes: list[str],
    keys: list[str],
    detail: list[str],
) -> pl.DataFrame:
    """Parts of one release: the same category in two files must agree. Where they do not,
    the files are two versions: for that borough-month, the one with more offences is kept."""
    values = ["value", "denominator"] if "denominator" in rows.columns else ["value"]
    disagreements = (
        rows.group_by(*keys, *detail)
        .agg(
            *[pl.col(v).n_unique().alias(f"_{v}_versions") for v in values],
            pl.col("_source").sort().alias("_sources"),
            pl.col("value").sort_by("_source").alias("_values"),
        )
        .filter(pl.any_horizontal(pl.col(f"_{v}_versions") > 1 for v in values))
    )
    if disagreements.height:
        conflicted = disagreements.select(keys).unique()
        totals = (
            rows.join(conflicted, on=keys, how="semi")
            .group_by(*keys, "_source")
            .agg(pl.col("value").sum().alias("_total"))
            .sort([*keys, "_total", "_source"], descending=[False] * len(keys) + [True, False])
        )
        keep = totals.group_by(keys, maintain_order=True).first().select(*keys, "_source")
        _report_versions(ordered, disagreements, keep, notes, keys, detail)
        rows = pl.concat(
            [
                rows.join(conflicted, on=keys, how="anti"),
                rows.join(keep, on=[*keys, "_source"], how="semi"),
            ],
            how="vertical_relaxed",
        )
    # identical rows in both parts count once
    return rows.sort("_source").unique(subset=[*keys, *detail], keep="first", maintain_order=True)


def _report_versions(
    ordered: list[Source],
    disagreements: pl.DataFrame,
    keep: pl.DataFrame,
    notes: list[str],
    keys: list[str],
    detail: list[str],
) -> None:
    example = disagreements.sort(keys).row(0, named=True)
    kept = keep.join(pl.DataFrame(example).select(keys), on=keys).row(0, named=True)["_source"]
    counted = disagreements.select(keys).unique().height
    files = [ordered[i] for i in example["_sources"]]
    values = ", ".join(
        f"{v:,.0f} in {ordered[i].name}"
        for i, v in zip(example["_sources"], example["_values"], strict=True)
    )
    where = ", ".join(str(example[k]) for k in (*keys, *detail) if k not in ("month", "measure"))
    notes.append(
        f"{' and '.join(f.name for f in files)} are two versions of one release "
        f"({files[0].period()}) that disagree in {counted:,} borough-month"
        f"{'' if counted == 1 else 's'} (e.g. {where}, {example['month']:%Y-%m}: {values}); "
        f"kept the figures of the one with more offences ({ordered[kept].name} there)"
    )


def _sum_records(
    ordered: list[Source],
    rows: pl.DataFrame,
    notes: list[str],
    keys: list[str],
    detail: list[str],
) -> pl.DataFrame:
    """Record files of one release add up (different forces, or a month split in two), unless
    two of them share records: then they are two versions, and the larger is kept."""
    involved = rows["_source"].unique().to_list()
    samples = [
        ordered[i].record_ids.with_columns(_source=pl.lit(i, dtype=pl.Int32))
        for i in involved
        if ordered[i].record_ids is not None and ordered[i].record_ids.height
    ]
    if len(samples) > 1:
        ids = pl.concat(samples, how="vertical_relaxed")
        overlaps = (
            ids.join(ids, on=["month", "id_hash"], suffix="_other")
            .filter(pl.col("_source") < pl.col("_source_other"))
            .group_by("month", "_source", "_source_other")
            .agg(pl.len().alias("shared"))
            .sort("month", "_source", "_source_other")
        )
        totals = {
            (row["month"], row["_source"]): row["total"]
            for row in rows.group_by("month", "_source")
            .agg(pl.col("value").sum().alias("total"))
            .iter_rows(named=True)
        }
        dropped: list[tuple[date, int]] = []
        for row in overlaps.iter_rows(named=True):
            month, a, b = row["month"], row["_source"], row["_source_other"]
            if (month, a) in dropped or (month, b) in dropped:
                continue
            total_a, total_b = totals.get((month, a), 0.0), totals.get((month, b), 0.0)
            keep, lose = (a, b) if total_a >= total_b else (b, a)
            dropped.append((month, lose))
            notes.append(
                f"{ordered[lose].name} and {ordered[keep].name} hold the same records for "
                f"{month:%Y-%m} (two versions of one extract, not two parts): kept "
                f"{ordered[keep].name} ({totals.get((month, keep), 0):,.0f} against "
                f"{totals.get((month, lose), 0):,.0f}), not both"
            )
        if dropped:
            gone = pl.DataFrame(
                dropped, schema={"month": pl.Date, "_source": pl.Int32}, orient="row"
            )
            rows = rows.join(gone, on=["month", "_source"], how="anti")
    sources = rows.group_by(*keys, *detail).agg(
        pl.col("value").sum(),
        pl.col("_source").min(),
        pl.col("_rank").min(),
        pl.col("source").unique().sort().str.join(" + "),
        pl.all().exclude(*keys, *detail, "value", "_source", "_rank", "source").first(),
    )
    return sources.select(rows.columns)


# --- generic files: single observations ----------------------------------------------------


def _observations(
    ordered: list[Source],
    releases: pl.DataFrame,
    frames: list[pl.DataFrame],
    notes: list[str],
    keys: list[str],
    detail: list[str],
) -> pl.DataFrame:
    """Generic rows compete per category: with each other (the better-ranked file, the larger
    value between two versions of one file), then with the release supplying that month."""
    observations = pl.concat(frames, how="vertical_relaxed").with_columns(
        _category=pl.col("category").str.to_lowercase()
    )
    match = [*keys, "_category"]
    ranked = observations.sort(["_rank", "value", "_source"], descending=[False, True, False])
    best = ranked.group_by(match, maintain_order=True).first()
    _report_disagreements(
        ordered,
        ranked.join(best.select(*match, "_source", "value"), on=match, suffix="_kept"),
        notes,
    )
    if releases.height == 0:
        return best.drop("_category")
    released = releases.with_columns(_category=pl.col("category").str.to_lowercase())
    candidates = best.join(
        released.select(*match, "category_group", "category", "value", "_rank", "_source").unique(
            subset=match, keep="first"
        ),
        on=match,
        how="left",
        suffix="_release",
    )
    matched = candidates.filter(pl.col("_source_release").is_not_null())
    differ = matched.filter(pl.col("value") != pl.col("value_release"))
    for row in (
        differ.group_by("_source", "_source_release")
        .agg(pl.len().alias("rows"), pl.all().sort_by(keys).first().name.suffix("_e"))
        .sort("_source", "_source_release")
        .iter_rows(named=True)
    ):
        generic, release = ordered[row["_source"]], ordered[row["_source_release"]]
        won = generic if row["_rank_e"] < row["_rank_release_e"] else release
        notes.append(
            f"{generic.name} and {release.name} disagree on {row['rows']:,} figure"
            f"{'' if row['rows'] == 1 else 's'} (e.g. {row['borough_e']}, {row['measure_e']}, "
            f"{row['category_release_e']}, {row['month_e']:%Y-%m}: {row['value_e']:,} against "
            f"{row['value_release_e']:,}); kept {won.name}"
        )
    replacing = matched.filter(pl.col("_rank") < pl.col("_rank_release"))
    covered = released.select(keys).unique()
    added = candidates.filter(pl.col("_source_release").is_null())
    adding = added.join(covered, on=keys, how="semi")
    for row in (
        adding.group_by("_source")
        .agg(pl.len().alias("rows"), pl.all().sort_by(keys).first().name.suffix("_e"))
        .sort("_source")
        .iter_rows(named=True)
    ):
        notes.append(
            f"{ordered[row['_source']].name}: {row['rows']:,} figure"
            f"{'' if row['rows'] == 1 else 's'} for categories a release does not have in that "
            f"borough-month (e.g. {row['borough_e']}, {row['measure_e']}, {row['category_e']}, "
            f"{row['month_e']:%Y-%m}) added to it; check they do not overlap its categories"
        )
    kept_releases = released.join(replacing.select(match), on=match, how="anti")
    new_rows = pl.concat(
        [
            replacing.with_columns(
                category_group=pl.col("category_group_release"),
                category=pl.col("category_release"),
            ),
            added,
        ],
        how="diagonal_relaxed",
    ).select(releases.columns)
    return pl.concat([kept_releases.drop("_category"), new_rows], how="vertical_relaxed")


def _report_disagreements(ordered: list[Source], ranked: pl.DataFrame, notes: list[str]) -> None:
    lost = ranked.filter(
        (pl.col("_source") != pl.col("_source_kept")) & (pl.col("value") != pl.col("value_kept"))
    )
    for row in (
        lost.group_by("_source", "_source_kept")
        .agg(pl.len().alias("rows"), pl.all().sort_by("month").first().name.suffix("_e"))
        .sort("_source", "_source_kept")
        .iter_rows(named=True)
    ):
        loser, winner = ordered[row["_source"]], ordered[row["_source_kept"]]
        reason = (
            "the same period: the larger value kept"
            if loser.rank() == winner.rank()
            else _why(winner, loser)
        )
        notes.append(
            f"{loser.name}: {row['rows']:,} figure{'' if row['rows'] == 1 else 's'} superseded by "
            f"{winner.name}, which disagrees (e.g. {row['borough_e']}, {row['measure_e']}, "
            f"{row['category_e']}, {row['month_e']:%Y-%m}: {row['value_e']:,} against "
            f"{row['value_kept_e']:,}; {reason})"
        )
