"""Run every configured method over every area x measure x category, and make findings.

``run_scan(observations, config, scan_month)`` returns a ``ScanResult``:
- ``findings``: one row per event in each area this month (boroughs, BCUs, London), with the
  headline test's numbers, every test that fired as its evidence, the series it covers, and
  its status (new, continuing for n months, returned);
- ``resolved``: findings open last month and not now;
- ``tests``: every test that fired this month (``--detail``), each with its finding;
- ``peers``: each borough's standing against London (context, apart from the changes);
- ``points``: the SPC chart of every series over the SPC window;
- ``comparisons``: every series against last year for the month, 3 and 12 months and FYTD;
- ``status``: the latest state of every series (value, SPC state, limits, assurance, target);
- ``priorities``: each borough's local, high-harm and theme priorities with their state;
- ``history``: which findings were open in each month tested (for status and follow-up);
- ``standing``: every borough and BCU series' 12-month rate, its rank among its kind, London's
  and its family's (``scan.standing``);
- ``improvers``: for each concern, the peers whose same series improved significantly over the
  same window (``scan.learning``); the findings' ``learn_from`` says it in words.

The pipeline: observations -> series (every area, level and category) -> one monthly grid
with window sums and each series' dispersion (``grid``) -> tests as of the scan month and the
``findings.lookback_months`` before it (``methods``) -> family control, grouping, naming and
status (``findings``) -> sentences for what is shown (``evidence``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import polars as pl

from crimefighters.config.models import Config, parse_month
from crimefighters.errors import ScanError
from crimefighters.months import month_add
from crimefighters.scan import evidence, findings, spc
from crimefighters.scan.adjustments import SPCInputs
from crimefighters.scan.grid import (
    ALL_WINDOWS,
    dispersion,
    monthly_grid,
    window_length,
    with_window_sums,
)
from crimefighters.scan.learning import learn_from
from crimefighters.scan.methods import empty_tests, score_expr
from crimefighters.scan.methods.control import spc_tests
from crimefighters.scan.methods.counts import seasonal_tests, yoy_tests
from crimefighters.scan.methods.peers import funnel, peer_tests
from crimefighters.scan.methods.rates import rate_tests, target_tests
from crimefighters.scan.result import CSV_FIELDS, FINDING_COLUMNS, ScanResult, default_scan_month
from crimefighters.scan.series import (
    SERIES_KEYS,
    membership,
    month_index,
    observe,
    series_table,
    with_outcomes_provisional,
)
from crimefighters.scan.settings import longest_history, measure_settings
from crimefighters.scan.standing import area_standing
from crimefighters.scan.stats import conditional_poisson_p


def run_scan(
    observations: pl.DataFrame,
    config: Config,
    scan_month: date | None = None,
    boroughs: list[str] | None = None,
    measures: list[str] | None = None,
    methods: list[str] | None = None,
    spc_inputs: SPCInputs | None = None,
) -> ScanResult:
    """The scan of one month. ``spc_inputs``: the meeting store's months left out of SPC limits
    and chosen baselines (``SPCInputs.from_store``)."""
    scan_month = scan_month or default_scan_month(observations)
    if observations.filter(pl.col("month") == scan_month).height == 0:
        first, last = observations["month"].min(), observations["month"].max()
        raise ScanError(
            f"no data for {scan_month:%Y-%m}: the loaded data covers {first:%Y-%m} to {last:%Y-%m}"
        )
    known_measures = {m.id for m in config.measures}
    for m in measures or []:
        if m not in known_measures:
            raise ScanError(
                f"unknown measure {m!r}; expected one of {', '.join(sorted(known_measures))}"
            )
    settings = config.scan.findings
    months = [month_add(scan_month, -i) for i in range(settings.lookback_months, -1, -1)]
    observed = with_outcomes_provisional(
        observe(
            observations.filter(pl.col("measure").is_in(measures or list(known_measures))),
            scan_start(config, months),
            scan_month,
        ),
        config,
    )
    table = series_table(observed, config)
    combinations = observed.combinations
    keys = _with_family_keys(table.keys, combinations, config)
    per_measure = measure_settings(config, methods)
    breaks = _break_table(keys, config)
    flags = (spc_inputs or SPCInputs()).flags(keys)
    parts = [
        _scan_part(table.values(part_keys), part_keys, per_measure, breaks, flags, config, months)
        for part_keys in _parts(keys)
    ]
    # the observation rows (every series' months read) are not read again
    del observed, table
    gaps = pl.concat([p.gap for p in parts]).sort("sid", "month")
    if gaps.height:
        row = gaps.row(0, named=True)
        raise ScanError(
            f"{row['area']} {row['measure']} {row['category']}: no value for {row['month']:%Y-%m} inside the SPC window "
            "(scan.spc.missing is 'error')"
        )
    twins = _twins(pl.concat([p.signatures for p in parts]), keys)
    tests = _in_order(pl.concat([p.fired for p in parts]))
    tests = _deduplicate(tests, twins)
    tests = tests.join(
        keys.select("sid", *SERIES_KEYS, "priority_id", "kind", "improve"),
        on="sid",
        maintain_order="left",
    ).join(
        per_measure.select("measure", "rate_pp_threshold"),
        on="measure",
        how="left",
        maintain_order="left",
    )
    sizes, ranked = _family(parts, keys, twins)
    tests = findings.with_significance(tests, sizes, ranked, settings)
    found = findings.group_findings(tests, keys, membership(combinations, config), config)
    current, resolved = findings.with_status(found, scan_month, months)
    # which findings were open in each month tested, with the series each was named by
    history = (
        found.select("finding_id", "area", "measure", "direction", "headline_sid", month="asof")
        .join(
            keys.select(headline_sid="sid", level="level", category="category"), on="headline_sid"
        )
        .join(
            pl.concat([p.values for p in parts]).select(
                headline_sid="sid", month="month", value="value"
            ),
            on=["headline_sid", "month"],
            how="left",
        )
        .drop("headline_sid")
        .sort("month", "finding_id")
    )
    standing = pl.concat([p.standing for p in parts], how="diagonal_relaxed")
    latest = pl.concat([p.latest for p in parts], how="diagonal_relaxed", rechunk=False)
    # (the parts' charts as chunks of one frame, not copied into one: at 100x they are 0.5 GB)
    points = pl.concat(
        [p.points for p in parts if p.points.height] or [parts[0].points],
        how="diagonal_relaxed",
        rechunk=False,
    )
    del parts  # what the scan keeps of them is in the frames above

    this_month = tests.filter(pl.col("asof") == scan_month)
    finding_frame, tests_shown = _finding_rows(current, this_month, keys, config, scan_month)
    improvers = learn_from(finding_frame, tests_shown, config)
    finding_frame = _with_learn_from(finding_frame, improvers)
    resolved_frame = _resolved_rows(resolved, tests, keys, config)
    comparisons = _comparisons(latest, breaks, scan_month, this_month)
    status = _status(
        latest,
        points,
        finding_frame,
        tests_shown,
        breaks,
        config,
        scan_month,
    )
    standing_frame = area_standing(latest, config)
    del latest  # the scan month's figures of every series: all read by now
    peers = _peer_context(standing, keys, config, scan_month)
    if boroughs:
        finding_frame = finding_frame.filter(pl.col("borough").is_in(boroughs))
        tests_shown = tests_shown.filter(pl.col("borough").is_in(boroughs))
    from crimefighters.scan.priorities import priority_status

    priorities = priority_status(status, comparisons, tests_shown, config, scan_month, boroughs)
    loaded_measures = set(combinations["measure"].unique())
    this_month_measures = set(combinations.filter(pl.col("at_end"))["measure"].unique())
    missing = sorted(loaded_measures - this_month_measures)
    notes = (
        [
            f"no data for {scan_month:%B %Y} in: "
            + ", ".join(config.measure(m).label for m in missing if m in known_measures)
        ]
        if missing
        else []
    )
    return ScanResult(
        scan_month=scan_month,
        notes=notes,
        findings=finding_frame,
        resolved=resolved_frame,
        tests=tests_shown,
        peers=peers,
        points=points,
        comparisons=comparisons,
        status=status,
        priorities=priorities,
        history=history,
        standing=standing_frame,
        improvers=improvers,
    )


# --- preparing the grid ----------------------------------------------------------------------------


def scan_start(config: Config, months: list[date]) -> date:
    """The first month any method reads when testing ``months``."""
    return month_add(months[0], -longest_history(config))


PART_SERIES = 4_000
"""Series scanned together. Every method but the area's family of tests reads one series at
a time, or the areas of one measure, level and category together (peers, standing), so the
series are scanned in parts of about this many and only the tests that fired, the charts and
the scan month's figures are kept: the monthly grid of every series with its window sums
never exists whole, and memory stays flat however many series there are. (4,000, not 8,000:
a part's working set is held once more than the parts' results at the peak; at 100x the
smaller part lowers that peak by about 0.2 GB for the same CPU time.)"""


def _parts(keys: pl.DataFrame) -> Iterator[pl.DataFrame]:
    """The keys of each part: every area of a measure, level and category in the same part,
    about ``PART_SERIES`` series in each; at least one part, empty if there are no series."""
    triple = ["measure", "level", "category"]
    sizes = keys.group_by(triple).agg(_n=pl.len()).sort(triple, nulls_last=True)
    sizes = sizes.with_columns(
        part=((pl.col("_n").cum_sum() - pl.col("_n")) // PART_SERIES).cast(pl.UInt32)
    )
    count = int(sizes["part"].max()) + 1 if sizes.height else 1
    if count == 1:
        yield keys
        return
    keys = keys.join(
        sizes.select(*triple, "part"), on=triple, nulls_equal=True, maintain_order="left"
    )
    for (_,), part_keys in sorted(
        keys.partition_by("part", as_dict=True, include_key=False).items()
    ):
        yield part_keys


def _part_grid(
    values: pl.DataFrame,
    keys: pl.DataFrame,
    per_measure: pl.DataFrame,
    config: Config,
    months: list[date],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(grid, at): every series of a part on the monthly grid up to the last of ``months``
    (``monthly_grid`` with the values a month and a year before and the mean numerator);
    and the months a method reads (``months`` and the month before), with window sums,
    dispersion, the series' keys and its measure's settings. Only those few months carry the
    ~100 columns."""
    scan_month = months[-1]
    start = scan_start(config, months)
    max_years = max(config.settings_for(m.id).seasonal.years for m in config.measures)
    grid = _with_lags(monthly_grid(values, keys, start, scan_month))
    read = [month_add(months[0], -1), *months]
    at = with_window_sums(grid, max_years, at=read)
    at = at.join(dispersion(grid, months), on=["sid", "month"], how="left").with_columns(
        phi=pl.col("phi").fill_null(1.0)
        if config.scan.findings.dispersion == "series"
        else pl.lit(1.0),
        seasonal=pl.col("seasonal").fill_null(False),
    )
    at = at.drop("kind").join(
        keys.select(
            "sid", "area", "area_type", "measure", "level", "category", "kind", "direction"
        ),
        on="sid",
        maintain_order="left",
    )
    at = at.join(per_measure, on="measure", how="left", maintain_order="left").with_columns(
        outcomes_family=pl.col("measure").is_in(
            [m.id for m in config.measures if m.family == "positive_outcomes"]
        )
    )
    return grid, _with_targets(at, config)


