"""XmR charts with the NHS "Making Data Count" rules, as NHSRplotthedots 0.2.2 computes them.

For each series (and each rebase group within it):
- centre line: mean of the points; moving ranges mR_i = |y_i - y_{i-1}|; mean moving range
  AmR; screening drops mR >= 3.267 x AmR and recomputes AmR once;
- process limits mean +/- 2.66 AmR; near-limit band mean +/- 1.7733 AmR (2/3 of 2.66);
- rules in precedence: outside the limits (strictly beyond); a 7-point trend (6 strict rises
  or falls; a tie breaks it; the whole run is flagged); two of three consecutive points in the
  near-limit band (beyond 2/3 of the limits but not outside them) with all three on one side
  of the mean (only the near-limit points are flagged); a shift of 7 points on one side of
  the mean (a point on the mean breaks it; the whole run is flagged).

Everything is a Polars expression evaluated ``.over`` the series, so all series of a scan are
charted in one pass. Constants come from ``SPCSettings``, or per row from the columns
``spc_screen_moving_ranges``, ``spc_screen_factor``, ``spc_limit_factor``,
``spc_near_limit_factor``, ``spc_trend_length`` and ``spc_shift_length`` when the frame has them
(each measure's own settings, ``scan.settings.measure_settings``).
"""

from __future__ import annotations

import polars as pl

from crimefighters.config.models import SPCSettings

COMMON_CAUSE = "Common Cause"
PARAMETERS = (
    "screen_moving_ranges",
    "screen_factor",
    "limit_factor",
    "near_limit_factor",
    "trend_length",
    "shift_length",
)


def with_parameters(frame: pl.DataFrame, settings: SPCSettings) -> pl.DataFrame:
    """Add the SPC constants as columns (``spc_<name>``) where the frame does not carry them."""
    return frame.with_columns(
        [
            pl.lit(getattr(settings, name)).alias(f"spc_{name}")
            for name in PARAMETERS
            if f"spc_{name}" not in frame.columns
        ]
    )


EXCLUDED = "Excluded from limits"


