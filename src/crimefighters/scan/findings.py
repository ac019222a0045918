"""From test results to findings: one line per event, with a status across months.

1. **Family control.** Each area's tests in a month are one family. With ``pfer`` (the
   default) a test counts only when p < false_findings_per_area / m, m the number of tests
   the area ran that month (and below the method's own alpha): on average at most that many
   findings per area per month are false alarms, however many categories are scanned.
   ``bh`` is Benjamini-Hochberg at q within the area; ``none`` leaves each method's alpha.
   Targets and thresholds an analyst set (no p-value) count as they are.
2. **One event, one finding.** A series' news is the direction of its most recent
   significant change (the shortest window; the strongest evidence on a tie); tests the other
   way become context on it. Series moving the same way that contain one another (a minor
   category, its major category, the priorities that select it) are one finding; the total
   joins the largest event moving its way, or stands alone.
3. **Named as a chair knows it.** A finding is named by the area's own priority where it
   covers one, else by the series with the strongest evidence; it lists the others.
4. **Stable ids and status.** ``finding_id`` = area | measure | series family | direction (the
   family is the major category of the named series, the priority's main category, or the
   series itself), the same month after month: an event keeps the id of the earlier finding
   it shares a series with, and a second event of one family in one month gets its own id
   (family/category). Comparing the months tested gives ``new``,
   ``continuing`` (with ``months_running``), ``returned``, and the findings ``resolved`` since
   last month.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from crimefighters.config.models import Config, FindingsSettings
from crimefighters.scan.methods import score_expr

LEVEL_RANK = {"priority": 0, "major": 1, "minor": 2, "total": 3}
RULE_BASED_METHODS = ("target", "peer")
GROUP = ["area", "asof"]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_") or "all"


# --- 1. family control ------------------------------------------------------------------------


def may_matter() -> pl.Expr:
    """True for a test that fired and could be significant or support a finding, whatever the
    size of its area's family: rule-based, p below the method's own alpha, or an SPC rule
    without a p-value. The scan keeps only these of each part's tests."""
    p = pl.col("p_value")
    rule_based = pl.col("method").is_in(RULE_BASED_METHODS) | (pl.col("rule") == "pp_threshold")
    return pl.col("fired") & (
        rule_based
        | (p < pl.col("alpha")).fill_null(False)
        | (p.is_null() & (pl.col("method") == "spc"))
    )


def with_significance(
    tests: pl.DataFrame, sizes: pl.DataFrame, ranked: pl.DataFrame, settings: FindingsSettings
) -> pl.DataFrame:
    """Adds ``m`` (tests in the area's family that month), ``threshold`` and the flags
    ``significant`` (can make a finding) and ``supports`` (fired, nominally significant or a
    corroborating SPC rule, but not enough alone).

    ``tests``: the tests that fired (those that ``may_matter``); ``sizes``: (area, asof, m),
    every test each area ran that month that counts in its family, fired or not, a series
    that is exactly another (``duplicate``) counted once; ``ranked``: (area, asof, p_value)
    of those tests that have a p-value (read by ``bh`` only)."""
    tests = tests.join(sizes, on=GROUP, how="left", maintain_order="left").with_columns(
        m=pl.col("m").fill_null(0).cast(pl.Int64),
        _counted=(pl.col("n_tests") > 0) & pl.col("can_lead"),
    )
    p = pl.col("p_value")
    if settings.control == "pfer":
        threshold = pl.min_horizontal(
            pl.col("alpha"), settings.false_findings_per_area / pl.col("m").clip(lower_bound=1)
        )
        passes = p < threshold
    elif settings.control == "bh":
        ranked = (
            ranked.join(sizes, on=GROUP)
            .with_columns(_rank=p.rank("ordinal").over(GROUP))
            .with_columns(_ok=p <= settings.q * pl.col("_rank") / pl.col("m").clip(lower_bound=1))
        )
        cut = ranked.filter(pl.col("_ok")).group_by(GROUP).agg(_cut=p.max())
        tests = tests.join(cut, on=GROUP, how="left", maintain_order="left")
        threshold = pl.min_horizontal(pl.col("alpha"), pl.col("_cut").fill_null(0.0) * (1 + 1e-12))
        passes = (p <= pl.col("_cut")) & (p < pl.col("alpha"))
    else:
        threshold = pl.col("alpha")
        passes = p < threshold
    rule_based = pl.col("method").is_in(RULE_BASED_METHODS) | (pl.col("rule") == "pp_threshold")
    significant = (
        pl.col("fired")
        & pl.col("can_lead")
        & (rule_based | (pl.col("_counted") & passes.fill_null(False)))
    )
    tests = tests.with_columns(threshold=threshold, significant=significant.fill_null(False))
    supports = (
        pl.col("fired")
        & ~pl.col("significant")
        & (pl.col("method") != "peer")
        & (p.is_null() & (pl.col("method") == "spc") | (p < pl.col("alpha")).fill_null(False))
    )
    return tests.with_columns(supports=supports.fill_null(False)).drop(
        "_counted", "_cut", strict=False
    )