POINT_COLUMNS = [
    *("month", "value", "provisional", "kind", "mean", "group_points", "lpl", "upl"),
    *("special_cause_type", "point_type", *SERIES_KEYS),
]  # fmt: skip
"""What ``ScanResult.points`` keeps of each chart: what the drill-down, the briefing's charts
and sparklines and ``_status`` read. A point is a row for every month of every charted
series (7 million rows at 100x), so the chart's working columns (numerator, denominator,
direction, amr, the near limits, the excluded and baseline flags) are not kept, and its texts (``POINT_TEXTS``)
are Categorical: a 4-byte code a row instead of a string view of 16 bytes and more."""
POINT_TEXTS = ["kind", "special_cause_type", "point_type", *SERIES_KEYS]


@dataclass
class _Part:
    """What the scan keeps of a part."""

    fired: pl.DataFrame  # the tests that fired (TEST_COLUMNS and break_note)
    counted: pl.DataFrame  # (sid, asof, n_tests): the tests counted in the area's family
    ranked: pl.DataFrame  # (sid, asof, p_value) of those tests (findings.control bh only)
    points: pl.DataFrame  # the SPC charts shown (``ScanResult.points``)
    latest: pl.DataFrame  # the grid at the scan month
    standing: pl.DataFrame  # standing against London at the scan month
    signatures: pl.DataFrame  # (sid, _sig): each series' months and values, hashed
    values: pl.DataFrame  # (sid, month, value) in the months tested
    gap: pl.DataFrame  # the first month missing inside an SPC window (scan.spc.missing: error)


