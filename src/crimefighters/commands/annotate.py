"""crimefighters annotate add | list | remove"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import TYPE_CHECKING, Annotated, Literal

from cyclopts import Parameter

from crimefighters.commands._meeting import (
    arguments,
    emit,
    load_config_from,
    load_data_from,
    month_text,
    open_store_from,
    plain,
    resolve_area,
    to_csv,
    to_json,
    to_table,
)
from crimefighters.commands._shared import Options
from crimefighters.errors import CrimefightersError

if TYPE_CHECKING:
    from crimefighters.config import LoadedConfig
    from crimefighters.meeting import Annotation, Series

FIELDS = [
    "id", "area", "measure", "level", "category", "month", "text", "exclude_from_limits",
    "created_at", "created_by",
]  # fmt: skip


Level = Literal["minor", "major", "total", "priority"]


def add(
    *,
    area: Annotated[str, Parameter(help="a borough, BCU or London (any spelling)")],
    measure: Annotated[str, Parameter(help="a measure id, e.g. recorded_crime")],
    level: Annotated[Level, Parameter(help="minor, major, total or priority")],
    category: Annotated[str, Parameter(help="as the charts name it, e.g. Robbery")],
    month: Annotated[str, Parameter(help="the month, YYYY-MM")],
    text: Annotated[str, Parameter(help="what happened that month")],
    exclude_from_limits: Annotated[bool, Parameter(help="leave this month out of the SPC centre line and limits")] = False,
    options: Options,
) -> int:
    """Annotate a month of a series; it shows on every chart of the series.

    The series is looked up in the data (--data; default: the bundled sample) so a misspelt
    category is refused rather than never shown. With --exclude-from-limits the SPC centre line
    and limits are computed without that month.
    """
    return run_add(
        arguments(
            options, area=area, measure=measure, level=level, category=category, month=month, text=text,
            exclude_from_limits=exclude_from_limits,
        )
    )


def list_(
    *,
    area: Annotated[str | None, Parameter(help="a borough, BCU or London")] = None,
    measure: Annotated[str | None, Parameter(help="a measure id")] = None,
    level: Annotated[Level | None, Parameter(help="minor, major, total or priority")] = None,
    category: Annotated[str | None, Parameter(help="a category as the charts name it")] = None,
    month: Annotated[str | None, Parameter(help="only this month, YYYY-MM")] = None,
    format: Literal["table", "csv", "json"] = "table",
    options: Options,
) -> int:
    """List the annotations in force, by series and month."""
    return run_list(arguments(options, area=area, measure=measure, level=level, category=category, month=month, format=format))


def remove(
    id: Annotated[int, Parameter(help="the annotation's number (see `crimefighters annotate list`)")],
    /,
    *,
    options: Options,
) -> int:
    """Take an annotation off the charts (and back into the limits); the store keeps the record."""
    return run_remove(arguments(options, id=id))


def run_add(args: SimpleNamespace) -> int:
    from crimefighters.meeting import Series
    from crimefighters.text_safety import terminal_safe

    loaded = load_config_from(args)
    area = resolve_area(args.area, loaded.config)
    measure = _measure(args.measure, loaded)
    month = month_text(args.month)
    category = _category_in_data(
        args, loaded, Series(area, measure, args.level, args.category), month
    )
    with open_store_from(args, loaded) as store:
        note = store.annotate(
            Series(area, measure, args.level, category), month, args.text, args.exclude_from_limits
        )
    excluded = "; left out of the SPC limits" if note.exclude_from_limits else ""
    print(
        f"Annotation {note.id} on {terminal_safe(str(note.series))}, {note.month:%B %Y}{excluded}"
    )
    return 0


def run_list(args: SimpleNamespace) -> int:
    from crimefighters.meeting import Series

    loaded = load_config_from(args)
    area = resolve_area(args.area, loaded.config)
    measure = _measure(args.measure, loaded) if args.measure else None
    month = month_text(args.month)
    with open_store_from(args, loaded, create=False) as store:
        if area and measure and args.level and args.category:
            notes = store.annotations_for(
                Series(area, measure, args.level, args.category), month=month
            )
        else:
            notes = store.annotations_for(area, measure=measure, month=month)
    if args.level and not args.category:
        notes = [n for n in notes if n.series.level == args.level]
    if args.category:
        notes = [n for n in notes if n.series.category.casefold() == args.category.casefold()]
    if args.format == "table" and not notes:
        import sys

        print("No annotations match.", file=sys.stderr)
        return 0
    emit(_render(notes, args.format), None)
    return 0


def run_remove(args: SimpleNamespace) -> int:
    from crimefighters.text_safety import terminal_safe

    with open_store_from(args, create=False) as store:
        note = store.remove_annotation(args.id)
    print(
        f"Removed annotation {note.id} from {terminal_safe(str(note.series))}, {note.month:%B %Y}"
    )
    return 0


def _measure(measure_id: str, loaded: LoadedConfig) -> str:
    ids = [m.id for m in loaded.config.measures]
    if measure_id not in ids:
        raise CrimefightersError(
            f"--measure: unknown measure {measure_id!r}; expected one of {', '.join(ids)}"
        )
    return measure_id


def _category_in_data(
    args: SimpleNamespace, loaded: LoadedConfig, series: Series, month: str
) -> str:
    """The category as the scan names it (any case), or one line saying what the data has."""
    import difflib

    import polars as pl

    from crimefighters.scan.series import build_series

    _, dataset = load_data_from(args, loaded)
    months = dataset.observations.filter(pl.col("measure") == series.measure)["month"]
    if months.is_empty():
        raise CrimefightersError(
            f"--measure: no {series.measure} data in the loaded files (see --data)"
        )
    wanted = date(int(month[:4]), int(month[5:]), 1)
    at = max(min(wanted, months.max()), months.min())
    frame = build_series(dataset.observations, loaded.config, at, start=at)
    categories = sorted(
        frame.filter(
            (pl.col("area") == series.area)
            & (pl.col("measure") == series.measure)
            & (pl.col("level") == series.level)
        )["category"]
        .unique()
        .to_list()
    )
    for category in categories:
        if category.casefold() == series.category.strip().casefold():
            return category
    where = f"{series.area} {series.measure} at level {series.level} in {at:%Y-%m}"
    if not categories:
        raise CrimefightersError(f"--level: no series of {where} in the loaded data")
    typed = series.category.strip().casefold()
    close = [c for c in categories if typed in c.casefold()][:3] or difflib.get_close_matches(
        series.category, categories, n=3, cutoff=0.6
    )
    hint = (
        f"did you mean {' or '.join(repr(c) for c in close)}?"
        if close
        else f"expected one of {', '.join(categories)}"
    )
    raise CrimefightersError(f"--category: no series {series.category!r} for {where}; {hint}")


def _render(notes: list[Annotation], fmt: str) -> str:
    records = [
        {
            "id": n.id,
            "area": n.series.area,
            "measure": n.series.measure,
            "level": n.series.level,
            "category": n.series.category,
            "month": f"{n.month:%Y-%m}",
            "text": n.text,
            "exclude_from_limits": n.exclude_from_limits,
            "created_at": plain(n.created_at),
            "created_by": n.created_by,
        }
        for n in notes
    ]
    if fmt == "json":
        return to_json(records)
    if fmt == "csv":
        return to_csv(records, FIELDS)
    rows = [
        [
            str(n.id),
            n.series.area,
            n.series.measure,
            n.series.level,
            n.series.category,
            f"{n.month:%Y-%m}",
            "excluded" if n.exclude_from_limits else "-",
            n.text,
        ]
        for n in notes
    ]
    return to_table(
        rows, ["id", "area", "measure", "level", "category", "month", "limits", "annotation"]
    )
