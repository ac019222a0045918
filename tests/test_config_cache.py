"""The validated configuration is kept between runs, and only ever for the same files: an edit,
a damaged entry or an entry of something else is never served, and every error is worded afresh."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from crimefighters.config import load_config, loader
from crimefighters.errors import ConfigError


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CRIMEFIGHTERS_CACHE", str(folder))
    return folder


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "config").glob("*.pickle"))


def no_yaml_read(monkeypatch):
    def refuse(file, problems):
        raise AssertionError(f"{file} was read again: the cached configuration was not used")

    monkeypatch.setattr(loader, "_read", refuse)


def test_a_second_load_of_the_same_files_is_served_from_the_cache(tmp_path, cache, monkeypatch):
    (tmp_path / "scan.yaml").write_text("scan:\n  yoy:\n    alpha: 0.05\n")
    first = load_config(tmp_path)
    assert len(entries(cache)) == 1
    no_yaml_read(monkeypatch)
    again = load_config(tmp_path)
    assert again == first
    assert again.config.scan.yoy.alpha == 0.05
    assert again.where("scan", "yoy", "alpha") == f"{tmp_path / 'scan.yaml'}:3"
    assert again.description == first.description


def test_an_edited_file_is_read_again_never_the_stale_entry(tmp_path, cache):
    scan = tmp_path / "scan.yaml"
    scan.write_text("scan:\n  yoy:\n    alpha: 0.05\n")
    assert load_config(tmp_path).config.scan.yoy.alpha == 0.05
    scan.write_text("scan:\n  yoy:\n    alpha: 0.02\n")
    assert load_config(tmp_path).config.scan.yoy.alpha == 0.02
    scan.write_text("scan:\n  yoy:\n    alpha: 2\n")
    with pytest.raises(ConfigError, match=r"scan\.yaml:3 scan\.yoy\.alpha"):
        load_config(tmp_path)
    assert len(entries(cache)) == 2  # a configuration with a problem is never kept


def test_a_damaged_entry_is_ignored_and_rebuilt(tmp_path, cache):
    (tmp_path / "scan.yaml").write_text("scan:\n  yoy:\n    alpha: 0.05\n")
    expected = load_config(tmp_path)
    [entry] = entries(cache)
    for damage in (b"", b"not a pickle", entry.read_bytes()[:100]):
        entry.write_bytes(damage)
        assert load_config(tmp_path) == expected
        assert pickle.loads(entry.read_bytes()) == expected  # rewritten whole


def test_an_entry_holding_something_else_is_not_used(tmp_path, cache):
    (tmp_path / "scan.yaml").write_text("scan:\n  yoy:\n    alpha: 0.05\n")
    expected = load_config(tmp_path)
    [entry] = entries(cache)
    bundled = load_config()  # another configuration's entry, and plain objects
    for other in ({"config": None}, [expected], bundled.config):
        entry.write_bytes(pickle.dumps(other))
        assert load_config(tmp_path) == expected
    # a LoadedConfig naming files that are not this configuration's
    entry.write_bytes(pickle.dumps(bundled.__class__(bundled.config, [tmp_path / "other.yaml"])))
    assert load_config(tmp_path) == expected


def test_errors_are_the_same_with_a_warm_cache(tmp_path, cache):
    (tmp_path / "scan.yaml").write_text("scan:\n  yoy:\n    alpha: 2\n")
    messages = []
    for _ in range(2):
        with pytest.raises(ConfigError) as caught:
            load_config(tmp_path)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert entries(cache) == []  # only the bundled defaults could have been kept; they were not


def test_an_unwritable_cache_only_costs_speed(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("CRIMEFIGHTERS_CACHE", str(blocker))
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "scan.yaml").write_text("scan:\n  yoy:\n    alpha: 0.05\n")
    assert load_config(tmp_path / "conf").config.scan.yoy.alpha == 0.05


def test_an_entry_others_could_have_written_is_not_unpickled(tmp_path, cache):
    (tmp_path / "scan.yaml").write_text("scan:\n  yoy:\n    alpha: 0.05\n")
    expected = load_config(tmp_path)
    [entry] = entries(cache)
    other = load_config().__class__(expected.config, [], label="planted")
    entry.write_bytes(pickle.dumps(other))
    entry.chmod(0o666)  # group- and world-writable: anyone could have planted it
    assert load_config(tmp_path) == expected
    assert entry.stat().st_mode & 0o777 == 0o600  # rewritten for this user alone


def test_the_cache_serves_a_user_whose_files_are_group_writable(tmp_path, cache, monkeypatch):
    (tmp_path / "scan.yaml").write_text("scan:\n  yoy:\n    alpha: 0.05\n")
    old = os.umask(0o002)  # user-private groups: new files are rw-rw-r--
    try:
        first = load_config(tmp_path)
    finally:
        os.umask(old)
    no_yaml_read(monkeypatch)
    assert load_config(tmp_path) == first


def test_only_the_newest_entries_are_kept_however_often_the_configuration_is_edited(
    tmp_path, cache, monkeypatch
):
    monkeypatch.setattr(loader, "CACHE_ENTRIES", 3)
    for alpha in ("0.01", "0.02", "0.03", "0.04", "0.05"):
        (tmp_path / "scan.yaml").write_text(f"scan:\n  yoy:\n    alpha: {alpha}\n")
        load_config(tmp_path)
    assert len(entries(cache)) == 3
    no_yaml_read(monkeypatch)  # the newest edit is among those kept
    assert load_config(tmp_path).config.scan.yoy.alpha == 0.05