def _scan_part(
    values: pl.DataFrame,
    keys: pl.DataFrame,
    per_measure: pl.DataFrame,
    breaks: pl.DataFrame,
    flags: tuple[pl.DataFrame, pl.DataFrame],
    config: Config,
    months: list[date],
) -> _Part:
    """Every test of a part's series as of each of ``months``, its charts and figures."""
    scan_month = months[-1]
    settings = config.scan.findings
    max_years = max(config.settings_for(m.id).seasonal.years for m in config.measures)
    grid, at = _part_grid(values, keys, per_measure, config, months)
    chartable, gap = _chartable(grid, keys, per_measure, breaks, config, scan_month, flags)
    charts = _spc_charts(chartable, config, scan_month)
    tested = at.filter(pl.col("month").is_in(months) & pl.col("present")).with_columns(
        asof=pl.col("month")
    )
    area_types = settings.area_types
    testable = tested.filter(pl.col("area_type").is_in(area_types))
    latest_points = _spc_latest(
        chartable.join(
            keys.filter(pl.col("area_type").is_in(area_types)).select("sid"), on="sid", how="semi"
        ),
        months,
        config,
    )
    latest_points = latest_points.join(
        at.select(
            "sid",
            "month",
            "phi",
            "seasonal",
            "spc_min_mean",
            "spc_trend_length",
            "spc_shift_length",
            "numerator_mean",
        ),
        on=["sid", "month"],
        how="left",
    )
    standing = _peer_standing(at, months, config)
    tests = pl.concat(
        [
            spc_tests(latest_points, settings.corroboration_only, settings.seasonal_guard),
            seasonal_tests(
                testable.filter(pl.col("do_seasonal") & (pl.col("kind") == "count")),
                config.scan.provisional.expected_shortfall_pct,
                max_years,
            ),
            yoy_tests(
                testable.filter(pl.col("do_yoy") & (pl.col("kind") == "count")),
                config.scan.provisional.expected_shortfall_pct,
            ),
            rate_tests(testable.filter(pl.col("do_rate") & (pl.col("kind") == "proportion"))),
            target_tests(testable.filter(pl.col("do_target"))),
            peer_tests(standing.filter(pl.col("asof") >= months[0]), standing),
        ]
    )
    # every test the area ran counts in its family, fired or not
    counted = tests.filter((pl.col("n_tests") > 0) & pl.col("can_lead"))
    return _Part(
        # (only a test that fired can cross a recording break and stop firing)
        fired=_across_breaks(tests.filter(findings.may_matter()), breaks).filter(pl.col("fired")),
        counted=counted.group_by("sid", "asof").agg(pl.col("n_tests").sum()),
        ranked=counted.filter(pl.col("p_value").is_not_null()).select("sid", "asof", "p_value")
        if settings.control == "bh"
        else counted.clear().select("sid", "asof", "p_value"),
        points=charts.join(keys.select("sid", *SERIES_KEYS), on="sid", maintain_order="left")
        .select(POINT_COLUMNS)
        .with_columns(pl.col(POINT_TEXTS).cast(pl.Categorical)),
        latest=at.filter(pl.col("month") == scan_month).select(LATEST_COLUMNS),
        standing=standing.filter(pl.col("asof") == scan_month),
        signatures=_signatures(grid),
        values=at.filter(pl.col("month").is_in(months)).select("sid", "month", "value"),
        gap=gap,
    )


def comparison_frame(obs: pl.DataFrame, config: Config, month: date) -> pl.DataFrame:
    """Every series of ``obs`` against the same window a year earlier, for the four published
    windows, exactly as the scan computes them (for the published comparison tables)."""
    months = [month]
    table = series_table(observe(obs, scan_start(config, months), month), config)
    per_measure = measure_settings(config)
    latest = pl.concat(
        [
            _part_grid(table.values(keys), keys, per_measure, config, months)[1].filter(
                pl.col("month") == month
            )
            for keys in _parts(table.keys)
        ],
        how="diagonal_relaxed",
    )
    return _comparisons(latest, _break_table(table.keys, config), month, _no_tests())


def _no_tests() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "sid": pl.UInt32,
            "window": pl.String,
            "significant": pl.Boolean,
            "method": pl.String,
        }
    )


def _with_family_keys(
    keys: pl.DataFrame, combinations: pl.DataFrame, config: Config
) -> pl.DataFrame:
    """The family each series belongs to, for stable finding ids: a minor category's major
    category; a major category itself; a priority's largest major category (by its volume
    over every month loaded); the total. ``combinations``: ``Observed.combinations``."""
    groups = combinations.select("measure", "category", "category_group").unique(
        ["measure", "category"], keep="first", maintain_order=True
    )
    majors = (
        membership(combinations, config)
        .filter((pl.col("level") == "major") & (pl.col("container_level") == "priority"))
        .join(
            combinations.filter(pl.col("category_group") != "")
            .group_by("measure", "category_group")
            .agg(volume=pl.col("volume").sum()),
            left_on=["measure", "category"],
            right_on=["measure", "category_group"],
        )
        .sort("volume", descending=True)
        .unique(["measure", "container_category"], keep="first")
        .select("measure", category="container_category", _priority_major="category")
    )
    keys = keys.join(
        groups.rename({"category_group": "_group"}), on=["measure", "category"], how="left"
    )
    keys = keys.join(majors, on=["measure", "category"], how="left")
    family = (
        pl.when(pl.col("level") == "total")
        .then(pl.lit("total"))
        .when(pl.col("level") == "major")
        .then(pl.col("category"))
        .when(pl.col("level") == "priority")
        .then(pl.coalesce("_priority_major", "category"))
        .when(pl.col("_group").fill_null("") != "")
        .then(pl.col("_group"))
        .otherwise(pl.col("category"))
    )
    return keys.with_columns(family_key=family, improve=pl.col("direction")).drop(
        "_group", "_priority_major"
    )


def _with_lags(grid: pl.DataFrame) -> pl.DataFrame:
    return grid.with_columns(
        value_1_ago=pl.col("value").shift(1).over("sid"),
        value_12_ago=pl.col("value").shift(12).over("sid"),
        numerator_mean=pl.col("numerator").rolling_mean(24, min_samples=1).over("sid"),
    )


def _with_targets(grid: pl.DataFrame, config: Config) -> pl.DataFrame:
    targets = {m.id: m.target.value for m in config.measures if m.target}
    comparison = {m.id: m.target.comparison for m in config.measures if m.target}
    return grid.with_columns(
        target=pl.col("measure").replace_strict(targets, default=None, return_dtype=pl.Float64),
        target_comparison=pl.col("measure").replace_strict(
            comparison, default=None, return_dtype=pl.String
        ),
    )


