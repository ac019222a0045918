"""crimefighters config check [PATH]"""

from __future__ import annotations

import argparse

from crimefighters.commands._shared import load_config_from


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("config", help="check the YAML configuration", parents=[common])
    actions = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="validate a configuration and print every problem",
        description="Validate a configuration directory or file (default: the bundled one). "
        "Each problem is printed as file:line key.path: what was expected; what was found.",
        parents=[common],
    )
    check.add_argument("path", nargs="?", help="configuration directory or YAML file")
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    if args.path:
        args.config = args.path
    loaded = load_config_from(args)
    config = loaded.config
    print("configuration OK: " + ", ".join(str(f) for f in loaded.files))
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