# --- 2 and 3. grouping and naming -----------------------------------------------------------------


def group_findings(
    tests: pl.DataFrame, keys: pl.DataFrame, membership: pl.DataFrame, config: Config
) -> pl.DataFrame:
    """One row per (finding, month tested) with its member series and headline.

    ``tests`` has ``significant`` set; ``keys`` maps ``sid`` to the series and carries
    ``family_key``. Returns finding_id, area, area_type, measure, asof, direction,
    headline_sid, members (list of sids), score, lead_tests.
    """
    lead = tests.filter(pl.col("significant")).with_columns(
        _p=pl.col("p_value").fill_null(0.0),
        score=pl.when(pl.col("p_value").is_not_null())
        .then(score_expr(pl.col("p_value")))
        .otherwise(_rule_score()),
    )
    if lead.height == 0:
        return _empty_findings()
    # the news of each series this month: its most recent change (shortest window) first
    news = (
        lead.with_columns(_recent=pl.coalesce("recent", "months"))
        .sort("_recent", "_p", nulls_last=True)
        .group_by("asof", "sid", maintain_order=True)
        .agg(
            direction=pl.col("direction").first(),
            best_p=pl.col("_p").first(),
            score=pl.col("score").max(),
            size=(pl.col("value") - pl.col("baseline")).abs().first(),
        )
    )
    nodes = news.join(
        keys.select("sid", "area", "area_type", "measure", "level", "category", "family_key"),
        on="sid",
    )
    nodes = nodes.with_columns(label=pl.col("sid"))
    nodes = _components(nodes, membership)
    nodes = _attach_totals(nodes)
    nodes = _name(nodes, config)
    nodes = _chain_ids(nodes)
    return (
        nodes.group_by("finding_id", "asof")
        .agg(
            pl.col("area").first(),
            pl.col("area_type").first(),
            pl.col("measure").first(),
            pl.col("direction").first(),
            headline_sid=pl.col("sid").sort_by("_pick").first(),
            members=pl.col("sid").sort_by("_pick"),
            score=pl.col("score").max(),
        )
        .sort("asof", "finding_id")
    )


def _rule_score() -> pl.Expr:
    """Tests without a p-value rank by how far they are from their line."""
    return (
        pl.when(pl.col("rule") == "target_missed")
        .then(
            2.0
            + (
                pl.col("change").abs()
                * pl.when(pl.col("baseline") <= 1).then(100.0).otherwise(1.0)
                / 5
            ).clip(upper_bound=3.0)
        )
        .when(pl.col("rule") == "pp_threshold")
        .then(2.0 * pl.col("change").abs() * 100 / pl.col("rate_pp_threshold").fill_null(5.0))
        .otherwise(2.0)
    )