def _break_table(keys: pl.DataFrame, config: Config) -> pl.DataFrame:
    """(sid, break month, last disrupted month, label, rebase) for every recording break that
    applies to a series: a break without categories applies to every series, else to series
    whose category, priority id or measure id is listed (ignoring case). A step change has no
    last disrupted month; a disrupted period (``until``) has one."""
    frames = []
    for b in config.scan.recording_breaks:
        names = [c.lower() for c in b.categories]
        applies = (
            keys
            if not names
            else keys.filter(
                pl.col("category").str.to_lowercase().is_in(names)
                | pl.col("priority_id").fill_null("").str.to_lowercase().is_in(names)
                | pl.col("measure").str.to_lowercase().is_in(names)
            )
        )
        frames.append(
            applies.select("sid").with_columns(
                break_month=pl.lit(parse_month(b.month)),
                break_until=pl.lit(parse_month(b.until) if b.until else None, dtype=pl.Date),
                break_label=pl.lit(b.label),
                rebase=pl.lit(b.rebase),
                # the break in words: its label and its months
                break_text=pl.lit(f"{b.label} ({_span(b)})"),
            )
        )
    schema = {
        "sid": pl.UInt32,
        "break_month": pl.Date,
        "break_until": pl.Date,
        "break_label": pl.String,
        "rebase": pl.Boolean,
        "break_text": pl.String,
    }
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def _span(recording_break) -> str:
    """A break's months: "2020-03", or "2024-03 to 2024-08" for a disrupted period."""
    start = f"{parse_month(recording_break.month):%Y-%m}"
    return (
        f"{start} to {parse_month(recording_break.until):%Y-%m}" if recording_break.until else start
    )


def _crosses(first: pl.Expr, last: pl.Expr) -> pl.Expr:
    """A comparison of the months from ``first`` to ``last`` is not comparable across a step
    change inside it, nor when it reaches into a disrupted period."""
    step = (
        pl.col("break_until").is_null()
        & (pl.col("break_month") > first)
        & (pl.col("break_month") <= last)
    )
    period = (
        pl.col("break_until").is_not_null()
        & (pl.col("break_month") <= last)
        & (pl.col("break_until") >= first)
    )
    return step | period


def _break_notes(crossing: pl.DataFrame, by: list[str], prefix: str) -> pl.DataFrame:
    """``by`` and ``break_note``: each group's breaks in words, "<prefix> <label> (<months>)",
    joined by "; " (an aggregated list joined after: a string join inside the aggregation was
    three times slower)."""
    return (
        crossing.group_by(by)
        .agg(_notes=pl.concat_str(pl.lit(prefix + " "), pl.col("break_text")))
        .with_columns(break_note=pl.col("_notes").list.join("; "))
        .drop("_notes")
    )


# --- SPC as of each month ---------------------------------------------------------------------------


