"""Folders holding other files, and caches that are damaged or stale.

- A data folder holding a file no loader recognises loads the rest and lists what it skipped
  (``data info`` shows it); ``strict=True`` refuses it; a file named explicitly is refused.
- Every cache reader treats a malformed entry (a ``meta.json`` of ``{}``, of a list, of junk,
  a damaged Parquet file, a frame of the wrong shape) as a miss: the value is recomputed and
  equals a fresh load, never a KeyError.
- A warm start reads no input file: files are identified by their identity on disk, and a
  new file is hashed in chunks, never read whole for the hash.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

import polars as pl
import pytest

from crimefighters.cli import main
from crimefighters.data import fingerprints, load_dataset
from crimefighters.data import store as store_module
from crimefighters.errors import DataError
from crimefighters.paths import cache_dir

GENERIC = "month,borough,measure,category,value\n"
ROWS = "".join(f"2024-{m:02d},Barnet,asb_incidents,All,{m + 2}\n" for m in range(1, 7))


@pytest.fixture
def folder(tmp_path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "asb.csv").write_text(GENERIC + ROWS, encoding="utf-8")
    (data / "notes.txt").write_text("Downloaded from the Datastore on Monday.\n", encoding="utf-8")
    (data / "dashboard.parquet").write_bytes(b"PAR1\x00\x01\x02binary")  # cut short
    (data / "photo.csv").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    (data / "README.md").write_text("# not data\n", encoding="utf-8")
    return data


@pytest.fixture
def two_files(folder) -> Path:
    """The folder with a second data file: files parsed apart are cached apart."""
    (folder / "wanted.csv").write_text(
        GENERIC + "".join(f"2024-{m:02d},Lambeth,wanted_offenders,All,{m}\n" for m in range(1, 7))
    )
    return folder


@pytest.fixture
def own_cache(tmp_path, monkeypatch) -> Path:
    """A cache of this test's own, so what it damages is not shared."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("CRIMEFIGHTERS_CACHE", str(directory))
    return directory


# --- folders with other files ----------------------------------------------------------------


def test_a_folder_with_files_no_loader_recognises_loads_the_rest_and_lists_them(folder, config):
    dataset = load_dataset([folder], config)
    assert dataset.observations["value"].sum() == sum(m + 2 for m in range(1, 7))
    assert [f.path.name for f in dataset.report.files] == ["asb.csv"]
    damaged, notes, photo = dataset.report.skipped
    assert damaged.startswith("dashboard.parquet: damaged Parquet file: ")
    assert notes == (
        "notes.txt:1: not a recognised data format (first line: 'Downloaded from the "
        "Datastore on Monday.'); see `crimefighters data formats`"
    )
    assert photo == "photo.csv: not a text file (it contains binary data)"


def test_strict_refuses_the_folder_at_the_first_file_no_loader_recognises(folder, config):
    with pytest.raises(DataError) as caught:
        load_dataset([folder], config, strict=True)
    assert caught.value.path == str(folder / "dashboard.parquet")
    assert caught.value.message.startswith("damaged Parquet file: ")


def test_a_file_named_explicitly_is_refused_when_no_loader_recognises_it(folder, config):
    with pytest.raises(DataError) as caught:
        load_dataset([folder / "asb.csv", folder / "notes.txt"], config)
    assert caught.value.path == str(folder / "notes.txt") and caught.value.line == 1


def test_a_recognised_file_with_bad_content_is_refused_not_skipped(folder, config):
    (folder / "broken.csv").write_text(GENERIC + "2024-01,Barnet,asb_incidents,All,-3\n")
    with pytest.raises(DataError, match=r"broken\.csv:2 column 'value': negative value"):
        load_dataset([folder], config)


def test_a_folder_holding_nothing_a_loader_recognises_is_refused(tmp_path, config):
    (tmp_path / "notes.txt").write_text("nothing here\n")
    with pytest.raises(DataError, match="no file here that a loader recognises"):
        load_dataset([tmp_path], config)


