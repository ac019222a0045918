"""Find, read and validate the YAML configuration, remembering where every key came from.

Which configuration is used (the first that applies):

1. ``--config PATH`` (``load_config(path)``): a directory of YAML files or one YAML file;
2. the environment variable ``CRIMEFIGHTERS_CONFIG`` (the same);
3. the user configuration folder, ``platformdirs.user_config_dir("crimefighters")``
   (``~/.config/crimefighters`` on Linux), when it holds YAML files (``crimefighters config
   init`` writes an editable copy there);
4. the bundled defaults alone.

The chosen files are laid over the bundled defaults key by key: mappings merge, anything else
(a number, a list such as ``recording_breaks``) replaces the bundled value. So a ``scan.yaml``
holding only ``scan: {yoy: {alpha: 0.001}}`` changes that one value and keeps the rest,
including the recording breaks.

Each file's top-level keys are sections (``geography``, ``measures``, ``scan``...); a section
may be defined by one file of a folder only. Duplicate keys, anchors and aliases are refused.
Every problem becomes one line: ``file:line key.path: expected ...; got ...``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from crimefighters.config.models import Config, LocatedProblems
from crimefighters.errors import ConfigError
from crimefighters.paths import default_config_dir

if TYPE_CHECKING:  # PyYAML is imported only when a file is read: a warm start reads none
    import yaml

SECTIONS = tuple(Config.model_fields)
ENV_VAR = "CRIMEFIGHTERS_CONFIG"
APP_NAME = "crimefighters"
# The shipped configuration is about 40 kB; a file this large is not a configuration.
MAX_FILE_BYTES = 2_000_000

# (section, key, key, ...) -> (file, line)
Provenance = dict[tuple[str | int, ...], tuple[str, int]]


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    files: list[Path]
    provenance: Provenance = field(default_factory=dict)
    # which configuration is in use: "the bundled defaults", or "<path> (user folder)"
    label: str = "the bundled defaults"
    bundled: bool = True

    @property
    def description(self) -> str:
        """One line for `data info`, `config check`, the TUI and the briefing footer."""
        if self.bundled:
            return f"configuration: {self.label}"
        return f"configuration: {self.label} over the bundled defaults"

    def where(self, *key_path: str | int) -> str:
        """'config/scan.yaml:12' for a key path, or the nearest parent that has a location."""
        path = tuple(key_path)
        while path:
            if path in self.provenance:
                file, line = self.provenance[path]
                return f"{file}:{line}"
            path = path[:-1]
        return "built-in default"


def user_config_dir() -> Path:
    """The per-user configuration folder (platformdirs; XDG_CONFIG_HOME on Linux)."""
    from platformdirs import user_config_dir as platform_user_config_dir

    return Path(platform_user_config_dir(APP_NAME))


def find_user_config(path: str | Path | None = None) -> tuple[Path | None, str]:
    """The configuration laid over the bundled defaults, and how it was chosen."""
    if path is not None:
        return _existing(Path(path), "--config"), "--config"
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return _existing(Path(from_env), ENV_VAR), ENV_VAR
    folder = user_config_dir()
    if _yaml_files(folder):
        return folder, "user folder"
    return None, "bundled"


def _existing(path: Path, how: str) -> Path:
    if not path.exists():
        raise ConfigError([f"{path} ({how}): no such configuration file or directory"])
    if path.is_dir() and not _yaml_files(path):
        raise ConfigError([f"{path} ({how}): no .yaml files in this directory"])
    return path


def load_config(path: str | Path | None = None) -> LoadedConfig:
    """The bundled defaults with the configuration ``find_user_config`` chooses laid over them."""
    default_dir = default_config_dir()
    user, how = find_user_config(path)
    user_files = (_yaml_files(user) if user.is_dir() else [user]) if user else []
    label = f"the bundled defaults ({default_dir})" if user is None else f"{user} ({how})"
    layers = (_yaml_files(default_dir), user_files)
    key = _cache_key(layers, label)
    cached = _cached(key, layers) if key else None
    if cached is not None:
        return cached

    problems: list[str] = []
    merged: dict[str, Any] = {}
    provenance: Provenance = {}
    files: list[Path] = []
    for layer in layers:
        defined_here: dict[str, str] = {}
        for file in layer:
            read = _read(file, problems)
            if read is None:
                continue
            data, lines = read
            files.append(file)
            for section, value in data.items():
                where = f"{file}:{lines[(section,)]}"
                if section not in SECTIONS:
                    problems.append(
                        f"{where} {section}: unknown section; expected one of {', '.join(SECTIONS)}"
                    )
                elif section in defined_here:
                    problems.append(
                        f"{where} {section}: section also defined in {defined_here[section]}; "
                        "keep each section in one file"
                    )
                else:
                    defined_here[section] = where
                    _overlay(merged, section, value, (section,), provenance, lines, str(file))
    if problems:
        raise ConfigError(problems)

    try:
        config = Config.model_validate(merged)
    except ValidationError as exc:
        user_names = {str(f) for f in user_files}
        raise ConfigError(_explain(exc, merged, provenance, user_names)) from None
    loaded = LoadedConfig(config, files, provenance, label=label, bundled=user is None)
    if key:
        _store(key, loaded)
    return loaded


# --- the validated configuration, cached ------------------------------------------------------
# Reading the YAML (with every key's line) and validating it is most of a warm start's own work,
# and the same files give the same LoadedConfig: it is kept, pickled, under a key of every file's
# path and bytes, the label, the configuration code and the Python and pydantic versions. Only a
# configuration that loaded without a problem is kept, so every error is found and worded afresh.
# A cache entry that cannot be read, or is not a LoadedConfig of these files, is a miss: the
# files are read again and the entry rewritten. Costs nothing but speed when the cache folder
# cannot be written.


def _cache_key(layers: tuple[list[Path], list[Path]], label: str) -> str | None:
    """The key of these files as they are now; None when one cannot be read whole (the full
    read then says why)."""
    import sys

    from pydantic import VERSION

    from crimefighters.cache import code_fingerprint

    digest = hashlib.sha256()
    for part in (label, f"{sys.version_info[:3]}", VERSION, code_fingerprint("config")):
        digest.update(part.encode() + b"\0")
    for index, layer in enumerate(layers):
        for file in layer:
            try:
                if file.stat().st_size > MAX_FILE_BYTES:
                    return None
                data = file.read_bytes()
            except OSError:
                return None
            digest.update(f"{index}\0{file}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()[:32]


def _cache_file(key: str) -> Path:
    from crimefighters.paths import cache_dir

    return cache_dir() / "config" / f"{key}.pickle"


def _cached(key: str, layers: tuple[list[Path], list[Path]]) -> LoadedConfig | None:
    file = _cache_file(key)
    try:
        if not _own_file(file):
            return None
        loaded = pickle.loads(file.read_bytes())
    except Exception:  # a damaged entry of any kind is a miss, never an error
        return None
    every_file = {*layers[0], *layers[1]}
    if not (
        isinstance(loaded, LoadedConfig)
        and isinstance(loaded.config, Config)
        and isinstance(loaded.files, list)
        and set(loaded.files) <= every_file
        and isinstance(loaded.provenance, dict)
    ):
        return None
    return loaded


def _own_file(file: Path) -> bool:
    """Unpickling runs code: an entry is read only when this user wrote it and no one else
    can (a cache folder shared with others, through CRIMEFIGHTERS_CACHE, is then only slower)."""
    status = file.stat()
    getuid = getattr(os, "getuid", None)
    return (getuid is None or status.st_uid == getuid()) and not status.st_mode & 0o022


def _store(key: str, loaded: LoadedConfig) -> None:
    from crimefighters.files import atomic_write

    data = pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL)
    file = _cache_file(key)
    with contextlib.suppress(OSError):
        atomic_write(file, lambda path: path.write_bytes(data), durable=False)
        file.chmod(0o600)  # whatever the umask: `_own_file` reads no entry others could change
        _evict(file.parent)


# entries kept: each edit of a configuration makes a new one (~100 kB), the newest are reused
CACHE_ENTRIES = 16


def _evict(folder: Path) -> None:
    """Remove all but the ``CACHE_ENTRIES`` most recently written entries."""
    entries = []
    for entry in folder.glob("*.pickle"):
        with contextlib.suppress(OSError):
            entries.append((entry.stat().st_mtime_ns, entry))
    for _, entry in sorted(entries, reverse=True)[CACHE_ENTRIES:]:
        with contextlib.suppress(OSError):
            entry.unlink()


def _yaml_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


# --- reading one file ------------------------------------------------------------------------


def _base_loader() -> type:
    """libyaml's loader when present: the pure-Python one is most of a CLI start-up."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _loader() -> type:
    import yaml

    class _Loader(_base_loader()):
        """libyaml's safe loader, refusing a key given twice in one mapping (PyYAML keeps the
        last)."""

        def construct_mapping(self, node, deep=False):
            seen: dict[str, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"key {key_node.value!r} is given twice in one mapping (first on line "
                        f"{seen[key_node.value]}); the second would silently win",
                        key_node.start_mark,
                    )
                seen[key_node.value] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep)

    return _Loader