def _components(nodes: pl.DataFrame, membership: pl.DataFrame) -> pl.DataFrame:
    """Connected series moving the same way: minimum-label propagation over containment."""
    same = ["asof", "area", "measure", "direction"]
    child = nodes.select(*same, "sid", "level", "category")
    parent = nodes.select(
        *same, parent_sid="sid", container_level="level", container_category="category"
    )
    edges = (
        child.join(membership, on=["measure", "level", "category"])
        .join(parent, on=[*same, "container_level", "container_category"])
        .select("sid", "parent_sid")
    )
    if edges.height == 0:
        return nodes
    both = pl.concat([edges, edges.select(sid="parent_sid", parent_sid="sid")])
    for _ in range(12):
        neighbour = (
            both.join(nodes.select(parent_sid="sid", _l="label", _a="asof"), on="parent_sid")
            .group_by("sid", "_a")
            .agg(_min=pl.col("_l").min())
        )
        updated = (
            nodes.join(neighbour.rename({"_a": "asof"}), on=["sid", "asof"], how="left")
            .with_columns(
                label=pl.min_horizontal("label", pl.col("_min").fill_null(pl.col("label")))
            )
            .drop("_min")
        )
        if updated["label"].equals(nodes["label"]):
            return updated
        nodes = updated
    return nodes


def _attach_totals(nodes: pl.DataFrame) -> pl.DataFrame:
    """The total joins the largest event moving its way (it is made of it), if there is one."""
    same = ["asof", "area", "measure", "direction"]
    totals = nodes.filter(pl.col("level") == "total")
    if totals.height == 0:
        return nodes
    others = nodes.filter(pl.col("level") != "total")
    largest = (
        others.sort("size", descending=True)
        .group_by(same, maintain_order=True)
        .agg(_join=pl.col("label").first())
    )
    return (
        nodes.join(largest, on=same, how="left")
        .with_columns(
            label=pl.when(pl.col("level") == "total")
            .then(pl.col("_join").fill_null(pl.col("label")))
            .otherwise(pl.col("label"))
        )
        .drop("_join")
    )


def _area_priority_labels(config: Config) -> pl.DataFrame:
    """(area, category) for the priorities each area holds: a borough's local and high-harm
    priorities; a BCU's boroughs' ones; London's high-harm ones."""
    rows = []
    high = [config.priority(p).label for p in config.priorities.high_harm]
    for borough in config.borough_names():
        own = [
            config.priority(p).label
            for p in config.local_priorities(borough)
            if p in {d.id for d in config.priorities.definitions}
        ]
        for label in [*own, *high]:
            rows.append((borough, label))
            rows.append((config.bcu_of(borough), label))
    rows += [("London", label) for label in high]
    return (
        pl.DataFrame(rows, schema={"area": pl.String, "category": pl.String}, orient="row")
        .unique()
        .with_columns(_own=pl.lit(True))
    )


def _name(nodes: pl.DataFrame, config: Config) -> pl.DataFrame:
    """Pick the headline series of each component and give the finding its id."""
    own = _area_priority_labels(config)
    nodes = nodes.join(own, on=["area", "category"], how="left").with_columns(
        _own=(pl.col("_own").fill_null(False) & (pl.col("level") == "priority")),
        _lvl=pl.col("level").replace_strict(LEVEL_RANK, default=9),
    )
    # headline order: the area's own priority, then the strongest evidence, then broader series
    nodes = nodes.sort(
        "asof",
        "label",
        "_own",
        "score",
        "_lvl",
        "sid",
        descending=[False, False, True, True, False, False],
    )
    nodes = nodes.with_columns(_pick=pl.int_range(pl.len()).over("asof", "label"))
    headline = nodes.filter(pl.col("_pick") == 0).select("asof", "label", _family="family_key")
    nodes = nodes.join(headline, on=["asof", "label"])
    return nodes.with_columns(
        finding_id=pl.concat_str(
            pl.col("area"),
            pl.col("measure"),
            pl.col("_family").map_elements(slug, return_dtype=pl.String),
            pl.col("direction"),
            separator="|",
        )
    )


