"""Helpers the subcommands share: loading configuration and data from the common options."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from crimefighters.errors import CrimefightersError

if TYPE_CHECKING:
    from crimefighters.config import LoadedConfig
    from crimefighters.data import Dataset


def load_config_from(args: argparse.Namespace) -> LoadedConfig:
    from crimefighters.config import load_config

    return load_config(args.config)


def data_paths(args: argparse.Namespace) -> list[Path]:
    from crimefighters.paths import default_sample_dir

    return [Path(p) for p in args.data] if args.data else [default_sample_dir()]


def load_data_from(args: argparse.Namespace, loaded: LoadedConfig | None = None) -> tuple[LoadedConfig, Dataset]:
    from crimefighters.data import load_dataset

    loaded = loaded or load_config_from(args)
    strict = bool(getattr(args, "strict", False))
    return loaded, load_dataset(data_paths(args), loaded.config, strict=strict)


def parse_month_arg(text: str | None) -> date | None:
    if text is None:
        return None
    from crimefighters.config.models import parse_month

    try:
        return parse_month(text)
    except ValueError:
        raise CrimefightersError(f"--month: expected YYYY-MM; got {text!r}") from None