def test_data_info_lists_the_skipped_files_and_strict_refuses_them(folder, capsys):
    assert main(["data", "info", "--data", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Skipped (3, no loader recognises them; --strict refuses them):" in out
    assert "  - dashboard.parquet: damaged Parquet file" in out
    assert "  - photo.csv: not a text file (it contains binary data)" in out
    assert main(["data", "info", "--strict", "--data", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "dashboard.parquet" in err


def test_data_info_shows_a_file_name_holding_escape_bytes_as_escapes(folder, capsys):
    (folder / "notes\x1b]0;PWNED\x07.txt").write_text("not data\n")
    (folder / "asb\x1b[2J.csv").write_text(GENERIC + ROWS.replace("Barnet", "Lambeth"))
    assert main(["data", "info", "--data", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "  - notes\\x1b]0;PWNED\\x07.txt:1: not a recognised data format" in out
    assert "  asb\\x1b[2J.csv " in out


def test_a_skipped_file_is_listed_again_when_the_dataset_comes_from_the_cache(folder, config):
    first = load_dataset([folder], config)
    again = load_dataset([folder], config)
    assert all(f.cached for f in again.report.files)
    assert again.report.skipped == first.report.skipped


# --- damaged caches are misses ---------------------------------------------------------------

DAMAGE = {
    "an empty object": b"{}",
    "a list": b"[]",
    "junk": b"\x00\xffnot json",
    "null": b"null",
    "fields of the wrong type": json.dumps(
        {
            "files": "x",
            "warnings": 3,
            "superseded": None,
            "set_aside": [],
            "skipped": [],
            "format": 1,
            "has_wards": "no",
            "release": 5,
        }
    ).encode(),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
@pytest.mark.parametrize("kind", ["parsed", "datasets", "files"])
def test_a_damaged_cache_entry_is_recomputed(own_cache, two_files, config, kind, damage):
    folder = two_files
    fresh = load_dataset([folder], config, use_cache=False)
    load_dataset([folder], config)
    if kind == "parsed":
        # a parse-cache entry describes itself in its Parquet file's metadata
        entries = sorted((own_cache / "parsed").glob("*.parquet"))
        for path in entries:
            frame = pl.read_parquet(path)
            frame.write_parquet(path, metadata={"crimefighters": damage.decode("latin-1")})
    elif kind == "datasets":
        entries = sorted((own_cache / "datasets").rglob("meta.json"))
        for path in entries:
            path.write_bytes(damage)
    else:
        entries = [own_cache / "files.json"]
        entries[0].write_bytes(damage)
    assert entries, kind
    again = load_dataset([folder], config)
    assert again.observations.equals(fresh.observations)
    assert again.report.skipped == fresh.report.skipped


def test_a_damaged_entry_in_the_file_index_is_recomputed(own_cache, folder, config):
    fresh = load_dataset([folder], config, use_cache=False)
    load_dataset([folder], config)
    index = json.loads((own_cache / "files.json").read_text())
    for key in index["entries"]:
        index["entries"][key] = {"content": 5, "format": ["x"]}
    (own_cache / "files.json").write_text(json.dumps(index))
    assert load_dataset([folder], config).observations.equals(fresh.observations)


@pytest.mark.parametrize("kind", ["parsed", "datasets"])
def test_a_damaged_or_foreign_parquet_file_in_the_cache_is_recomputed(
    own_cache, two_files, config, kind
):
    folder = two_files
    fresh = load_dataset([folder], config, use_cache=False)
    load_dataset([folder], config)
    frames = sorted((own_cache / kind).rglob("*.parquet"))
    frames[0].write_bytes(frames[0].read_bytes()[:40])  # cut short
    for other in frames[1:]:
        pl.DataFrame({"unexpected": [1, 2]}).write_parquet(other)  # the wrong shape
    again = load_dataset([folder], config)
    assert again.observations.equals(fresh.observations)


def test_a_damaged_scan_cache_entry_is_recomputed(own_cache, config, tmp_path):
    from crimefighters.scan.cached import scan_dataset

    data = tmp_path / "asb.csv"
    data.write_text(
        GENERIC
        + "".join(
            f"20{y}-{m:02d},Barnet,asb_incidents,All,{m + y}\n"
            for y in (23, 24)
            for m in range(1, 13)
        )
    )
    dataset = load_dataset([data], config)
    fresh = scan_dataset(dataset, config, use_cache=False)
    scan_dataset(dataset, config)
    for path in (own_cache / "scans").rglob("meta.json"):
        path.write_bytes(b"[]")
    again = scan_dataset(dataset, config)
    assert again.exceptions.equals(fresh.exceptions)


# --- warm starts read no input file ---------------------------------------------------------


def test_a_warm_start_reads_no_input_file(own_cache, folder, config, monkeypatch):
    first = load_dataset([folder], config)

    def no_reading(*args, **kwargs):
        raise AssertionError("an unchanged input file was read")

    monkeypatch.setattr(fingerprints, "content_hash", no_reading)
    monkeypatch.setattr(fingerprints, "head_bytes", no_reading)
    monkeypatch.setattr(store_module, "read_raw", no_reading)
    again = load_dataset([folder], config)
    assert again.observations.equals(first.observations)


def test_a_changed_file_is_read_again(own_cache, folder, config):
    load_dataset([folder], config)
    path = folder / "asb.csv"
    path.write_text(GENERIC + ROWS + "2024-07,Barnet,asb_incidents,All,100\n", encoding="utf-8")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # a new modification time
    assert (
        load_dataset([folder], config).observations["value"].sum()
        == sum(m + 2 for m in range(1, 7)) + 100
    )


def test_a_file_hashed_only_is_read_in_chunks_never_whole(tmp_path, monkeypatch):
    """A file no loader recognises is never parsed: its hash (for the index) is streamed."""
    path = tmp_path / "big.csv.gz"
    content = gzip.compress(os.urandom(300_000))
    path.write_bytes(content)
    reads: list[int] = []
    real_open = Path.open

    def counting_open(self, *args, **kwargs):
        handle = real_open(self, *args, **kwargs)
        if self == path:
            real_read = handle.read

            def read(size=-1):
                reads.append(size)
                return real_read(size)

            handle.read = read
        return handle

    monkeypatch.setattr(fingerprints, "CHUNK", 64 * 1024)
    monkeypatch.setattr(Path, "open", counting_open)
    assert fingerprints.content_hash(path) == hashlib.sha256(content).hexdigest()
    assert reads and all(0 < size <= 64 * 1024 for size in reads)


def test_a_new_file_is_read_once_to_hash_and_parse_it(own_cache, folder, config, monkeypatch):
    calls: list[Path] = []
    real_read_raw = store_module.read_raw

    def counting_read_raw(path):
        calls.append(path)
        return real_read_raw(path)

    def no_hashing(path):
        raise AssertionError(f"{path} was read a second time to hash it")

    monkeypatch.setattr(store_module, "read_raw", counting_read_raw)
    monkeypatch.setattr(
        fingerprints,
        "content_hash",
        lambda path: (
            no_hashing(path)
            if path.name == "asb.csv"
            else hashlib.sha256(path.read_bytes()).hexdigest()
        ),
    )
    load_dataset([folder], config)
    assert calls == [folder / "asb.csv"]


def test_the_file_index_remembers_each_file_by_its_identity(own_cache, folder, config):
    load_dataset([folder], config)
    index = json.loads((cache_dir() / "files.json").read_text())
    entries = index["entries"].values()
    # asb.csv, notes.txt, dashboard.parquet, photo.csv (README.md is not data)
    assert len(entries) == 4
    assert {e["format"] for e in entries} == {"generic", None}


# --- a file that needs others of the load: stop and search, placed by street files ----------

SEARCHES = "police_uk_met_stop_and_search/2024-06-metropolitan-stop-and-search.csv.gz"
STREET = "police_uk_met_burglary_street_outcomes/2024-06-metropolitan-street__burglary_only.csv.gz"


@pytest.fixture
def searches_and_streets(tmp_path, real) -> Path:
    folder = tmp_path / "serious_violence"
    folder.mkdir()
    for name in (SEARCHES, STREET):
        (folder / Path(name).name).write_bytes((real / name).read_bytes())
    return folder


def from_cache(dataset) -> dict[str, bool]:
    return {f.path.name: f.cached for f in dataset.report.files}


def placement_note(dataset) -> str:
    return next(w for w in dataset.report.warnings if "searches (" in w)


def test_searches_are_placed_again_when_their_street_files_change_and_only_then(
    own_cache, searches_and_streets, config
):
    folder = searches_and_streets
    searches, street = folder / Path(SEARCHES).name, folder / Path(STREET).name
    # every file new: the street file is hashed as it is read, then the searches keyed with it
    first = load_dataset([folder], config)
    assert not any(from_cache(first).values())
    (folder / "asb.csv").write_text(GENERIC + ROWS)  # a new dataset of cached parses
    assert from_cache(load_dataset([folder], config))[searches.name] is True

    # the street file touched: new to the index, hashed during the load, the same content
    stat = street.stat()
    os.utime(street, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    touched = load_dataset([folder], config)
    assert all(from_cache(touched).values())
    assert placement_note(touched) == placement_note(first)

    # other street crimes: the searches are placed again, by them
    lines = gzip.decompress(street.read_bytes()).splitlines(keepends=True)
    street.write_bytes(gzip.compress(b"".join(lines[:1] + lines[1::2])))
    changed = load_dataset([folder], config)
    assert from_cache(changed) == {"asb.csv": True, searches.name: False, street.name: False}
    assert placement_note(changed) != placement_note(first)
    uncached = load_dataset([folder], config, use_cache=False)
    assert changed.observations.equals(uncached.observations)
