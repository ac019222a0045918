"""What ``crimefighters actions`` and ``crimefighters annotate`` share: the store option, areas,
and printing typed text safely."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from crimefighters.commands._shared import GlobalOptions, parse_month_arg
from crimefighters.errors import CrimefightersError

if TYPE_CHECKING:
    from crimefighters.config import LoadedConfig
    from crimefighters.config.models import Config
    from crimefighters.meeting import MeetingStore


def arguments(options: GlobalOptions, **values: Any) -> SimpleNamespace:
    """The command's arguments and the global options as one namespace for the handlers."""
    return SimpleNamespace(options=options, store=options.store, **values)


def load_config_from(args: SimpleNamespace) -> LoadedConfig:
    return args.options.load_config()


def load_data_from(args: SimpleNamespace, loaded: LoadedConfig | None = None):
    return args.options.load_data(loaded)


def open_store_from(args: SimpleNamespace, loaded: LoadedConfig | None = None, create: bool = True) -> MeetingStore:
    from crimefighters.meeting import open_store

    return open_store(args.store, loaded=loaded or load_config_from(args), create=create)


def resolve_area(name: str | None, config: Config) -> str | None:
    """A borough (any configured spelling), a BCU or London -> its name in the scan."""
    if name is None:
        return None
    from crimefighters.config.models import AREA_KINDS
    from crimefighters.errors import ConfigError

    try:
        return config.resolve_area(name, AREA_KINDS)
    except ConfigError as exc:
        raise CrimefightersError(f"--area: {exc}") from None


def month_text(text: str | None, option: str = "--month") -> str | None:
    try:
        month = parse_month_arg(text)
    except CrimefightersError:
        raise CrimefightersError(f"{option}: expected YYYY-MM; got {text!r}") from None
    return f"{month:%Y-%m}" if month else None


def plain(value: Any, month: bool = False) -> Any:
    """A record's value for CSV and JSON: months as YYYY-MM, days as YYYY-MM-DD, instants in UTC."""
    from datetime import date, datetime

    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return f"{value:%Y-%m}" if month else value.isoformat()
    return value


def to_json(records: list[dict[str, Any]]) -> str:
    # ensure_ascii escapes every control character, so the output is inert on a terminal
    return json.dumps(records, indent=2, ensure_ascii=True, default=str) + "\n"


def to_csv(records: list[dict[str, Any]], fields: list[str]) -> str:
    import csv
    import io

    from crimefighters.text_safety import neutralise_formula, terminal_safe

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(
            {
                k: neutralise_formula(terminal_safe(v, keep_newlines=True)) if isinstance(v, str) else ("" if v is None else v)
                for k, v in record.items()
            }
        )
    return out.getvalue()


def to_table(rows: list[list[str]], headers: list[str]) -> str:
    """Aligned columns; every cell made terminal-safe; the last column runs free."""
    from crimefighters.text_safety import terminal_safe

    cells = [[terminal_safe(str(c)) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)), row[-1]]).rstrip()
        for row in cells
    ]
    return "\n".join(lines) + "\n"


def emit(text: str, output: str | None) -> None:
    import sys

    if output is None:
        sys.stdout.write(text)
        return
    from pathlib import Path

    from crimefighters.files import atomic_write_text

    atomic_write_text(Path(output), text)
    print(f"wrote {output}", file=sys.stderr)