def _chartable(
    grid: pl.DataFrame,
    keys: pl.DataFrame,
    per_measure: pl.DataFrame,
    breaks: pl.DataFrame,
    config: Config,
    scan_month: date,
    flags: tuple[pl.DataFrame, pl.DataFrame],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows an XmR chart can use, with the rebase flag: counts (zero-filled on the grid), and
    other kinds only where present (a published percentage every quarter is a series of its
    own points; one with holes in its window is not charted). And the first count month
    missing inside an SPC window where ``scan.spc.missing`` is ``error`` (the scan refuses
    it, naming the first such series of all the parts)."""
    wanted = [c for c in SPC_COLUMNS if c not in ("rebase", "excluded", "in_baseline")]
    settings = [c for c in per_measure.columns if c.startswith("spc_") or c == "do_spc"]
    charted_series = (
        keys.select("sid", "area", "measure", "category", "direction")
        .join(per_measure.select("measure", *settings), on="measure", how="left")
        .filter(pl.col("do_spc"))
    )
    charted = (
        grid.join(charted_series, on="sid", maintain_order="left")
        .filter((pl.col("kind") == "count") | pl.col("present"))
        .select(*wanted, "area", "measure", "category", "spc_missing")
    )
    gap = charted.filter(
        (pl.col("spc_missing") == "error") & (pl.col("kind") == "count") & ~pl.col("present")
        & (pl.col("mi") > pl.lit(scan_month.year * 12 + scan_month.month - 1) - pl.col("spc_window"))
    )  # fmt: skip
    rebase_breaks = breaks.filter(pl.col("rebase")).select(
        "sid", month="break_month", _break=pl.lit(True)
    )
    configured = pl.DataFrame(
        [
            (m.id, parse_month(month))
            for m in config.measures
            for month in config.settings_for(m.id).spc.rebase
        ],
        schema={"measure": pl.String, "month": pl.Date},
        orient="row",
    ).with_columns(_configured=pl.lit(True))
    excluded, baselines = flags
    chartable = (
        charted.join(rebase_breaks, on=["sid", "month"], how="left")
        .join(configured, on=["measure", "month"], how="left")
        .join(excluded.with_columns(excluded=pl.lit(True)), on=["sid", "month"], how="left")
        .join(baselines, on="sid", how="left")
        .with_columns(
            rebase=pl.col("_break").fill_null(False) | pl.col("_configured").fill_null(False),
            excluded=pl.col("excluded").fill_null(False),
            in_baseline=pl.col("month").is_between(pl.col("start"), pl.col("end")).fill_null(False),
        )
        .drop("_break", "_configured", "start", "end")
    )
    return chartable, gap.head(1).select("sid", "month", "area", "measure", "category")


LATEST_COLUMNS = [
    *SERIES_KEYS, "sid", "value", "numerator", "denominator", "provisional", "kind", "direction", "stock", "phi",
    "target", "value_1_ago",
    *[f"{c}_{w}" for w in ALL_WINDOWS for c in ("num", "den", "obs", "prov", "prev_num", "prev_den", "prev_obs")],
]  # fmt: skip
"""The columns of the scan month's figures that comparisons, status and standing read."""

SPC_COLUMNS = [
    "sid", "mi", "month", "value", "numerator", "denominator", "provisional", "direction", "rebase", "kind", "present",
    "excluded", "in_baseline", "spc_window", "spc_screen_moving_ranges", "spc_screen_factor", "spc_limit_factor", "spc_near_limit_factor",
    "spc_trend_length", "spc_shift_length",
]  # fmt: skip


def _spc_latest(chartable: pl.DataFrame, months: list[date], config: Config) -> pl.DataFrame:
    """Each series' point type as the last point of its chart, as of every month tested."""
    first = months[0].year * 12 + months[0].month - 1
    rows = chartable.filter(pl.col("mi") > first - pl.col("spc_window")).select(SPC_COLUMNS)
    latest = _last_points(rows, chartable, months, config)
    latest = latest.filter(
        pl.col("month").is_in(months) & (pl.col("present") | (pl.col("kind") == "count"))
    ).with_columns(asof=pl.col("month"))
    return _provisional_recheck(latest, chartable, config)


def _last_points(
    rows: pl.DataFrame, chartable: pl.DataFrame, months: list[date], config: Config
) -> pl.DataFrame:
    """``spc.latest_points`` for every series, after leaving out the months a meeting excluded
    from the limits (an excluded month is not tested). A series with an analyst's baseline has
    limits fixed to it, so each month tested gets its own chart from the baseline's start: few
    series have one, and ``spc_points`` draws them."""
    rows = rows.filter(~pl.col("excluded"))
    fixed = chartable.filter(pl.col("in_baseline")).select("sid").unique()
    latest = spc.latest_points(
        rows.join(fixed, on="sid", how="anti").with_columns(tested=pl.col("month").is_in(months)),
        config.scan.spc,
        rebase_col="rebase",
        wanted="tested",
    ).drop("tested")
    if fixed.height == 0:
        return latest
    history = (
        chartable.join(fixed, on="sid", how="semi").filter(~pl.col("excluded")).select(SPC_COLUMNS)
    )
    # (spc_points drops its own working columns, which start with "_": these must not)
    ends = history.filter(pl.col("month").is_in(months)).select("sid", chart_end="mi")
    charts = (
        history.join(ends, on="sid")
        .filter(pl.col("mi") <= pl.col("chart_end"))
        .with_columns(chart_copy=pl.col("sid").cast(pl.Int64) * 100_000 + pl.col("chart_end"))
    )
    charted = spc.spc_points(
        charts.drop("present"),
        ["chart_copy"],
        config.scan.spc,
        rebase_col="rebase",
        baseline_col="in_baseline",
    )
    last = charted.filter(pl.col("mi") == pl.col("chart_end")).drop("chart_copy", "chart_end")
    last = last.join(history.select("sid", "mi", "present"), on=["sid", "mi"], how="left")
    return pl.concat([latest, last.select(latest.columns)], how="vertical_relaxed")


def _provisional_recheck(
    latest: pl.DataFrame, chartable: pl.DataFrame, config: Config
) -> pl.DataFrame:
    """A fall to special cause in a provisional month must survive putting back the usual
    shortfall (``provisional.expected_shortfall_pct``): the chart is recomputed with that
    month's value raised, and the signal kept only if it is still there (``revised_away``)."""
    prov = config.scan.provisional
    downward = latest.filter(
        pl.col("provisional") & pl.col("special_cause_type").str.contains("Below|Decreasing")
    )
    if not prov.suppress_drops or downward.height == 0:
        return latest.with_columns(revised_away=pl.lit(False))
    wanted = downward.select("sid", "month")
    rows = chartable.join(wanted.select("sid").unique(), on="sid", how="semi").select(SPC_COLUMNS)
    ends = wanted.rename({"month": "recheck_end"})
    # one copy of the series per month rechecked, cut at that month, its last value raised
    copies = (
        rows.join(ends, on="sid")
        .filter(pl.col("month") <= pl.col("recheck_end"))
        .with_columns(
            value=pl.when(pl.col("month") == pl.col("recheck_end"))
            .then(pl.col("value") * (1 + prov.expected_shortfall_pct / 100))
            .otherwise(pl.col("value")),
            _copy=pl.col("sid").cast(pl.Int64) * 100_000
            + pl.col("recheck_end").dt.year().cast(pl.Int64) * 12
            + pl.col("recheck_end").dt.month(),
        )
    )
    rechecked = spc.latest_points(
        copies.with_columns(
            sid=pl.col("_copy"), tested=pl.col("month") == pl.col("recheck_end")
        ).drop("_copy"),
        config.scan.spc,
        rebase_col="rebase",
        wanted="tested",
    )
    still = rechecked.filter(
        (pl.col("month") == pl.col("recheck_end"))
        & pl.col("special_cause_type").str.contains("Below|Decreasing")
    )
    gone = wanted.join(
        still.select(sid=(pl.col("sid") // 100_000).cast(pl.UInt32), month="recheck_end"),
        on=["sid", "month"],
        how="anti",
    ).with_columns(revised_away=pl.lit(True))
    return latest.join(gone, on=["sid", "month"], how="left").with_columns(
        revised_away=pl.col("revised_away").fill_null(False)
    )


def _spc_charts(chartable: pl.DataFrame, config: Config, scan_month: date) -> pl.DataFrame:
    """The charts shown: each series' window of ``spc.window`` months ending at the scan month
    (from its baseline's start, where an analyst chose one), for series with a value that
    month; months a meeting left out of the limits shown against them."""
    end = scan_month.year * 12 + scan_month.month - 1
    live = chartable.filter((pl.col("mi") == end) & pl.col("present")).select("sid")
    start = pl.min_horizontal(
        end - pl.col("spc_window") + 1,
        pl.when(pl.col("in_baseline")).then(pl.col("mi")).min().over("sid").fill_null(end),
    )
    window = chartable.join(live, on="sid", how="semi").filter(pl.col("mi") >= start)
    others = window.filter(pl.col("kind") != "count")
    spacing = others.group_by("sid").agg(_steps=pl.col("mi").sort().diff().drop_nulls().n_unique())
    irregular = spacing.filter(pl.col("_steps") > 1).select("sid")
    window = window.join(irregular, on="sid", how="anti").with_columns(
        rebase=pl.col("rebase") & (pl.col("mi") != pl.col("mi").min().over("sid"))
    )
    return spc.spc_points(
        window.select(SPC_COLUMNS).drop("mi", "present"),
        ["sid"],
        config.scan.spc,
        rebase_col="rebase",
        exclude_col="excluded",
        baseline_col="in_baseline",
    )


# --- peers ----------------------------------------------------------------------------------------


def _peer_standing(grid: pl.DataFrame, months: list[date], config: Config) -> pl.DataFrame:
    """Funnel standing of every borough series in the months tested and the month before."""
    wanted = [month_add(months[0], -1), *months]
    rows = grid.filter(
        pl.col("do_peer")
        & (pl.col("area_type") == "borough")
        & pl.col("month").is_in(wanted)
        & pl.col("present")
        & pl.col("level").is_in(pl.col("peer_levels"))
    ).with_columns(asof=pl.col("month"))
    if rows.height == 0:
        return rows.with_columns(
            outside=pl.lit(False), rate=pl.lit(None, dtype=pl.Float64), london_rate=pl.lit(None, dtype=pl.Float64),
            z=pl.lit(None, dtype=pl.Float64), phi_peer=pl.lit(1.0),
        )  # fmt: skip
    return funnel(rows, config)


def _peer_context(
    standing: pl.DataFrame, keys: pl.DataFrame, config: Config, month: date
) -> pl.DataFrame:
    """Each borough series outside the London funnel this month: context, not a finding."""
    columns = {"borough": pl.String, "measure": pl.String, "level": pl.String, "category": pl.String, "rate": pl.Float64,
               "london_rate": pl.Float64, "z": pl.Float64, "assessment": pl.String, "evidence": pl.String, "name": pl.String}  # fmt: skip
    if standing.height == 0:
        return pl.DataFrame(schema=columns)
    outside = standing.filter(pl.col("outside"))
    rows = []
    for r in outside.iter_rows(named=True):
        test = {
            **r,
            "method": "peer",
            "rule": "funnel",
            "value": r["rate"],
            "baseline": r["london_rate"],
            "phi": r["phi_peer"],
            "provisional": False,
        }
        direction = "up" if r["z"] > 0 else "down"
        rows.append(
            {
                "borough": r["area"],
                "measure": r["measure"],
                "level": r["level"],
                "category": r["category"],
                "rate": r["rate"],
                "london_rate": r["london_rate"],
                "z": r["z"],
                "assessment": _assessment(direction, r["direction"]),
                "evidence": evidence.sentence(test, config, month),
                "name": evidence.name_of(test, config),
            }
        )
    return pl.DataFrame(rows, schema=columns).sort(pl.col("z").abs(), descending=True)


# --- tests across recording breaks, duplicate series ------------------------------------------------


def _across_breaks(tests: pl.DataFrame, breaks: pl.DataFrame) -> pl.DataFrame:
    """Comparisons across a recording break are shown but never fired."""
    if breaks.height == 0 or tests.height == 0:
        return tests.with_columns(break_note=pl.lit(None, dtype=pl.String))
    # the first month a comparison reads: its window, the years back it reaches
    first = month_index("asof") - (
        12 * pl.col("years").fill_null(1) + pl.col("months").fill_null(1) - 1
    )
    spans = tests.filter(pl.col("fired") & pl.col("method").is_in(["seasonal", "yoy", "rate"])).select(
        "sid", "asof", "method", "window", _first=pl.date(first // 12, first % 12 + 1, 1),
    ).unique()  # fmt: skip
    crossing = spans.join(breaks, on="sid").filter(_crosses(pl.col("_first"), pl.col("asof")))
    crossing = _break_notes(crossing, ["sid", "asof", "method", "window"], "not comparable across")
    return tests.join(crossing, on=["sid", "asof", "method", "window"], how="left").with_columns(
        fired=pl.col("fired") & pl.col("break_note").is_null()
    )


def _signatures(grid: pl.DataFrame) -> pl.DataFrame:
    """(sid, _sig): each series' months and values, hashed, to find series that are the same."""
    return (
        grid.select("sid", "mi", pl.col("numerator").round(6), pl.col("denominator").round(6))
        .sort("sid", "mi")
        .group_by("sid", maintain_order=True)
        .agg(_sig=pl.struct("mi", "numerator", "denominator").hash().sum())
    )


def _twins(signatures: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """(sid, twin_of): a series that is exactly another of its area and measure, month for
    month (a priority that is one published category, a major category with one minor), and
    the one it is counted as: the priority, else the broader level. ``signatures``: of every
    series (``_signatures``)."""
    return (
        keys.select(
            "sid",
            "area",
            "measure",
            _lvl=pl.col("level").replace_strict(findings.LEVEL_RANK, default=9),
        )
        .join(signatures, on="sid")
        .sort("_lvl", "sid")
        .with_columns(twin_of=pl.col("sid").first().over("area", "measure", "_sig"))
        .select("sid", "twin_of")
    )


METHOD_ORDER = ("spc", "seasonal", "yoy", "rate", "target", "peer")


def _in_order(tests: pl.DataFrame) -> pl.DataFrame:
    """Tests in one order whatever the parts: by method, window, series and month (ties in
    strength are broken by it)."""
    return tests.sort(
        pl.col("method").replace_strict(
            {m: i for i, m in enumerate(METHOD_ORDER)},
            default=len(METHOD_ORDER),
            return_dtype=pl.Int32,
        ),
        pl.col("window").replace_strict(
            {w: i for i, w in enumerate(ALL_WINDOWS)},
            default=len(ALL_WINDOWS),
            return_dtype=pl.Int32,
        ),
        "sid",
        "asof",
        "rule",
        maintain_order=True,
        nulls_last=True,
    )


def _family(
    parts: list[_Part], keys: pl.DataFrame, twins: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(area, asof, m): the tests each area ran each month (fired or not), less those of
    series counted as another (``duplicate``); and (area, asof, p_value) of those with a
    p-value: ``findings.with_significance`` reads them."""
    duplicates = twins.filter(pl.col("twin_of") != pl.col("sid"))
    counted = keys.select("sid", "area").join(duplicates, on="sid", how="anti")
    sizes = (
        pl.concat([p.counted for p in parts])
        .join(counted, on="sid")
        .group_by("area", "asof")
        .agg(m=pl.col("n_tests").sum().cast(pl.Int64))
    )
    ranked = (
        pl.concat([p.ranked for p in parts])
        .join(counted, on="sid")
        .select("area", "asof", "p_value")
    )
    return sizes, ranked


def _deduplicate(tests: pl.DataFrame, twins: pl.DataFrame) -> pl.DataFrame:
    """A series that is exactly another is counted once in the area's family of tests; its
    results still join the same finding through the categories that contain it."""
    return (
        tests.join(twins, on="sid", how="left")
        .with_columns(
            duplicate=pl.col("twin_of").is_not_null() & (pl.col("twin_of") != pl.col("sid"))
        )
        .drop("twin_of")
    )


# --- this month's findings, in words --------------------------------------------------------------


def _assessment(direction: str, improve: str) -> str:
    if improve == "neutral":
        return "neutral"
    return "improvement" if direction == improve else "concern"


def _finding_rows(
    current: pl.DataFrame, tests: pl.DataFrame, keys: pl.DataFrame, config: Config, month: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(findings, tests shown): the findings of the scan month with their evidence, and every
    test that fired this month with the finding it belongs to."""
    members = (
        current.select("finding_id", "members", "direction", "headline_sid")
        .explode("members")
        .rename({"members": "sid"})
    )
    shown = tests.filter(pl.col("significant") | pl.col("supports")).join(
        members.select("sid", "finding_id", _news="direction"), on="sid", how="left"
    )
    shown = shown.with_columns(
        role=pl.when(pl.col("finding_id").is_null())
        .then(pl.lit("alone"))
        .when(pl.col("direction") != pl.col("_news"))
        .then(pl.lit("context"))
        .when(pl.col("significant"))
        .then(pl.lit("lead"))
        .otherwise(pl.lit("support")),
        score=pl.when(pl.col("p_value").is_not_null())
        .then(score_expr(pl.col("p_value")))
        .otherwise(pl.lit(2.0)),
    )
    # tests that support nothing on their own (a corroborating rule on a quiet series) are not shown
    shown = shown.filter(pl.col("role") != "alone").drop("_news")
    rows = shown.to_dicts()
    for r in rows:
        r["evidence"] = evidence.sentence(r, config, month)
        r["assessment"] = _test_assessment(r)
    test_rows = (
        pl.DataFrame(rows, infer_schema_length=None)
        if rows
        else shown.with_columns(
            evidence=pl.lit(None, dtype=pl.String), assessment=pl.lit(None, dtype=pl.String)
        )
    )
    test_rows = test_rows.with_columns(
        borough=pl.col("area"),
        bcu=pl.col("area").replace_strict(_bcus(config), default=None),
        period=pl.lit(f"{month:%Y-%m}"),
    )

    by_finding = {fid: [] for fid in current["finding_id"].to_list()}
    for r in rows:
        if r["finding_id"] in by_finding:
            by_finding[r["finding_id"]].append(r)
    wanted = {m for ms in current["members"].to_list() for m in ms}
    names = {
        r["sid"]: evidence.name_of(r, config)
        for r in keys.filter(pl.col("sid").is_in(list(wanted))).to_dicts()
    }
    duplicates = {r["sid"] for r in rows if r["duplicate"]} - {
        r["sid"] for r in rows if not r["duplicate"]
    }
    out = []
    for f in current.iter_rows(named=True):
        group = by_finding[f["finding_id"]]
        lead = [t for t in group if t["role"] == "lead"]
        head_tests = [t for t in lead if t["sid"] == f["headline_sid"]] or lead
        head = sorted(head_tests, key=lambda t: (-t["score"], t["months"] or 0))[0]
        # a series that is exactly another (a priority that is one category) is listed once
        supporting = sorted(
            (t for t in group if t["role"] in ("lead", "support") and not t["duplicate"]),
            key=lambda t: -t["score"],
        )
        context = [t for t in group if t["role"] == "context"]
        assessment = _test_assessment(head)
        measure = config.measure(head["measure"])
        out.append(
            {
                "finding_id": f["finding_id"],
                "status": f["status"],
                "months_running": f["months_running"],
                "enduring": f["months_running"] >= config.meeting.enduring_months,
                "borough": f["area"],
                "area_type": f["area_type"],
                "bcu": _bcus(config).get(f["area"]),
                "measure": head["measure"],
                "measure_label": measure.label,
                "name": names[f["headline_sid"]],
                "level": head["level"],
                "category": head["category"],
                "priority_id": head["priority_id"],
                "period": f"{month:%Y-%m}",
                "window": head["window"],
                "value": head["value"],
                "baseline": head["baseline"],
                "change": head["change"],
                "change_pct": head["change_pct"],
                "method": head["method"],
                "rule": head["rule"],
                "direction": head["direction"],
                "assessment": assessment,
                "score": round(max(t["score"] for t in lead), 3),
                "p_value": head["p_value"],
                "provisional": bool(head["provisional"]),
                "lower_limit": head["lower_limit"],
                "upper_limit": head["upper_limit"],
                "target": head["target"],
                "kind": head["kind"],
                "evidence": head["evidence"],
                "related": "; ".join(_related(f, names, duplicates)),
                "tests": "; ".join(evidence.short(t, config) for t in supporting),
                "n_tests": len(supporting),
                "context": "; ".join(t["evidence"] for t in context),
                "learn_from": None,
            }
        )
    frame = (
        pl.DataFrame(out, schema=FINDING_COLUMNS) if out else pl.DataFrame(schema=FINDING_COLUMNS)
    )
    frame = frame.sort(
        "score", "borough", "measure", "name", descending=[True, False, False, False]
    )
    return frame, test_rows


def _with_learn_from(findings_frame: pl.DataFrame, improvers: pl.DataFrame) -> pl.DataFrame:
    """Each concern's peers that improved, in words (``present.learn_from_text``)."""
    from crimefighters.present import learn_from_text

    peers: dict[str, list[dict]] = {}
    for row in improvers.iter_rows(named=True):
        peers.setdefault(row["finding_id"], []).append(row)
    texts = [
        learn_from_text(window, peers.get(fid, [])) or None
        for fid, window in zip(findings_frame["finding_id"], findings_frame["window"], strict=True)
    ]
    return findings_frame.with_columns(learn_from=pl.Series(texts, dtype=pl.String))


def _related(finding: dict, names: dict, duplicates: set) -> list[str]:
    """The other series a finding covers, each once, by name."""
    seen = {names[finding["headline_sid"]]}
    out = []
    for sid in finding["members"]:
        name = names[sid]
        if sid in duplicates or name in seen:
            continue
        seen.add(name)
        out.append(name)
    return out


def _test_assessment(row: dict) -> str:
    if row["rule"] == "target_missed":
        return "concern"
    if row["rule"] == "target_met":
        return "improvement"
    return _assessment(row["direction"], row["improve"])


def _bcus(config: Config) -> dict[str, str]:
    return {b.name: b.bcu for b in config.geography.boroughs}


def _resolved_rows(
    resolved: pl.DataFrame, tests: pl.DataFrame, keys: pl.DataFrame, config: Config
) -> pl.DataFrame:
    """Findings open last month and not now: what they were, by name."""
    schema = {"finding_id": pl.String, "borough": pl.String, "area_type": pl.String, "measure": pl.String, "name": pl.String,
              "direction": pl.String, "assessment": pl.String, "last_month": pl.String}  # fmt: skip
    if resolved.height == 0:
        return pl.DataFrame(schema=schema)
    heads = resolved.join(
        keys.select(headline_sid="sid", level="level", category="category", improve="improve"),
        on="headline_sid",
    )
    rows = []
    for r in heads.iter_rows(named=True):
        rows.append(
            {
                "finding_id": r["finding_id"],
                "borough": r["area"],
                "area_type": r["area_type"],
                "measure": r["measure"],
                "name": evidence.name_of(r, config),
                "direction": r["direction"],
                "assessment": _assessment(r["direction"], r["improve"]),
                "last_month": f"{r['asof']:%Y-%m}",
            }
        )
    return pl.DataFrame(rows, schema=schema).sort("borough", "name")


# --- comparisons and status of every series --------------------------------------------------------


def _comparisons(
    latest: pl.DataFrame, breaks: pl.DataFrame, month: date, tests: pl.DataFrame
) -> pl.DataFrame:
    """Every series against the same window a year earlier (all four published windows),
    with the dispersion-aware p-value for counts; shown in drill-downs and priorities.
    ``flagged``: a significant test this month covers that window (against last year, or
    against the same months of earlier years)."""
    # the series' keys and texts are put on once, after the sort: every step before carries
    # only ``sid`` (at 100x the comparisons are a million rows, and each copy of five key
    # strings a row was another quarter of a gigabyte)
    texts = latest.select("sid", *SERIES_KEYS, "kind", "direction")
    frames = []
    for window in ALL_WINDOWS:
        length = window_length(window, month)
        rows = latest.filter(
            (pl.col(f"obs_{window}") == length)
            & (pl.col(f"prev_obs_{window}") == length)
            # a stock (people wanted at the month's end) is compared month by month, never summed
            & (~pl.col("stock").fill_null(False) | (pl.lit(window) == "1"))
        )
        if rows.height == 0:
            continue
        with_den = (
            pl.col("denominator").is_not_null()
            & (pl.col(f"den_{window}") > 0)
            & (pl.col(f"prev_den_{window}") > 0)
        )
        rows = rows.select(
            "sid",
            "phi",
            window=pl.lit(window),
            current=pl.when(with_den)
            .then(pl.col(f"num_{window}") / pl.col(f"den_{window}"))
            .otherwise(pl.col(f"num_{window}")),
            previous=pl.when(with_den)
            .then(pl.col(f"prev_num_{window}") / pl.col(f"prev_den_{window}"))
            .otherwise(pl.col(f"prev_num_{window}")),
            current_num=pl.col(f"num_{window}"),
            previous_num=pl.col(f"prev_num_{window}"),
            current_den=pl.col(f"den_{window}"),
            previous_den=pl.col(f"prev_den_{window}"),
            current_start=pl.lit(month_add(month, -(length - 1))),
            provisional=pl.col(f"prov_{window}") > 0,
            _count=pl.col("kind") == "count",
        )
        frames.append(rows)
    if not frames:
        return pl.DataFrame()
    frame = pl.concat(frames)
    del frames
    counts = frame["_count"]
    p = conditional_poisson_p(
        frame["current_num"].to_numpy(),
        frame["previous_num"].to_numpy(),
        0.5,
        frame["phi"].to_numpy(),
    )
    frame = frame.with_columns(
        p_value=pl.when(pl.Series(counts)).then(pl.Series(p, dtype=pl.Float64))
    )
    del p, counts
    frame = frame.with_columns(
        change=pl.col("current") - pl.col("previous"),
        change_pct=pl.when((pl.col("previous") != 0) & pl.col("_count")).then(
            (pl.col("current") - pl.col("previous")) / pl.col("previous") * 100
        ),
        wheeler_z=pl.when(pl.col("_count")).then(
            2 * (pl.col("current").sqrt() - pl.col("previous").sqrt())
        ),
        previous_start=pl.col("current_start").dt.offset_by("-1y"),
    ).drop("_count")
    if breaks.height:
        # a window's previous start is the same for every series: the breaks each window
        # crosses are found among the breaks, not among the comparisons times the breaks
        crossing = pl.concat(
            breaks.filter(_crosses(pl.lit(start), pl.lit(month))).select(
                "sid", "break_text", window=pl.lit(window)
            )
            for window, start in frame.select("window", "previous_start")
            .unique(maintain_order=True)
            .iter_rows()
        )
        crossing = _break_notes(crossing, ["sid", "window"], "not comparable across")
        frame = frame.join(crossing, on=["sid", "window"], how="left")
    else:
        frame = frame.with_columns(break_note=pl.lit(None, dtype=pl.String))
    significant = (
        tests.filter(pl.col("significant") & pl.col("method").is_in(["yoy", "seasonal", "rate"]))
        .select("sid", "window")
        .unique()
    )
    frame = frame.join(
        significant.with_columns(flagged=pl.lit(True)), on=["sid", "window"], how="left"
    ).with_columns(flagged=pl.col("flagged").fill_null(False))
    # sorted by the series' keys and the window (as before), through each series' rank
    # among the keys: the sort moves numbers, and the texts are gathered once in that order
    texts = texts.sort(SERIES_KEYS).with_row_index("_rank")
    frame = frame.with_columns(
        _rank=pl.col("sid").replace_strict(texts["sid"], texts["_rank"], return_dtype=pl.UInt32)
    ).sort("_rank", "window")
    return pl.concat(
        [texts.drop("_rank", "sid")[frame["_rank"]], frame], how="horizontal"
    ).select(
        *SERIES_KEYS, "window", "current_start", "previous_start", "current", "previous", "current_num", "previous_num",
        "current_den", "previous_den", "change", "change_pct", "p_value", "wheeler_z", "phi", "flagged", "provisional", "kind",
        "direction", "break_note",
    )  # fmt: skip


def _status(
    latest: pl.DataFrame,
    points: pl.DataFrame,
    found: pl.DataFrame,
    tests: pl.DataFrame,
    breaks: pl.DataFrame,
    config: Config,
    month: date,
) -> pl.DataFrame:
    """Latest value and state of every series, charted or not."""
    status = latest.select(
        *SERIES_KEYS,
        "sid",
        "value",
        "numerator",
        "denominator",
        "kind",
        "direction",
        "provisional",
        "target",
        previous_value="value_1_ago",
    )
    if points.height:
        spc_latest = points.filter(pl.col("month") == month).select(
            pl.col(SERIES_KEYS).cast(pl.String),
            "mean",
            "lpl",
            "upl",
            pl.col("special_cause_type", "point_type").cast(pl.String),
            group_months=pl.col("group_points"),
        )
        status = status.join(spc_latest, on=SERIES_KEYS, how="left")
    else:
        status = status.with_columns(
            mean=pl.lit(None, dtype=pl.Float64), lpl=pl.lit(None, dtype=pl.Float64), upl=pl.lit(None, dtype=pl.Float64),
            special_cause_type=pl.lit(None, dtype=pl.String), point_type=pl.lit(None, dtype=pl.String), group_months=pl.lit(None, dtype=pl.UInt32),
        )  # fmt: skip
    status = status.with_columns(assurance=spc.assurance_expr())
    window_start = month_add(month, -(config.scan.spc.window - 1))
    inside = breaks.filter(_crosses(pl.lit(window_start), pl.lit(month)))
    if inside.height:
        notes = _break_notes(inside, ["sid"], "the window spans")
        status = status.join(notes, on="sid", how="left")
    else:
        status = status.with_columns(break_note=pl.lit(None, dtype=pl.String))
    status = status.with_columns(
        state=pl.when(pl.col("point_type").is_null())
        .then(pl.lit("not charted"))
        .when(pl.col("point_type") == "special_cause_concern")
        .then(pl.lit("concern"))
        .when(pl.col("point_type") == "special_cause_improvement")
        .then(pl.lit("improvement"))
        .when(pl.col("point_type").str.starts_with("special_cause_neutral"))
        .then(pl.lit("neutral"))
        .otherwise(pl.lit("common cause"))
    )
    # the finding a series belongs to this month, and uncharted series take its state
    if tests.height:
        member = (
            tests.filter(pl.col("role").is_in(["lead", "support"]))
            .sort("score", descending=True)
            .unique("sid", keep="first")
            .select("sid", finding_id="finding_id", _flagged="assessment")
        )
        status = status.join(member, on="sid", how="left")
    else:
        status = status.with_columns(
            finding_id=pl.lit(None, dtype=pl.String), _flagged=pl.lit(None, dtype=pl.String)
        )
    status = status.with_columns(
        state=pl.when((pl.col("state") == "not charted") & pl.col("_flagged").is_not_null())
        .then(pl.col("_flagged"))
        .otherwise(pl.col("state"))
    ).drop("_flagged", "sid")
    return status.sort(SERIES_KEYS)


__all__ = [
    "CSV_FIELDS",
    "FINDING_COLUMNS",
    "ScanResult",
    "default_scan_month",
    "empty_tests",
    "run_scan",
]
