"""Configuration: YAML files validated into typed models (see ``models``)."""

from crimefighters.config.loader import LoadedConfig, load_config
from crimefighters.config.models import Config, parse_month

__all__ = ["Config", "LoadedConfig", "load_config", "parse_month"]
