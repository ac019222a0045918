"""What every command shares: the global options, and turning them into configuration and data.

``GlobalOptions`` is parsed once (by the meta app in ``crimefighters.cli``) from wherever its
options stand on the command line, and handed to each command as its ``options`` parameter.
Commands never declare these options themselves, so no command's defaults can overwrite them.
To add a global option (``--store PATH``, ``--area NAME``), add a field here with its help text;
every command then has it, in ``--help`` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from cyclopts import Parameter

from crimefighters.errors import CrimefightersError

if TYPE_CHECKING:
    from crimefighters.config import LoadedConfig
    from crimefighters.data import Dataset


@dataclass(frozen=True)
class GlobalOptions:
    data: Annotated[
        tuple[Path, ...],
        Parameter(
            help="a data file or a folder of files, any mix of supported formats; repeatable "
            "(default: the bundled sample data)",
            show_default=False,
        ),
    ] = ()
    config: Annotated[
        Path | None,
        Parameter(
            help="a configuration folder or YAML file laid over the bundled defaults (default: "
            "$CRIMEFIGHTERS_CONFIG, else your user config folder if it holds YAML files, else "
            "the bundled defaults; see `crimefighters config init`)",
        ),
    ] = None
    store: Annotated[
        Path | None,
        Parameter(
            help="the meeting store (default: $CRIMEFIGHTERS_STORE, else meeting.store in the "
            "configuration, else meetings.sqlite3 in your data folder)",
        ),
    ] = None
    strict: Annotated[
        bool,
        Parameter(
            help="refuse data folders that hold files no loader recognises (default: skip them "
            "and report them)",
            show_default=False,
        ),
    ] = False

    def data_paths(self) -> list[Path]:
        """The --data paths as given, or the bundled sample; a path that does not exist is an
        error here, before anything is loaded."""
        if not self.data:
            from crimefighters.paths import default_sample_dir

            return [default_sample_dir()]
        for path in self.data:
            if not path.exists():
                raise CrimefightersError(f"--data {path}: no such file or directory")
        return list(self.data)

    def load_config(self) -> LoadedConfig:
        from crimefighters.config import load_config

        return load_config(self.config)

    def load_data(self, loaded: LoadedConfig | None = None) -> tuple[LoadedConfig, Dataset]:
        from crimefighters.data import load_dataset

        paths = self.data_paths()
        loaded = loaded or self.load_config()
        return loaded, load_dataset(paths, loaded.config, **self.dataset_options())

    def spc_inputs(self, loaded: LoadedConfig):
        """The meeting store's months left out of SPC limits and chosen baselines (None when
        there is no store), for ``scan_dataset(..., spc_inputs=...)``."""
        from crimefighters.meeting.location import resolve_store_location

        if not resolve_store_location(self.store, loaded).path.exists():
            return None  # no meeting recorded yet: nothing to import or open
        from crimefighters.meeting import spc_inputs

        return spc_inputs(self.store, loaded=loaded)

    def dataset_options(self) -> dict[str, bool]:
        """Keyword arguments for ``load_dataset`` that come from the global options."""
        return {"strict": self.strict}


# Given to each command as ``options``; filled in by the meta app, never parsed by the command.
Options = Annotated[GlobalOptions, Parameter(parse=False)]


def parse_month_arg(text: str | None, option: str = "--month") -> date | None:
    if text is None:
        return None
    from crimefighters.config.models import parse_month

    try:
        return parse_month(text)
    except ValueError:
        raise CrimefightersError(f"{option}: expected YYYY-MM; got {text!r}") from None


# Output formats and the file-name suffixes that go with them.
SUFFIXES: dict[str, tuple[str, ...]] = {
    "table": (".txt",),
    "csv": (".csv",),
    "json": (".json",),
    "html": (".html", ".htm"),
    "md": (".md", ".markdown"),
    "pdf": (".pdf",),
    "xlsx": (".xlsx",),
}


def format_for_output(
    output: Path | None, chosen: str | None, allowed: tuple[str, ...], default: str
) -> str:
    """The output format: as chosen, else from the --output file's suffix, else the default.

    A file whose suffix names another format (``--output brief.txt`` for HTML) is refused:
    writing HTML into a .txt file, or quietly renaming the file, would both surprise. A name
    without a suffix (``/dev/stdout``, ``report``) takes the format as it is.
    """
    suffix = output.suffix.lower() if output is not None else ""
    named = next((f for f, s in SUFFIXES.items() if suffix in s), None) if suffix else None
    fmt = chosen or (named if named in allowed else None) or default
    if output is not None and suffix and named != fmt:
        expected = " or ".join(f"*{s}" for s in SUFFIXES[fmt])
        raise CrimefightersError(
            f"--output {output}: {suffix} does not suit {fmt} output; name the file {expected}, "
            f"or choose another --format ({', '.join(allowed)})"
        )
    return fmt