def _chain_ids(nodes: pl.DataFrame) -> pl.DataFrame:
    """One id per event, kept while the event goes on.

    A component inherits the id of the nearest earlier month's finding of its family that
    shares a series with it and moves the same way (the largest overlap, then the strongest
    evidence, wins when two claim one id; a broad priority spanning two families never links
    them). Otherwise it takes its family id (area | measure | family |
    direction); a second event of the same family in the same month (two sibling categories
    rising apart, say bicycle theft and shoplifting within theft) adds its headline's
    category to the family, so two events are never merged by their id.
    """
    if nodes.height == 0:
        return nodes
    comps = (
        nodes.group_by("asof", "label")
        .agg(
            base=pl.col("finding_id").first(),
            direction=pl.col("direction").first(),
            sids=pl.col("sid"),
            score=pl.col("score").max(),
            headline=pl.col("category").sort_by("_pick").first(),
        )
        .sort("asof", "score", "label", descending=[False, True, False])
    )
    # month -> (family, direction) -> [(id, sids)]: a component looks only at its own family
    by_month: dict[date, dict[tuple[str, str], list[tuple[str, set]]]] = {}
    ids: dict[tuple[date, int], str] = {}
    for (month,), month_comps in comps.partition_by("asof", as_dict=True, maintain_order=True).items():
        earlier_months = sorted(by_month, reverse=True)
        taken: set[str] = set()
        found: dict[tuple[str, str], list[tuple[str, set]]] = {}
        for comp in month_comps.iter_rows(named=True):
            sids = set(comp["sids"])
            key = (_family(comp["base"]), comp["direction"])
            chosen = None
            for earlier in earlier_months:
                overlaps = [
                    (len(sids & members), fid)
                    for fid, members in by_month[earlier].get(key, ())
                    if fid not in taken and sids & members
                ]
                if overlaps:
                    chosen = max(overlaps)[1]
                    break
            if chosen is None:
                chosen = comp["base"]
                if chosen in taken:
                    start, family, direction = chosen.rsplit("|", 2)
                    chosen = "|".join([start, f"{family}/{slug(comp['headline'])}", direction])
                if chosen in taken:
                    chosen = f"{chosen}#{comp['label']}"
            taken.add(chosen)
            ids[(month, comp["label"])] = chosen
            found.setdefault(key, []).append((chosen, sids))
        by_month[month] = found
    table = pl.DataFrame(
        [(m, label, fid) for (m, label), fid in ids.items()],
        schema={"asof": pl.Date, "label": nodes.schema["label"], "finding_id": pl.String},
        orient="row",
    )
    return nodes.drop("finding_id").join(table, on=["asof", "label"])


def _family(finding_id: str) -> str:
    """'Lambeth|recorded_crime|theft/shoplifting|up' -> 'Lambeth|recorded_crime|theft|up'."""
    start, family, direction = finding_id.split("#")[0].rsplit("|", 2)
    return "|".join([start, family.split("/")[0], direction])


def _empty_findings() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "finding_id": pl.String,
            "asof": pl.Date,
            "area": pl.String,
            "area_type": pl.String,
            "measure": pl.String,
            "direction": pl.String,
            "headline_sid": pl.UInt32,
            "members": pl.List(pl.UInt32),
            "score": pl.Float64,
        }
    )


# --- 4. status across months --------------------------------------------------------------------


def with_status(
    found: pl.DataFrame, scan_month: date, months: list[date]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(this month's findings with status and months_running, last month's findings that are
    not open now). ``months``: every month tested, the scan month last."""
    index = {m: i for i, m in enumerate(months)}
    presence = (
        found.select("finding_id", "asof")
        .unique()
        .with_columns(_i=pl.col("asof").replace_strict(index, return_dtype=pl.Int32))
    )
    now = len(months) - 1
    history = presence.group_by("finding_id").agg(_months=pl.col("_i").sort())
    current = found.filter(pl.col("asof") == scan_month).join(history, on="finding_id", how="left")

    def running(seen: list[int]) -> int:
        count, expected = 0, now
        for i in reversed(seen):
            if i != expected:
                break
            count += 1
            expected -= 1
        return count

    current = (
        current.with_columns(
            months_running=pl.col("_months").map_elements(
                lambda s: running(list(s)), return_dtype=pl.Int32
            ),
            _before=pl.col("_months").list.eval(pl.element() < now - 1).list.any(),
            _last=pl.col("_months").list.contains(now - 1),
        )
        .with_columns(
            status=pl.when(pl.col("_last"))
            .then(pl.lit("continuing"))
            .when(pl.col("_before"))
            .then(pl.lit("returned"))
            .otherwise(pl.lit("new"))
        )
        .drop("_months", "_before", "_last")
    )
    resolved = (
        found.filter(pl.col("asof") == months[-2]).join(
            current.select("finding_id"), on="finding_id", how="anti"
        )
        if len(months) >= 2
        else found.clear()
    )
    return current, resolved