def spc_points(
    frame: pl.DataFrame,
    keys: list[str],
    settings: SPCSettings,
    rebase_col: str | None = None,
    exclude_col: str | None = None,
    baseline_col: str | None = None,
) -> pl.DataFrame:
    """Per point: mean, limits, special-cause type and point type, for series sorted by month.

    ``frame`` needs ``keys``, ``month``, ``value``, ``direction`` (up/down/neutral), and
    optionally a boolean ``rebase_col`` that is true at the first month of a new limit group.

    Meeting annotations can leave points out (``exclude_col``): the chart is computed as
    NHSRplotthedots would compute it on the series without them, and the points are shown
    against those limits as "Excluded from limits". An analyst's baseline (``baseline_col``
    true on its months) fixes a group's centre line and limits to the baseline months, as
    NHSRplotthedots' ``fix_after_n_points`` does for the first n.

    Series are laid end to end (sorted by key and month) and numbered; every rule is then a
    flat expression over neighbouring rows that stops at a group boundary, which is much
    faster than a window partition per series.
    """
    if frame.height == 0:
        # the columns of a chart, in its order
        return frame.with_columns(
            mean=pl.lit(None, dtype=pl.Float64),
            group_points=pl.lit(0, dtype=pl.UInt32),
            **{c: pl.lit(None, dtype=pl.Float64) for c in ("amr", "lpl", "upl", "nlpl", "nupl")},
            special_cause_type=pl.lit(None, dtype=pl.String),
            point_type=pl.lit(None, dtype=pl.String),
        ).drop([c for c in frame.columns if c.startswith("spc_") and c[4:] in PARAMETERS])
    if exclude_col and frame[exclude_col].fill_null(False).any():
        left_out = frame.filter(pl.col(exclude_col).fill_null(False))
        charted = spc_points(
            frame.filter(~pl.col(exclude_col).fill_null(False)),
            keys,
            settings,
            rebase_col,
            None,
            baseline_col,
        )
        return _with_excluded(charted, left_out, keys)
    frame = with_parameters(frame, settings)
    y = pl.col("value")
    new_series = pl.any_horizontal([pl.col(k) != pl.col(k).shift(1) for k in keys]).fill_null(True)
    rebase = pl.col(rebase_col).fill_null(False) if rebase_col else pl.lit(False)
    base = pl.col(baseline_col).fill_null(False) if baseline_col else pl.lit(False)
    lf = (
        frame.lazy()
        .sort([*keys, "month"])
        .with_columns(_gid=(new_series | rebase).cum_sum(), _base=base)
        .with_columns(
            _same=(pl.col("_gid") == pl.col("_gid").shift(1)).fill_null(False),
            # the months the limits come from: the baseline where a group has one, else all
            _basis=pl.when(pl.col("_base").any().over("_gid"))
            .then(pl.col("_base"))
            .otherwise(True),
        )
        .with_columns(
            mean=y.filter(pl.col("_basis")).mean().over("_gid"),
            group_points=pl.len().over("_gid"),
            _mr=pl.when(pl.col("_same")).then((y - y.shift(1)).abs()),
            _d=pl.when(pl.col("_same")).then((y - y.shift(1)).sign()).otherwise(0).cast(pl.Int32),
            _mr_basis=pl.col("_basis")
            & pl.col("_basis").shift(1).fill_null(False)
            & pl.col("_same"),
        )
        .with_columns(_amr0=pl.col("_mr").filter(pl.col("_mr_basis")).mean().over("_gid"))
    )
    screened = pl.col("_mr").filter(
        pl.col("_mr_basis") & (pl.col("_mr") < pl.col("spc_screen_factor") * pl.col("_amr0"))
    )
    lf = lf.with_columns(
        amr=pl.when(pl.col("spc_screen_moving_ranges"))
        .then(screened.mean().over("_gid"))
        .otherwise(pl.col("_amr0"))
    )
    amr = pl.col("amr").fill_null(0.0)
    lf = lf.with_columns(
        lpl=pl.col("mean") - pl.col("spc_limit_factor") * amr,
        upl=pl.col("mean") + pl.col("spc_limit_factor") * amr,
        nlpl=pl.col("mean") - pl.col("spc_near_limit_factor") * amr,
        nupl=pl.col("mean") + pl.col("spc_near_limit_factor") * amr,
        _rtm=(y - pl.col("mean")).sign().cast(pl.Int32),
    ).with_columns(_outside=(y > pl.col("upl")) | (y < pl.col("lpl")))
    lf = lf.with_columns(
        _close=(~pl.col("_outside") & ((y < pl.col("nlpl")) | (y > pl.col("nupl")))).cast(pl.Int32)
    )
    lf = _trend(lf, pl.col("spc_trend_length"))
    lf = _shift(lf, pl.col("spc_shift_length"))
    lf = _two_in_three(lf)

    rule = (
        pl.when(pl.col("_outside"))
        .then(OUTSIDE)
        .when(pl.col("_in_trend"))
        .then(TREND)
        .when(pl.col("_in_two_three"))
        .then(TWO_OF_THREE)
        .when(pl.col("_in_shift"))
        .then(SHIFT)
        .otherwise(NONE)
    )
    up = (
        pl.when(pl.col("_outside"))
        .then(pl.col("_rtm") == 1)
        .when(pl.col("_in_trend"))
        .then(pl.col("_trend_dir") == 1)
        .otherwise(pl.col("_rtm") > 0)
    )
    lf = lf.with_columns(_rule=rule, _up=up).with_columns(**_labels(frame))
    # the in-memory engine: these windows over groups ran a third slower streamed (Polars 2's
    # default for a lazy query)
    out = lf.collect(engine="in-memory")
    return out.drop(
        [
            c
            for c in out.columns
            if c.startswith("_") or (c.startswith("spc_") and c[4:] in PARAMETERS)
        ]
    )


def _next_same() -> pl.Expr:
    """True where the next row is in the same limit group."""
    return (pl.col("_gid").shift(-1) == pl.col("_gid")).fill_null(False)


