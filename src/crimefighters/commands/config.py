"""crimefighters config check [PATH] | crimefighters config init [DIR] [--force]"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from cyclopts import Parameter

from crimefighters.commands._shared import Options
from crimefighters.errors import ConfigError


def check(
    path: Annotated[
        Path | None,
        Parameter(help="configuration folder or YAML file (default: the one in use; see --config)"),
    ] = None,
    /,
    *,
    options: Options,
) -> int:
    """Validate a configuration and print every problem.

    The configuration is laid over the bundled defaults (by default the one in use:
    --config, $CRIMEFIGHTERS_CONFIG, your user config folder, else the bundled defaults).
    Each problem is printed as file:line key.path: what was expected; what was found."""
    from crimefighters.config import load_config

    loaded = load_config(path) if path is not None else options.load_config()
    config = loaded.config
    print(f"configuration OK: {loaded.description.removeprefix('configuration: ')}")
    print(f"  files: {', '.join(str(f) for f in loaded.files)}")
    print(
        f"  {len(config.geography.boroughs)} boroughs in {len(config.geography.bcus)} BCUs, "
        f"{len(config.geography.pseudo_boroughs)} pseudo-boroughs; {len(config.measures)} measures; "
        f"{len(config.priorities.definitions)} priorities ({len(config.priorities.high_harm)} high-harm); "
        f"{len(config.themes.schedule)} theme blocks; positive outcomes {config.outcomes.positive}"
    )
    spc = config.scan.spc
    yoy = config.scan.yoy
    print(
        f"  scan: {', '.join(config.scan.methods)}; SPC window {spc.window} months, limits "
        f"{spc.limit_factor} x mR, trend/shift {spc.trend_length}/{spc.shift_length}; "
        f"year on year alpha {yoy.alpha}, min change {yoy.min_pct:g}%, min volume {yoy.min_volume}"
    )
    return 0


def init(
    folder: Annotated[
        Path | None,
        Parameter(help="where to write (default: your user config folder, which is then used)"),
    ] = None,
    /,
    *,
    force: Annotated[bool, Parameter(help="replace files that already exist there")] = False,
    options: Options,
) -> int:
    """Write an editable copy of the bundled configuration.

    One YAML file per section, with its
    comments). A pip-installed copy of the bundled files is never edited: edit this one. Files
    already there are left alone unless --force."""
    from crimefighters.config.loader import ENV_VAR, user_config_dir
    from crimefighters.files import atomic_write_bytes
    from crimefighters.paths import default_config_dir

    target = folder if folder is not None else user_config_dir()
    sources = sorted(default_config_dir().glob("*.yaml"))
    existing = [target / s.name for s in sources if (target / s.name).exists()]
    if existing and not force:
        raise ConfigError(
            [
                f"{target}: {', '.join(p.name for p in existing)} already there; nothing written "
                "(--force replaces them)"
            ]
        )
    if target.exists() and not target.is_dir():
        raise ConfigError([f"{target}: not a folder"])
    try:
        target.mkdir(parents=True, exist_ok=True)
        for source in sources:
            atomic_write_bytes(target / source.name, source.read_bytes())
    except OSError as exc:
        raise ConfigError([f"{target}: cannot write: {exc.strerror or exc}"]) from None
    print(f"Wrote {len(sources)} configuration files to {target}:")
    for source in sources:
        print(f"  {source.name}")
    if folder is None:
        print(
            "crimefighters now uses this folder (over the bundled defaults); edit it, then run "
            "`crimefighters config check`."
        )
    else:
        print(
            f"Use it with --config {target} or {ENV_VAR}={target}; check it with "
            f"`crimefighters config check {target}`."
        )
    return 0
