"""Read the YAML configuration, validate it, and remember where every key came from.

A configuration is a directory of YAML files (or one YAML file). Each file's top-level keys are
sections (``geography``, ``measures``, ``scan``...). Sections missing from a user's directory
come from the bundled defaults, so an analyst can override only ``scan.yaml``.

Every problem becomes one line: ``file:line key.path: expected ...; got ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from crimefighters.config.models import Config
from crimefighters.errors import ConfigError
from crimefighters.paths import default_config_dir

SECTIONS = tuple(Config.model_fields)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# (section, key, key, ...) -> (file, line)
Provenance = dict[tuple[str | int, ...], tuple[str, int]]


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    files: list[Path]
    provenance: Provenance = field(default_factory=dict)

    def where(self, *key_path: str | int) -> str:
        """'config/scan.yaml:12' for a key path, or the nearest parent that has a location."""
        path = tuple(key_path)
        while path:
            if path in self.provenance:
                file, line = self.provenance[path]
                return f"{file}:{line}"
            path = path[:-1]
        return "built-in default"


def load_config(path: str | Path | None = None) -> LoadedConfig:
    """Load the bundled defaults, then ``path`` (a directory or a YAML file) on top."""
    default_dir = default_config_dir()
    raw: dict[str, Any] = {}
    provenance: Provenance = {}
    nodes: dict[str, tuple[str, yaml.Node]] = {}
    files: list[Path] = []
    problems: list[str] = []

    sources: list[Path] = _yaml_files(default_dir)
    if path is not None:
        user = Path(path)
        if not user.exists():
            raise ConfigError([f"{user}: no such configuration file or directory"])
        user_files = _yaml_files(user) if user.is_dir() else [user]
        if not user_files:
            raise ConfigError([f"{user}: no .yaml files in this directory"])
        sources = [*sources, *user_files]

    for file in sources:
        try:
            text = file.read_text(encoding="utf-8")
            # libyaml's loader when present: the pure-Python one is most of a CLI start-up
            node = yaml.compose(text, Loader=_Loader)
            data = yaml.load(text, Loader=_Loader)
        except UnicodeDecodeError:
            problems.append(f"{file}: not a UTF-8 text file")
            continue
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            problems.append(f"{file}{line}: not valid YAML: {reason}")
            continue
        if data is None:
            continue
        if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
            problems.append(
                f"{file}:1: expected a mapping of sections ({', '.join(SECTIONS)}); "
                f"got {type(data).__name__}"
            )
            continue
        files.append(file)
        for key_node, value_node in node.value:
            section = key_node.value
            if section not in SECTIONS:
                problems.append(
                    f"{file}:{key_node.start_mark.line + 1} {section}: unknown section; "
                    f"expected one of {', '.join(SECTIONS)}"
                )
                continue
            raw[section] = data[section]
            nodes[section] = (str(file), value_node)
            # A section replaced by a later file forgets the earlier file's locations.
            for key in [k for k in provenance if k[0] == section]:
                del provenance[key]
            provenance[(section,)] = (str(file), key_node.start_mark.line + 1)
            _record(provenance, (section,), value_node, str(file))

    if problems:
        raise ConfigError(problems)

    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, nodes, sources)) from None
    return LoadedConfig(config=config, files=files, provenance=provenance)


def _yaml_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def _record(provenance: Provenance, path: tuple, node: yaml.Node, file: str) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            provenance[child] = (file, key_node.start_mark.line + 1)
            _record(provenance, child, value_node, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            provenance[child] = (file, item.start_mark.line + 1)
            _record(provenance, child, item, file)


def _locate(nodes: dict[str, tuple[str, yaml.Node]], loc: tuple) -> tuple[str, int | None]:
    """Walk the YAML node tree along a pydantic error location to the nearest line."""
    if not loc or loc[0] not in nodes:
        return ("configuration", None)
    file, node = nodes[loc[0]]
    line = node.start_mark.line + 1
    for part in loc[1:]:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        else:
            break
    return (file, line)


def _friendly_path(raw_loc: tuple, nodes: dict[str, tuple[str, yaml.Node]]) -> str:
    """measures.3.direction -> measures.burglary.direction where the item has an id/name."""
    parts: list[str] = []
    section = raw_loc[0] if raw_loc else None
    node = nodes[section][1] if section in nodes else None
    for index, part in enumerate(raw_loc):
        label = str(part)
        if index > 0 and isinstance(part, int) and isinstance(node, yaml.SequenceNode):
            if part < len(node.value):
                item = node.value[part]
                node = item
                if isinstance(item, yaml.MappingNode):
                    for key_node, value_node in item.value:
                        if key_node.value in ("id", "name", "borough") and isinstance(
                            value_node, yaml.ScalarNode
                        ):
                            label = value_node.value
                            break
        elif index > 0 and isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    node = value_node
                    break
        parts.append(label)
    return ".".join(parts)


def _explain(exc: ValidationError, nodes: dict[str, tuple[str, yaml.Node]], sources: list[Path]) -> list[str]:
    problems: list[str] = []
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        # Drop pydantic's union/tagged markers such as 'list[str]' from the path.
        loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p and "]" in p)))
        file, line = _locate(nodes, loc)
        where = f"{file}:{line}" if line is not None else file
        key = _friendly_path(loc, nodes) if loc else "(top level)"
        problems.append(f"{where} {key}: {_describe(error)}")
    return problems


def _describe(error: dict) -> str:
    kind = error["type"]
    found = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        expected = ctx.get("expected", "").replace("'", "").replace(" or ", ", ")
        return f"expected one of {expected}; got {found!r}"
    if kind == "extra_forbidden":
        return "unknown key (not allowed here; check the spelling)"
    if kind == "missing":
        return "required key is missing"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "string_pattern_mismatch":
        return f"expected text matching {ctx.get('pattern')}; got {found!r}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{error['msg'].lower()}; got {found!r}"
    return f"{error['msg'].lower()}; got {found!r}"