def _trend(lf: pl.LazyFrame, length: pl.Expr) -> pl.LazyFrame:
    """Points in a run of ``length`` points each strictly above (below) the one before."""
    # Runs of equal differences; a new group always starts a new run.
    lf = lf.with_columns(
        _drun=((pl.col("_d") != pl.col("_d").shift(1)).fill_null(True) | ~pl.col("_same")).cum_sum()
    )
    lf = lf.with_columns(_dlen=pl.len().over("_drun"))
    # A run of (length - 1) equal non-zero differences covers ``length`` points: the run's own
    # points plus the point before its first difference.
    in_run = (pl.col("_d") != 0) & (pl.col("_dlen") >= length - 1)
    lf = lf.with_columns(_in_run=in_run)
    starts_run = (
        _next_same()
        & pl.col("_in_run").shift(-1).fill_null(False)
        & (pl.col("_drun") != pl.col("_drun").shift(-1))
    )
    lf = lf.with_columns(_in_trend=pl.col("_in_run") | starts_run)
    # NHSRplotthedots: a point in a trend takes the sign of the difference to its right when
    # the next point is in the trend too, otherwise the difference to its left.
    next_in_trend = _next_same() & pl.col("_in_trend").shift(-1).fill_null(False)
    right = pl.col("_d").shift(-1).fill_null(0)
    return lf.with_columns(
        _trend_dir=pl.when(pl.col("_in_trend") & next_in_trend).then(right).otherwise(pl.col("_d"))
    )


def _shift(lf: pl.LazyFrame, length: pl.Expr) -> pl.LazyFrame:
    """Points in a run of ``length`` or more on one side of the mean (on the mean breaks it)."""
    lf = lf.with_columns(
        _srun=(
            (pl.col("_rtm") != pl.col("_rtm").shift(1)).fill_null(True) | ~pl.col("_same")
        ).cum_sum()
    )
    lf = lf.with_columns(_slen=pl.len().over("_srun"))
    return lf.with_columns(_in_shift=(pl.col("_rtm") != 0) & (pl.col("_slen") >= length))


