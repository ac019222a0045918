"""Who improved: the areas to learn from for each concern, and the month's improvements ranked.

"Learning and effective practice is shared between boroughs": for every concern finding, the
peers (boroughs for a borough, BCUs for a BCU) whose same series (same measure, level and
category) improved significantly over the same window this month, with their numbers.

- **Significant** means a test of that series in that peer is significant this month under the
  peer's own family control (``findings.with_significance``), in the improving direction (or a
  target newly met). Standing against London (the peer funnel) is structure, not an
  improvement, and is left out.
- **Same window**: the concern's headline test's window (the month, 3 or 12 months, the
  financial year to date), so the numbers side by side cover the same months.
- **Ranked** by strength of evidence (the test's score, -log10 p), then by the size of the
  change (the percentage change for counts, the change in points for rates). Each peer once,
  with its strongest test; the first ``findings.learn_from`` are kept.

``ranked_improvements`` is the London view: the month's improvement findings across the areas
asked for, ranked the same way.
"""

from __future__ import annotations

import polars as pl

from crimefighters.config.models import Config

SERIES = ["measure", "level", "category", "window"]
LEARN_COLUMNS: dict[str, pl.DataType] = {
    "finding_id": pl.String(),  # the concern
    "concern_area": pl.String(),
    "rank": pl.Int32(),
    "area": pl.String(),  # the peer that improved
    "area_type": pl.String(),
    "bcu": pl.String(),
    "measure": pl.String(),
    "level": pl.String(),
    "category": pl.String(),
    "window": pl.String(),
    "method": pl.String(),
    "rule": pl.String(),
    "kind": pl.String(),
    "value": pl.Float64(),
    "baseline": pl.Float64(),
    "change": pl.Float64(),
    "change_pct": pl.Float64(),
    "p_value": pl.Float64(),
    "score": pl.Float64(),
    "evidence": pl.String(),
    "peer_finding_id": pl.String(),  # the improvement finding the test belongs to, if any
}


def size_expr() -> pl.Expr:
    """How big a change is, for ordering: |% change| for counts, |change| in points otherwise."""
    return (
        pl.when(pl.col("change_pct").is_not_null() & (pl.col("kind") == "count"))
        .then(pl.col("change_pct").abs())
        .otherwise(pl.col("change").abs() * 100)
        .fill_null(0.0)
    )


def learn_from(findings: pl.DataFrame, tests: pl.DataFrame, config: Config) -> pl.DataFrame:
    """One row per (concern finding, peer that improved), best first within each concern.

    ``findings``: this month's findings (``FINDING_COLUMNS``); ``tests``: every test shown this
    month, with ``significant``, ``assessment``, ``score`` and ``evidence`` (the runner's
    tests frame)."""
    limit = config.scan.findings.learn_from
    concerns = findings.filter(
        (pl.col("assessment") == "concern") & pl.col("area_type").is_in(["borough", "bcu"])
    ).select("finding_id", *SERIES, concern_area="borough", area_type="area_type")
    if limit == 0 or concerns.height == 0 or tests.height == 0:
        return pl.DataFrame(schema=LEARN_COLUMNS)
    improved = (
        tests.filter(
            pl.col("significant")
            & (pl.col("assessment") == "improvement")
            & (pl.col("method") != "peer")
        )
        .with_columns(_size=size_expr())
        # each peer once per series and window: its strongest test
        .sort("score", "_size", descending=True)
        .unique(["borough", *SERIES], keep="first", maintain_order=True)
        .select(
            area="borough",
            area_type="area_type",
            bcu="bcu",
            **{c: c for c in SERIES},
            method="method",
            rule="rule",
            kind="kind",
            value="value",
            baseline="baseline",
            change="change",
            change_pct="change_pct",
            p_value="p_value",
            score="score",
            evidence="evidence",
            peer_finding_id=pl.when(pl.col("role") != "context").then(pl.col("finding_id")),
            _size="_size",
        )
    )
    pairs = (
        concerns.join(improved, on=["area_type", *SERIES])
        .filter(pl.col("area") != pl.col("concern_area"))
        .sort("finding_id", "score", "_size", "area", descending=[False, True, True, False])
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("finding_id"))
        .filter(pl.col("rank") <= limit)
    )
    return pairs.select([pl.col(c).cast(t) for c, t in LEARN_COLUMNS.items()])


def ranked_improvements(findings: pl.DataFrame, areas: list[str] | None = None) -> pl.DataFrame:
    """The month's improvement findings of ``areas`` (default: every borough), strongest
    evidence first, then the largest change, each with its ``rank``."""
    chosen = pl.col("borough").is_in(areas) if areas else pl.col("area_type") == "borough"
    return (
        findings.filter(chosen & (pl.col("assessment") == "improvement"))
        .with_columns(_size=size_expr())
        .sort("score", "_size", "borough", "name", descending=[True, True, False, False])
        .with_columns(rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int32))
        .drop("_size")
    )