def _read(file: Path, problems: list[str]) -> tuple[dict, Provenance] | None:
    """A file's top-level mapping and the line of every key and list item; None on a problem."""
    import yaml

    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            problems.append(
                f"{file}: {file.stat().st_size:,} bytes; a configuration file is at most "
                f"{MAX_FILE_BYTES:,}"
            )
            return None
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(f"{file}: not a UTF-8 text file")
        return None
    except OSError as exc:
        problems.append(f"{file}: cannot read: {exc.strerror or exc}")
        return None
    try:
        _refuse_anchors(text)
        loader = _loader()(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(f"{file}{line}: not valid YAML: {reason}")
        return None
    if data is None:
        return None
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        problems.append(
            f"{file}:1: expected a mapping of sections ({', '.join(SECTIONS)}); "
            f"got {type(data).__name__}"
        )
        return None
    lines: Provenance = {}
    _record(lines, (), node, str(file))
    return data, {path: line for path, (_, line) in lines.items()}


def _refuse_anchors(text: str) -> None:
    """Anchors and aliases let a few lines expand into gigabytes (a 'billion laughs' file), and
    the shipped configuration needs none: refuse them before anything is built."""
    import yaml

    for event in yaml.parse(text, Loader=_base_loader()):
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
            raise yaml.MarkedYAMLError(
                problem=f"anchors and aliases ({sign}{anchor}) are not allowed in the "
                "configuration; write the values out",
                problem_mark=event.start_mark,
            )


def _record(provenance: Provenance, path: tuple, node: yaml.Node, file: str) -> None:
    import yaml

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


# --- laying one file over another -------------------------------------------------------------


def _overlay(
    target: dict,
    key: str,
    value: Any,
    path: tuple,
    provenance: Provenance,
    lines: dict[tuple, int],
    file: str,
) -> None:
    """Set ``target[key] = value``, merging mappings key by key; record where each key came from."""
    provenance[path] = (file, lines[path])
    if isinstance(value, dict) and isinstance(target.get(key), dict):
        target[key] = dict(target[key])  # never mutate a layer below
        for child_key, child in value.items():
            _overlay(target[key], child_key, child, (*path, child_key), provenance, lines, file)
        return
    if isinstance(target.get(key), (dict, list)):
        # a replaced list or mapping forgets where its old items came from
        depth = len(path)
        for stale in [p for p in provenance if len(p) > depth and p[:depth] == path]:
            del provenance[stale]
    target[key] = value
    if isinstance(value, (dict, list)):
        depth = len(path)
        for child, line in lines.items():
            if len(child) > depth and child[:depth] == path:
                provenance[child] = (file, line)


# --- explaining validation errors -------------------------------------------------------------


def _explain(
    exc: ValidationError, merged: dict, provenance: Provenance, user_files: set[str]
) -> list[str]:
    problems: list[str] = []
    for error in exc.errors(include_url=False):
        loc = tuple(
            p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-"))
        )
        # Drop pydantic's union/tagged markers such as 'list[str]' from the path.
        loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p and "]" in p)))
        located = (error.get("ctx") or {}).get("error")
        if isinstance(located, LocatedProblems):
            for sub_loc, message, *related in located.problems:
                at = (*loc, *sub_loc)
                for other in related:
                    # of two keys in conflict, show the one the user's own file set
                    if (
                        _source(provenance, at) not in user_files
                        and _source(provenance, (*loc, *other)) in user_files
                    ):
                        at = (*loc, *other)
                problems.append(_line(provenance, merged, at, message))
        else:
            problems.append(_line(provenance, merged, loc, _describe(error)))
    return problems


def _source(provenance: Provenance, loc: tuple) -> str | None:
    return provenance[loc][0] if loc in provenance else None


def _line(provenance: Provenance, merged: dict, loc: tuple, message: str) -> str:
    path = loc
    where = "configuration"
    while path:
        if path in provenance:
            file, line = provenance[path]
            where = f"{file}:{line}"
            break
        path = path[:-1]
    key = _friendly_path(loc, merged) if loc else "(top level)"
    return f"{where} {key}: {message}"


def _friendly_path(loc: tuple, merged: dict) -> str:
    """measures.3.direction -> measures.burglary.direction where the item has an id or name."""
    parts: list[str] = []
    node: Any = merged
    for index, part in enumerate(loc):
        label = str(part)
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            if index > 0 and isinstance(node, dict):
                for name_key in ("id", "name", "borough", "month"):
                    if isinstance(node.get(name_key), str):
                        label = node[name_key]
                        break
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            node = None
        parts.append(label)
    return ".".join(parts)


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
    if kind == "finite_number":
        return f"expected a finite number; got {found!r}"
    return f"{error['msg'].lower()}; got {found!r}"