def _two_in_three(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Near-limit points that are 2 of 3 consecutive near-limit points all on one side."""
    close = pl.col("_close")
    rtm = pl.col("_rtm")
    # the window of points i-2, i-1, i exists only inside one group
    whole = (pl.col("_gid").shift(2) == pl.col("_gid")).fill_null(False)
    window_ok = (
        whole
        & (close + close.shift(1) + close.shift(2) >= 2)
        & ((rtm + rtm.shift(1) + rtm.shift(2)).abs() == 3)
    )
    lf = lf.with_columns(_w=window_ok.fill_null(False))
    # windows ending here, at the next point or the one after (none past the group's end)
    ahead1 = (pl.col("_gid").shift(-1) == pl.col("_gid")).fill_null(False) & pl.col("_w").shift(
        -1
    ).fill_null(False)
    ahead2 = (pl.col("_gid").shift(-2) == pl.col("_gid")).fill_null(False) & pl.col("_w").shift(
        -2
    ).fill_null(False)
    return lf.with_columns(_in_two_three=(close == 1) & (pl.col("_w") | ahead1 | ahead2))


NONE, OUTSIDE, TREND, TWO_OF_THREE, SHIFT = 0, 1, 2, 3, 4  # the rules, in precedence


def _labels(frame: pl.DataFrame) -> dict[str, pl.Expr]:
    """``special_cause_type`` and ``point_type`` from ``_rule`` (the first rule a point
    meets), ``_up`` (above the mean, or a rising trend), the run lengths and ``direction``.

    The texts are NHSRplotthedots': "Above UCL", "7 Point Trend (Increasing)", "2 in 3 Below
    CL", "7 Points Above CL", "Common Cause". Where every row has the same run lengths (as a
    rule) they are literals, not formatted row by row (that was half of an SPC chart's time).
    """
    rule, up = pl.col("_rule"), pl.col("_up")

    def worded(template: str, column: str, ups: tuple[str, str]) -> pl.Expr:
        lengths = frame[column].unique().to_list()
        if len(lengths) == 1:
            first, second = (template.format(lengths[0], word) for word in ups)
            return pl.when(up).then(pl.lit(first)).otherwise(pl.lit(second))
        word = pl.when(up).then(pl.lit(ups[0])).otherwise(pl.lit(ups[1]))
        return pl.format(template, pl.col(column), word)

    special = (
        pl.when(rule == OUTSIDE)
        .then(pl.when(up).then(pl.lit("Above UCL")).otherwise(pl.lit("Below LCL")))
        .when(rule == TREND)
        .then(worded("{} Point Trend ({})", "spc_trend_length", ("Increasing", "Decreasing")))
        .when(rule == TWO_OF_THREE)
        .then(pl.when(up).then(pl.lit("2 in 3 Above CL")).otherwise(pl.lit("2 in 3 Below CL")))
        .when(rule == SHIFT)
        .then(worded("{} Points {} CL", "spc_shift_length", ("Above", "Below")))
        .otherwise(pl.lit(COMMON_CAUSE))
    )
    sign = pl.when(rule == NONE).then(0).when(up).then(1).otherwise(-1)
    direction = pl.col("direction")
    improvement = pl.when(direction == "up").then(1).when(direction == "down").then(-1).otherwise(0)
    oriented = sign * improvement
    point_type = (
        pl.when(sign == 0)
        .then(pl.lit("common_cause"))
        .when(improvement == 0)
        .then(
            pl.when(sign > 0)
            .then(pl.lit("special_cause_neutral_high"))
            .otherwise(pl.lit("special_cause_neutral_low"))
        )
        .when(oriented > 0)
        .then(pl.lit("special_cause_improvement"))
        .otherwise(pl.lit("special_cause_concern"))
    )
    return {"special_cause_type": special, "point_type": point_type}


def assurance(direction: str, target: float | None, lpl: float, upl: float) -> str | None:
    """Making Data Count assurance: can the process be relied on to meet the target?"""
    if target is None or direction == "neutral":
        return None
    increasing = direction == "up"
    if target > upl:
        return "consistent_fail" if increasing else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if increasing else "consistent_fail"
    return "inconsistent"


def assurance_expr() -> pl.Expr:
    """``assurance`` for every row with ``direction``, ``target``, ``lpl`` and ``upl``: null
    where the chart has no limits."""
    increasing = pl.col("direction") == "up"
    target, lpl, upl = pl.col("target"), pl.col("lpl"), pl.col("upl")
    # (as in ``assurance``, a comparison with NaN is false: Polars orders NaN above everything)
    numbers = ~(target.is_nan() | lpl.is_nan() | upl.is_nan())
    return (
        pl.when(
            lpl.is_null() | upl.is_null() | target.is_null() | (pl.col("direction") == "neutral")
        )
        .then(pl.lit(None, dtype=pl.String))
        .when(numbers & (target > upl))
        .then(
            pl.when(increasing).then(pl.lit("consistent_fail")).otherwise(pl.lit("consistent_pass"))
        )
        .when(numbers & (target < lpl))
        .then(
            pl.when(increasing).then(pl.lit("consistent_pass")).otherwise(pl.lit("consistent_fail"))
        )
        .otherwise(pl.lit("inconsistent"))
        .alias("assurance")
    )


def latest_points(
    frame: pl.DataFrame,
    settings: SPCSettings,
    rebase_col: str | None = None,
    wanted: str | None = None,
) -> pl.DataFrame:
    """For every row: its point type as the LAST point of the chart ending there.

    The same rules and precedence as ``spc_points``, evaluated for each month as the end of
    its own window of ``spc_window`` months (the column, or ``settings.window``): one rolling
    pass instead of one chart per month. The scan uses it to test each series as of the scan
    month and the months before; tests/test_spc.py checks it against ``spc_points`` on real
    series, month by month.

    ``frame``: one row per series month with ``sid``, ``mi`` (month index), ``value``,
    ``direction``; optional per-row settings columns as for ``spc_points``. ``wanted``: a
    boolean column; when given, only its rows are returned (and classified), the windows
    ending there still reading every row before them.
    """
    frame = with_parameters(frame, settings)
    if "spc_window" not in frame.columns:
        frame = frame.with_columns(spc_window=pl.lit(settings.window))
    if frame.height == 0:
        return frame.with_columns(
            [
                pl.lit(None, dtype=pl.Float64).alias(c)
                for c in ("mean", "amr", "lpl", "upl", "nlpl", "nupl")
            ]
            + [
                pl.lit(None, dtype=pl.String).alias("special_cause_type"),
                pl.lit(None, dtype=pl.String).alias("point_type"),
                pl.lit(0, dtype=pl.UInt32).alias("group_points"),
            ]
        ).drop([c for c in frame.columns if c.startswith("spc_") and c[4:] in PARAMETERS])
    columns = frame.columns
    y = pl.col("value")
    rebase = pl.col(rebase_col).fill_null(False) if rebase_col else pl.lit(False)
    # Series laid end to end; a "limit group" starts at each series' first month and at each
    # rebase month, and every neighbour comparison stops at a group's edge. ``_key`` orders
    # the rows and keeps groups 100,000 months apart, so windows by key never cross a group.
    frame = frame.sort("sid", "mi").with_columns(
        _gid=(rebase | (pl.col("sid") != pl.col("sid").shift(1)).fill_null(True))
        .cum_sum()
        .cast(pl.Int64)
    )
    same = lambda k: pl.col("_gid").shift(k) == pl.col("_gid")  # noqa: E731
    frame = frame.with_columns(
        _key=pl.col("_gid") * 100_000 + (pl.col("mi") - pl.col("mi").min()).cast(pl.Int64),
        _mr=pl.when(same(1)).then((y - y.shift(1)).abs()),
        _d=pl.when(same(1)).then((y - y.shift(1)).sign()).fill_null(0).cast(pl.Int32),
        # months between points: 1 on the grid, 3 for a quarterly published series
        _step=pl.when(same(1))
        .then(pl.col("mi") - pl.col("mi").shift(1))
        .min()
        .over("sid")
        .fill_null(1),
    )

    def rolling(rows: pl.DataFrame, window: int, step: int) -> pl.DataFrame:
        # the points in the window ending here, and the moving ranges between them
        points, ranges = f"{window}i", f"{max(window - step, 1)}i"
        has_range = pl.col("_mr").is_not_null().cast(pl.Int64)
        return rows.with_columns(
            group_points=(pl.col("_key") * 0 + 1).rolling_sum_by("_key", points).cast(pl.UInt32),
            _sum=y.rolling_sum_by("_key", points),
            _mr_sum=pl.col("_mr").fill_null(0.0).rolling_sum_by("_key", ranges),
            _mr_n=has_range.rolling_sum_by("_key", ranges),
            _ranges=pl.lit(max(window - step, 1)),
        )

    shapes = frame.select("spc_window", "_step").unique()
    if shapes.height == 1:
        frame = rolling(frame, int(shapes["spc_window"][0]), int(shapes["_step"][0]))
    else:
        parts = [
            rolling(rows, int(window), int(step))
            for (window, step), rows in frame.group_by("spc_window", "_step")
        ]
        frame = pl.concat(parts).sort("_key")
    frame = frame.with_columns(
        mean=pl.col("_sum") / pl.col("group_points"),
        _amr0=pl.when(pl.col("_mr_n") > 0).then(pl.col("_mr_sum") / pl.col("_mr_n")),
    )
    longest = int(frame["spc_shift_length"].max() or 0)
    # runs of equal differences (trend) ending here, and the k-th point back (within the
    # series' limit group) for the runs on one side of the mean: read before rows are left out
    starts = ((pl.col("_d") != pl.col("_d").shift(1)) | ~same(1)).fill_null(True)
    index = pl.int_range(pl.len())
    frame = frame.with_columns(
        _dlen=index - pl.when(starts).then(index).forward_fill() + 1,
        **{f"_back{k}": pl.when(same(k)).then(y.shift(k)) for k in range(1, max(longest, 3))},
    )
    ends = frame.filter(pl.col(wanted)) if wanted else frame
    ends = _screen(frame, ends)
    amr = (
        pl.when(pl.col("spc_screen_moving_ranges"))
        .then(pl.col("_screened"))
        .otherwise(pl.col("_amr0"))
    )
    ends = ends.with_columns(amr=amr).with_columns(
        lpl=pl.col("mean") - pl.col("spc_limit_factor") * pl.col("amr").fill_null(0.0),
        upl=pl.col("mean") + pl.col("spc_limit_factor") * pl.col("amr").fill_null(0.0),
        nlpl=pl.col("mean") - pl.col("spc_near_limit_factor") * pl.col("amr").fill_null(0.0),
        nupl=pl.col("mean") + pl.col("spc_near_limit_factor") * pl.col("amr").fill_null(0.0),
    )
    back = {k: pl.col(f"_back{k}") if k else y for k in range(max(longest, 3))}
    side = lambda k: (back[k] - pl.col("mean")).sign()  # noqa: E731
    outside = (y > pl.col("upl")) | (y < pl.col("lpl"))

    def close(k):
        return (
            (
                (back[k] <= pl.col("upl"))
                & (back[k] >= pl.col("lpl"))
                & ((back[k] < pl.col("nlpl")) | (back[k] > pl.col("nupl")))
            )
            .fill_null(False)
            .cast(pl.Int32)
        )

    two_of_three = (
        (pl.col("group_points") >= 3)
        & (close(0) == 1)
        & (close(0) + close(1) + close(2) >= 2)
        & ((side(0) + side(1) + side(2)).abs() == 3)
    ).fill_null(False)
    trend = (pl.col("_d") != 0) & (
        pl.min_horizontal(pl.col("_dlen"), pl.col("group_points") - 1)
        >= pl.col("spc_trend_length") - 1
    )
    same_side = pl.lit(True)
    for k in range(longest):
        within = (pl.lit(k) >= pl.col("spc_shift_length")) | (
            (pl.lit(k) < pl.col("group_points")) & (side(k) == side(0))
        )
        same_side = same_side & within.fill_null(False)
    shift = (side(0) != 0) & (pl.col("group_points") >= pl.col("spc_shift_length")) & same_side
    rule = (
        pl.when(outside)
        .then(OUTSIDE)
        .when(trend)
        .then(TREND)
        .when(two_of_three)
        .then(TWO_OF_THREE)
        .when(shift)
        .then(SHIFT)
        .otherwise(NONE)
    )
    up = pl.when(rule == TREND).then(pl.col("_d") == 1).otherwise(side(0) > 0)
    ends = ends.with_columns(_rule=rule, _up=up).with_columns(**_labels(ends))
    kept = [
        c
        for c in columns
        if not (c.startswith("_") or (c.startswith("spc_") and c[4:] in PARAMETERS))
    ]
    return ends.select(
        *kept,
        "group_points",
        "mean",
        "amr",
        "lpl",
        "upl",
        "nlpl",
        "nupl",
        "special_cause_type",
        "point_type",
    )


def _screen(frame: pl.DataFrame, ends: pl.DataFrame) -> pl.DataFrame:
    """Screened mean moving range of the window ending at each row of ``ends``: the ranges at
    or above ``spc_screen_factor`` x the window's mean range are left out, once.

    Only a few ranges are ever that large, so rather than visiting every window, the ranges
    (of ``frame``, every row) that could be screened out of some window of their group (at or
    above the factor times the group's smallest window mean) are matched to the windows
    holding them."""
    limit = pl.col("spc_screen_factor") * pl.col("_amr0")
    floor = ends.group_by("_gid").agg(_floor=limit.min())
    candidates = (
        frame.select("_gid", "_key", "_mr")
        .join(floor, on="_gid")
        .filter(pl.col("_mr") >= pl.col("_floor"))
        .select("_gid", _at=pl.col("_key"), _big=pl.col("_mr"))
    )
    windows = ends.select("_gid", "_key", "_ranges", _limit=limit)
    dropped = (
        candidates.join(windows, on="_gid")
        .filter(
            (pl.col("_at") <= pl.col("_key"))
            & (pl.col("_at") > pl.col("_key") - pl.col("_ranges"))
            & (pl.col("_big") >= pl.col("_limit"))
        )
        .group_by("_key")
        .agg(_drop_sum=pl.col("_big").sum(), _drop_n=pl.len())
    )
    ends = ends.join(dropped, on="_key", how="left", maintain_order="left").with_columns(
        _drop_sum=pl.col("_drop_sum").fill_null(0.0), _drop_n=pl.col("_drop_n").fill_null(0)
    )
    kept = pl.col("_mr_n") - pl.col("_drop_n")
    return ends.with_columns(
        _screened=pl.when(kept > 0).then((pl.col("_mr_sum") - pl.col("_drop_sum")) / kept)
    )


def _with_excluded(charted: pl.DataFrame, left_out: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Points left out of the limits, back on the chart at the limits of their neighbours."""
    carried = ["mean", "amr", "lpl", "upl", "nlpl", "nupl", "group_points"]
    shown = pl.concat(
        [
            charted.with_columns(_left_out=pl.lit(False)),
            left_out.select([c for c in left_out.columns if c in charted.columns]).with_columns(
                _left_out=pl.lit(True)
            ),
        ],
        how="diagonal_relaxed",
    ).sort([*keys, "month"])
    shown = shown.with_columns(
        [pl.col(c).forward_fill().backward_fill().over(keys) for c in carried]
    )
    return shown.with_columns(
        special_cause_type=pl.when(pl.col("_left_out"))
        .then(pl.lit(EXCLUDED))
        .otherwise(pl.col("special_cause_type")),
        point_type=pl.when(pl.col("_left_out"))
        .then(pl.lit("excluded"))
        .otherwise(pl.col("point_type")),
    ).drop("_left_out")
