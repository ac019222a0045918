"""`crimefighters fetch` against a local server that serves real published files and fails on
purpose. Every fault ends with either the published file in place, byte for byte, or the
previous copy untouched, a clear message, and no temporary file left behind."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from crimefighters.cli import main
from crimefighters.config import load_config
from crimefighters.errors import FetchError
from crimefighters.fetch import fetch_all
from tests.fault_server import FaultServer, area_endpoint

BOROUGH_PATH = (
    "/download/recorded_crime_summary/test-id/MPS Borough Level Crime (most recent 24 months).csv"
)
WARD_PATH = (
    "/download/recorded_crime_summary/test-id/MPS Ward Level Crime (most recent 24 months).csv"
)
API = "/api"
TARGET = Path("london_datastore") / "MPS_Borough_Level_Crime_24m.csv"
CRIMES = "police_uk_api_json/crimes-street_all-crime_2014-08__mozfest_all-crime_1.json"
OUTCOMES = "police_uk_api_json/outcomes-at-location_metropolitan_2019-01__extracted_from_js__csfullstack.json"
# A box around every record in the two real responses: the Greenwich peninsula crimes (lat
# 51.4875..51.5157, lng -0.0174..0.0274) and the Thamesmead outcomes (lat 51.4932..51.5126, lng
# 0.1056..0.1361). Not a borough boundary: the test only needs an area holding them all.
GREENWICH_BOX = "51.4870,-0.0180:51.5160,-0.0180:51.5160,0.1370:51.4870,0.1370"


@pytest.fixture(scope="session")
def real_bytes(real: Path):
    """Real files read once per session (never copied into the repository)."""
    cache: dict[str, bytes] = {}

    def read(relative: str) -> bytes:
        if relative not in cache:
            cache[relative] = (real / relative).read_bytes()
        return cache[relative]

    return read


@pytest.fixture
def published(real_bytes) -> bytes:
    """The newest release: what the server publishes now."""
    return real_bytes(
        "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202401-202512__JDevs.csv"
    )


@pytest.fixture
def previous(real_bytes) -> bytes:
    """The release fetched last month, already in the data directory."""
    return real_bytes(
        "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202312-202511__1XHE.csv"
    )


@pytest.fixture(scope="session")
def shared_server():
    srv = FaultServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def server(shared_server: FaultServer, real_bytes, published: bytes):
    srv = shared_server
    srv.reset()
    srv.add(BOROUGH_PATH, published, "text/csv", etag='"release-202512"')
    ward = real_bytes("mps_ward_crime/MPS_Ward_Level_Crime_24m__202402-202601__lblewisham.csv")
    srv.add(
        WARD_PATH, ward, "application/octet-stream", last_modified="Mon, 02 Feb 2026 09:00:00 GMT"
    )
    crimes = real_bytes(CRIMES)
    # Stand-ins for the index endpoints (tiny, shaped as the API documents them) and for
    # crimes-no-location (real crimes with the location taken away, as that endpoint shows them).
    srv.add(f"{API}/crime-last-updated", b'{"date":"2014-08-01"}', "application/json")
    dates = [{"date": "2014-08", "stop-and-search": []}, {"date": "2014-07", "stop-and-search": []}]
    srv.add(f"{API}/crimes-street-dates", json.dumps(dates).encode(), "application/json")
    unmapped = [{**c, "location": None, "location_type": None} for c in json.loads(crimes)[:5]]
    srv.add(f"{API}/crimes-no-location", json.dumps(unmapped).encode(), "application/json")
    srv.add_handler(
        f"{API}/crimes-street/all-crime",
        area_endpoint(
            crimes,
            lambda c: (float(c["location"]["latitude"]), float(c["location"]["longitude"])),
            10_000,
        ),
    )
    srv.add_handler(
        f"{API}/outcomes-at-location",
        area_endpoint(
            real_bytes(OUTCOMES),
            lambda o: (
                float(o["crime"]["location"]["latitude"]),
                float(o["crime"]["location"]["longitude"]),
            ),
            10_000,
        ),
    )
    return srv


# Generous on purpose: on a loaded machine a healthy local answer may pause for seconds, and a
# test must never fail for that. Tests of timeouts use a server that holds or trickles until
# the client gives up, so only the outcome they assert is possible.
GENEROUS = {"connect": 30, "read": 60, "total": 300}
MAX_BYTES = 8_000_000  # above every real file served here (the ward file is 2.3 MB)


def write_config(
    directory: Path,
    server: FaultServer,
    *,
    timeouts: dict | None = None,
    attempts: int = 3,
    max_bytes: int = MAX_BYTES,
    **police: object,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    police_settings = {
        "base_url": server.url(API),
        "polygons": {"Greenwich": GREENWICH_BOX},
        "max_split_depth": 4,
        "min_request_interval": 0,
        **police,
    }
    sources = {
        "sources": {
            "timeouts": {**GENEROUS, **(timeouts or {})},
            "retries": {
                "attempts": attempts,
                "backoff_base": 0.01,
                "backoff_max": 0.02,
                "max_retry_after": 2,
            },
            "max_bytes": max_bytes,
            "progress_min_bytes": 0,
            "london_datastore": {
                "base_url": server.base,
                "files": [
                    {
                        "name": "mps-borough-24m",
                        "url": BOROUGH_PATH,
                        "target": TARGET.name,
                        "format": "mps_borough",
                    },
                    {
                        "name": "mps-ward-24m",
                        "url": WARD_PATH,
                        "target": "MPS_Ward_Level_Crime_24m.csv",
                        "format": "mps_ward",
                    },
                ],
            },
            "police_uk": police_settings,
        }
    }
    (directory / "sources.yaml").write_text(json.dumps(sources))  # JSON is YAML
    return directory


@pytest.fixture(scope="session")
def shared_config(tmp_path_factory: pytest.TempPathFactory, shared_server: FaultServer):
    return load_config(write_config(tmp_path_factory.mktemp("config"), shared_server))


@pytest.fixture
def loaded(shared_config, server: FaultServer):
    return shared_config


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def with_previous(data_dir: Path, previous: bytes) -> Path:
    target = data_dir / TARGET
    target.parent.mkdir(parents=True)
    target.write_bytes(previous)
    return target


def no_temp_files(data_dir: Path) -> bool:
    return not [p for p in data_dir.rglob("*") if p.name.endswith((".part", ".tmp"))]


def fetch_borough(loaded, data_dir: Path, sleeps: list[float] | None = None):
    record = sleeps.append if sleeps is not None else (lambda seconds: None)
    return fetch_all(loaded, data_dir, sources=["mps-borough-24m"], sleep=record)


# --- the happy paths ---------------------------------------------------------------------------


def test_the_published_borough_file_replaces_last_months_copy_byte_for_byte(
    loaded, data_dir, with_previous, published
):
    result = fetch_borough(loaded, data_dir)

    assert [o.status for o in result.outcomes] == ["fetched"]
    assert with_previous.read_bytes() == published
    assert result.changed
    assert no_temp_files(data_dir)


def test_an_unchanged_file_is_not_downloaded_again(loaded, data_dir, server, published):
    fetch_borough(loaded, data_dir)
    target = data_dir / TARGET
    before = target.stat().st_mtime_ns

    result = fetch_borough(loaded, data_dir)

    assert [o.status for o in result.outcomes] == ["unchanged"]
    assert server.seen(BOROUGH_PATH)[-1].headers["if-none-match"] == '"release-202512"'
    assert target.stat().st_mtime_ns == before and target.read_bytes() == published
    assert not result.changed


def test_last_modified_is_sent_back_and_a_304_keeps_the_ward_file(loaded, data_dir, server):
    fetch_all(loaded, data_dir, sources=["mps-ward-24m"])
    result = fetch_all(loaded, data_dir, sources=["mps-ward-24m"])

    assert [o.status for o in result.outcomes] == ["unchanged"]
    assert (
        server.seen(WARD_PATH)[-1].headers["if-modified-since"] == "Mon, 02 Feb 2026 09:00:00 GMT"
    )


def test_a_file_changed_by_hand_is_downloaded_again_not_revalidated(
    loaded, data_dir, server, published
):
    fetch_borough(loaded, data_dir)
    (data_dir / TARGET).write_bytes(b"edited by hand\n")

    result = fetch_borough(loaded, data_dir)

    assert [o.status for o in result.outcomes] == ["fetched"]
    assert "if-none-match" not in server.seen(BOROUGH_PATH)[-1].headers
    assert (data_dir / TARGET).read_bytes() == published


# --- faults the retries get past: the new file ends in place -----------------------------------


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param(["500", "500"], id="two 500s then success"),
        pytest.param(["drop"], id="dropped connection"),
        pytest.param(["truncate"], id="truncated body"),
        pytest.param(["429"], id="429 without Retry-After"),
    ],
)
def test_transient_faults_are_retried_until_the_file_arrives(
    loaded, data_dir, with_previous, server, published, faults
):
    server.inject(BOROUGH_PATH, *faults)

    result = fetch_borough(loaded, data_dir)

    assert [o.status for o in result.outcomes] == ["fetched"]
    assert with_previous.read_bytes() == published
    assert len(server.seen(BOROUGH_PATH)) == len(faults) + 1
    assert no_temp_files(data_dir)


def test_a_429_is_retried_after_the_wait_the_server_asks_for(
    loaded, data_dir, with_previous, server, published
):
    server.inject(BOROUGH_PATH, "429:1")
    sleeps: list[float] = []

    result = fetch_borough(loaded, data_dir, sleeps)

    assert [o.status for o in result.outcomes] == ["fetched"]
    assert sleeps == [1.0]
    assert with_previous.read_bytes() == published


# --- faults that do not go away: the previous copy is untouched --------------------------------


@pytest.mark.parametrize(
    ("faults", "message", "requests"),
    [
        pytest.param(["500"] * 3, "gave up after 3 tries; last: HTTP 500", 3, id="500 every time"),
        pytest.param(
            ["drop"] * 3,
            "gave up after 3 tries; last: connection failed",
            3,
            id="dropped every time",
        ),
        pytest.param(["truncate"] * 3, "gave up after 3 tries", 3, id="truncated every time"),
        pytest.param(
            ["429:3600"], "asked to wait 3600 s, longer than", 1, id="429 asking for an hour"
        ),
        pytest.param(["404"], "HTTP 404 Not Found", 1, id="404 is not retried"),
        pytest.param(
            ["wrong-type"], "unexpected content type 'image/png'", 1, id="wrong content type"
        ),
        pytest.param(
            ["html200"], "sent an HTML page (text/html)", 1, id="HTML error page with 200"
        ),
        pytest.param(
            ["html-as-csv"], "sent an HTML page, not data", 1, id="HTML page labelled text/csv"
        ),
        pytest.param(["empty"], "sent an empty file", 1, id="empty body"),
    ],
)
def test_persistent_faults_leave_the_previous_copy_untouched(
    loaded, data_dir, with_previous, previous, server, faults, message, requests
):
    server.inject(BOROUGH_PATH, *faults)

    result = fetch_borough(loaded, data_dir)

    [outcome] = result.outcomes
    assert outcome.status == "failed"
    assert message in outcome.detail
    assert with_previous.read_bytes() == previous
    assert len(server.seen(BOROUGH_PATH)) == requests
    assert no_temp_files(data_dir)
    with pytest.raises(FetchError, match="previous copies are untouched"):
        result.raise_for_failures()


def test_a_ward_file_published_under_the_borough_link_is_refused(
    loaded, data_dir, with_previous, previous, server, real
):
    ward = (real / "mps_ward_crime/MPS_Ward_Level_Crime_24m__202401-202512__JDevs.csv").read_bytes()
    server.add(BOROUGH_PATH, ward, "text/csv")

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "failed"
    assert "expected a mps_borough* file; its header is that of mps_ward" in outcome.detail
    assert with_previous.read_bytes() == previous


def test_a_body_cut_short_without_a_content_length_is_refused(
    loaded, data_dir, with_previous, previous, server, published
):
    # Sent whole as far as HTTP can tell (Content-Length matches what was cut): only the file
    # itself shows it, by a short last row or a last field without its line break.
    half = published[: len(published) // 2]
    for cut in (half[: half.rindex(b",")], half[: half.rindex(b"\r\n") + 2] + b"Westm"):
        server.add(BOROUGH_PATH, cut, "text/csv")

        [outcome] = fetch_borough(loaded, data_dir).outcomes

        assert outcome.status == "failed" and "cut short" in outcome.detail
        assert with_previous.read_bytes() == previous


# --- data.police.uk ----------------------------------------------------------------------------


def police_files(data_dir: Path) -> Path:
    return data_dir / "police_uk" / "metropolitan" / "2014-08"


def test_the_police_api_month_and_borough_files_arrive_with_their_sidecars(
    loaded, data_dir, real, server
):
    result = fetch_all(loaded, data_dir, sources=["police-uk"])

    assert {o.status for o in result.outcomes} == {"fetched"}, [o.line() for o in result.outcomes]
    month = police_files(data_dir)
    street = month / "crimes-street_greenwich_2014-08.json"
    assert street.read_bytes() == (real / CRIMES).read_bytes()
    assert (month / "outcomes-at-location_greenwich_2014-08.json").read_bytes() == (
        real / OUTCOMES
    ).read_bytes()
    meta = json.loads((month / "crimes-street_greenwich_2014-08.meta.json").read_text())
    assert meta["borough"] == "Greenwich"
    assert meta["source"].startswith(server.url(f"{API}/crimes-street/all-crime?poly="))
    assert set(meta) == {"borough", "source", "fetched"}
    # Crimes the API could not place belong to no borough: kept, but out of the loader's way.
    no_location = (
        data_dir
        / ".fetch/police_uk/metropolitan/2014-08/crimes-no-location_metropolitan_2014-08.json"
    )
    assert len(json.loads(no_location.read_bytes())) == 5
    # The latest month came from the API's own index, which stays out of the loader's way.
    assert (data_dir / ".fetch" / "police_uk" / "crime-last-updated.json").is_file()
    assert server.seen(f"{API}/crimes-no-location")[0].params == {
        "category": "all-crime",
        "force": "metropolitan",
        "date": "2014-08",
    }
    assert no_temp_files(data_dir)


def test_an_area_over_the_crime_limit_is_split_and_merged_without_duplicates(
    loaded, data_dir, real, server
):
    server.routes[f"{API}/crimes-street/all-crime"].handler.limit = 120  # 376 crimes in the area

    result = fetch_all(loaded, data_dir, sources=["police-uk"], months=["2014-08"])

    street = police_files(data_dir) / "crimes-street_greenwich_2014-08.json"
    merged = json.loads(street.read_bytes())
    expected = json.loads((real / CRIMES).read_bytes())
    assert sorted(c["id"] for c in merged) == sorted(c["id"] for c in expected)
    assert len(merged) == len({c["id"] for c in merged})
    requests = server.seen(f"{API}/crimes-street/all-crime")
    assert len(requests) > 4  # the whole area (503), then its parts
    [outcome] = [o for o in result.outcomes if o.label == "crimes-street Greenwich 2014-08"]
    assert outcome.status == "fetched" and "merged from" in outcome.detail
    assert json.loads(street.with_suffix(".meta.json").read_text())["borough"] == "Greenwich"
    assert no_temp_files(data_dir)


def test_an_area_still_too_large_after_splitting_fails_and_keeps_the_old_file(
    tmp_path, data_dir, server
):
    loaded = load_config(write_config(tmp_path / "config", server, max_split_depth=1))
    server.routes[f"{API}/crimes-street/all-crime"].handler.limit = 0  # every request refused
    street = police_files(data_dir) / "crimes-street_greenwich_2014-08.json"
    street.parent.mkdir(parents=True)
    street.write_bytes(b"[]")

    result = fetch_all(loaded, data_dir, sources=["police-uk"], months=["2014-08"])

    [outcome] = [o for o in result.outcomes if o.label == "crimes-street Greenwich 2014-08"]
    assert outcome.status == "failed"
    assert "even after quartering the polygon 1 times" in outcome.detail
    assert street.read_bytes() == b"[]"
    assert no_temp_files(data_dir)


def test_a_polygon_too_long_for_a_url_is_posted(tmp_path, data_dir, server, real):
    # 600 points around the same box: a URL of about 14,000 characters.
    ring = []
    for i in range(150):
        f = i / 150
        ring += [(51.487, -0.018 + f * 0.046)]
    ring += [(51.487 + i / 150 * 0.029, 0.028) for i in range(150)]
    ring += [(51.516, 0.028 - i / 150 * 0.046) for i in range(150)]
    ring += [(51.516 - i / 150 * 0.029, -0.018) for i in range(150)]
    polygon = ":".join(f"{lat:.6f},{lng:.6f}" for lat, lng in ring)
    loaded = load_config(
        write_config(
            tmp_path / "config",
            server,
            polygons={"Greenwich": polygon},
            endpoints=["crimes-street"],
        )
    )

    result = fetch_all(loaded, data_dir, sources=["police-uk"], months=["2014-08"])

    assert [o.status for o in result.outcomes] == ["fetched"]
    assert server.seen(f"{API}/crimes-street/all-crime")[0].method == "POST"
    assert (police_files(data_dir) / "crimes-street_greenwich_2014-08.json").read_bytes() == (
        real / CRIMES
    ).read_bytes()


def test_a_month_the_api_has_not_published_is_a_clear_failure(loaded, data_dir):
    result = fetch_all(loaded, data_dir, sources=["police-uk"], months=["2031-01"])

    [outcome] = result.failed
    assert outcome.detail == "month 2031-01 is not published by data.police.uk (newest: 2014-08)"
    assert not police_files(data_dir).exists()


def test_api_rate_limiting_is_honoured(loaded, data_dir, server):
    server.inject(f"{API}/crimes-no-location", "429:1", "429:1")
    sleeps: list[float] = []

    result = fetch_all(loaded, data_dir, sources=["police-uk"], sleep=sleeps.append)

    assert not result.failed
    assert sleeps.count(1.0) == 2


# --- the command line --------------------------------------------------------------------------


def test_dry_run_says_what_it_would_fetch_and_touches_nothing(loaded, data_dir, server, capsys):
    code = main(
        ["fetch", "--dry-run", "--config", str(loaded.files[-1].parent), "--out", str(data_dir)]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert (
        f"planned   mps-borough-24m -> {data_dir / TARGET}: GET {server.url(BOROUGH_PATH)}" in out
    )
    assert "crimes-street Greenwich <latest>" in out and "poly=<4 points>" in out
    assert "the latest 1 published month(s)" in out
    assert "dry run: " in out
    assert not data_dir.exists()
    assert server.requests == []


def test_the_command_fetches_and_lists_each_file(loaded, data_dir, capsys):
    code = main(
        [
            "fetch",
            "--no-progress",
            "--config",
            str(loaded.files[-1].parent),
            "--out",
            str(data_dir),
            "--source",
            "mps-borough-24m",
        ]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert f"fetched   mps-borough-24m -> {data_dir / TARGET}: " in out


def test_the_command_gives_up_with_one_line_and_exit_code_2(
    loaded, data_dir, with_previous, previous, server, capsys
):
    server.inject(BOROUGH_PATH, "404")

    code = main(
        [
            "fetch",
            "--no-progress",
            "--config",
            str(loaded.files[-1].parent),
            "--out",
            str(data_dir),
            "--source",
            "mps-borough-24m",
        ]
    )

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(
        "crimefighters: error: could not fetch 1 of 1 files (mps-borough-24m: HTTP 404 Not Found"
    )
    assert with_previous.read_bytes() == previous


def test_an_unknown_source_is_refused_before_anything_is_fetched(loaded, data_dir, server, capsys):
    code = main(
        [
            "fetch",
            "--config",
            str(loaded.files[-1].parent),
            "--out",
            str(data_dir),
            "--source",
            "mps-lsoa",
        ]
    )

    assert code == 2
    assert (
        "unknown source 'mps-lsoa'; expected one of mps-borough-24m, mps-ward-24m, police-uk"
        in capsys.readouterr().err
    )
    assert server.requests == []


def test_a_fetched_directory_loads_through_the_project_loaders(loaded, data_dir):
    from crimefighters.data import load_dataset

    result = fetch_all(loaded, data_dir, sources=["mps-borough-24m", "police-uk"])
    assert not result.failed

    dataset = load_dataset([data_dir], loaded.config)
    formats = sorted(f.format for f in dataset.report.files)
    assert len(formats) == 3, formats  # the borough CSV, crimes-street and outcomes JSON
    assert "Greenwich" in dataset.boroughs()


# --- timeouts: a server that stalls or trickles, never a race against a clock ------------------


def config_with(tmp_path: Path, server: FaultServer, **settings) -> object:
    return load_config(write_config(tmp_path / "config", server, **settings))


def test_a_stalled_answer_is_retried_after_the_read_timeout_and_the_file_arrives(
    tmp_path, data_dir, with_previous, server, published
):
    # The first answer never comes (held until the test ends): only the read timeout can end
    # it. The second is answered at once.
    loaded = config_with(tmp_path, server, timeouts={"read": 5}, attempts=2)
    server.inject(BOROUGH_PATH, "hold")

    result = fetch_borough(loaded, data_dir)

    assert [o.status for o in result.outcomes] == ["fetched"]
    assert with_previous.read_bytes() == published
    assert len(server.seen(BOROUGH_PATH)) == 2
    assert no_temp_files(data_dir)


def test_an_answer_stalled_every_time_gives_up_and_keeps_the_old_file(
    tmp_path, data_dir, with_previous, previous, server
):
    loaded = config_with(tmp_path, server, timeouts={"read": 5}, attempts=2)
    server.inject(BOROUGH_PATH, "hold", "hold")

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "failed"
    assert "gave up after 2 tries; last: timed out (ReadTimeout)" in outcome.detail
    assert with_previous.read_bytes() == previous
    assert no_temp_files(data_dir)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param("trickle:2", id="status line and headers one byte every 2 s"),
        pytest.param("trickle-body:2", id="body one byte every 2 s"),
    ],
)
def test_a_server_sending_one_byte_every_2_seconds_hits_the_total_timeout(
    tmp_path, data_dir, with_previous, previous, server, fault
):
    # Every byte arrives well inside the read timeout (60 s), so only the total can stop it;
    # the whole body would take days at this rate.
    loaded = config_with(tmp_path, server, timeouts={"total": 3})
    server.inject(BOROUGH_PATH, fault, fault, fault)

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "failed"
    assert outcome.detail.startswith(
        "the download took longer than sources.timeouts.total (3 s) from "
    )
    assert len(server.seen(BOROUGH_PATH)) == 1  # not asked again: it would be as slow
    assert with_previous.read_bytes() == previous
    assert no_temp_files(data_dir)


# --- the loader's verdict comes before the rename -----------------------------------------------


def _mutate(published: bytes, how: str) -> bytes:
    """The published release with one defect a loader must refuse."""
    lines = published.decode().split("\r\n")
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:-1]]
    june = header.index("202406")
    if how == "missing month":
        header, rows = header[:june] + header[june + 1 :], [r[:june] + r[june + 1 :] for r in rows]
    elif how == "repeated month":
        header[june] = "202405"
    elif how == "unknown borough":
        rows.append([*rows[4][:2], "Gotham", *rows[4][3:]])
    elif how == "n/a count":
        rows[6][10] = "n/a"
    elif how == "negative count":
        rows[6][10] = "-4"
    elif how == "two counts for one row":
        rows.append([*rows[3][:3], str(int(rows[3][3]) + 100), *rows[3][4:]])
    else:
        raise ValueError(how)
    return "\r\n".join(",".join(r) for r in [header, *rows]).encode() + b"\r\n"


def loader_line(tmp_path: Path, body: bytes, config) -> str:
    """What `crimefighters data info` says about these bytes, as a file of the target's name."""
    from crimefighters.data import load_dataset
    from crimefighters.errors import DataError

    copy = tmp_path / "loader-verdict" / TARGET.name
    copy.parent.mkdir()
    copy.write_bytes(body)
    with pytest.raises(DataError) as refused:
        load_dataset([copy], config, use_cache=False)
    return str(refused.value).replace(str(copy), f"downloaded {TARGET.name}")


@pytest.mark.parametrize(
    ("how", "found"),
    [
        ("missing month", "202407"),
        ("repeated month", "202405"),
        ("unknown borough", "Gotham"),
        ("n/a count", "n/a"),
        ("negative count", "-4"),
        ("two counts for one row", "Barking and Dagenham"),
    ],
)
def test_a_file_the_loader_refuses_is_never_installed_and_the_loaders_line_is_shown(
    tmp_path, loaded, data_dir, with_previous, previous, published, server, capsys, how, found
):
    body = _mutate(published, how)
    server.add(BOROUGH_PATH, body, "text/csv")
    expected = loader_line(tmp_path, body, loaded.config)
    assert found in expected  # the loader names what it found

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "failed"
    assert outcome.detail == expected
    assert with_previous.read_bytes() == previous
    assert no_temp_files(data_dir)
    assert len(server.seen(BOROUGH_PATH)) == 1  # a refused file is not asked for again

    code = main(["fetch", "--no-progress", "--config", str(loaded.files[-1].parent), "--out",
                 str(data_dir), "--source", "mps-borough-24m"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"(mps-borough-24m: {expected}); the previous copies are untouched" in err
    assert with_previous.read_bytes() == previous


def test_a_csv_no_loader_recognises_is_refused_with_the_loaders_line(
    tmp_path, loaded, data_dir, with_previous, previous, server
):
    body = b"Borough,Month,Offences\r\nLambeth,2025-12,3458\r\n"
    server.add(BOROUGH_PATH, body, "text/csv")

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "failed"
    assert outcome.detail == loader_line(tmp_path, body, loaded.config)
    assert "Borough,Month,Offences" in outcome.detail
    assert with_previous.read_bytes() == previous


def test_a_police_file_the_loader_refuses_is_not_installed(tmp_path, data_dir, server, real):
    # Records the crimes-street loader cannot use (no month), in the documented JSON shape.
    loaded = config_with(tmp_path, server, endpoints=["crimes-street"])
    crimes = json.loads((real / CRIMES).read_bytes())
    for crime in crimes:
        crime["month"] = "August"
    server.add_handler(
        f"{API}/crimes-street/all-crime",
        lambda params: (200, "application/json", json.dumps(crimes).encode()),
    )
    street = police_files(data_dir) / "crimes-street_greenwich_2014-08.json"
    street.parent.mkdir(parents=True)
    street.write_bytes((real / CRIMES).read_bytes())
    sidecar = street.with_name("crimes-street_greenwich_2014-08.meta.json")
    sidecar.write_text('{"borough": "Greenwich"}')

    [outcome] = fetch_all(loaded, data_dir, sources=["police-uk"], months=["2014-08"]).outcomes

    assert outcome.status == "failed"
    assert outcome.detail.startswith("downloaded crimes-street_greenwich_2014-08.json")
    assert "August" in outcome.detail
    assert street.read_bytes() == (real / CRIMES).read_bytes()
    assert sidecar.read_text() == '{"borough": "Greenwich"}'
    assert no_temp_files(data_dir)


# --- the newer release stays ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("installed", "offered", "message"),
    [
        pytest.param(
            "MPS_Borough_Level_Crime_24m__202401-202512__JDevs.csv",
            "MPS_Borough_Level_Crime_24m__202312-202511__1XHE.csv",
            "kept the installed release to 2025-12; the server offered one to 2025-11",
            id="last month's release offered again",
        ),
        pytest.param(
            "MPS_Borough_Level_Crime_24m__202407-202606__mithunksms__BOCU_format.csv",
            "MPS_Borough_Level_Crime_24m__202401-202512__JDevs.csv",
            "kept the installed release to 2026-06; the server offered one to 2025-12",
            id="an older release in the older header style",
        ),
        pytest.param(
            "MPS_Borough_Level_Crime_24m__202401-202512__JDevs.csv",
            "MPS_Borough_Level_Crime_24m__201806-202005__RJK99.csv",
            "kept the installed release to 2025-12; the server offered one to 2020-05",
            id="a release years old",
        ),
    ],
)
def test_an_older_release_never_replaces_a_newer_one(
    loaded, data_dir, server, real_bytes, capsys, installed, offered, message
):
    folder = "mps_borough_crime/recent_24m/"
    target = data_dir / TARGET
    target.parent.mkdir(parents=True)
    target.write_bytes(real_bytes(folder + installed))
    server.add(BOROUGH_PATH, real_bytes(folder + offered), "text/csv")

    code = main(["fetch", "--no-progress", "--config", str(loaded.files[-1].parent), "--out",
                 str(data_dir), "--source", "mps-borough-24m"])  # fmt: skip

    out = capsys.readouterr().out
    assert code == 0
    assert f"unchanged mps-borough-24m -> {target}: {message}\n" in out
    assert target.read_bytes() == real_bytes(folder + installed)
    assert no_temp_files(data_dir)


def test_the_same_release_revised_replaces_the_installed_copy(
    loaded, data_dir, with_previous, server, published
):
    # The same months with later figures (a revision): the server's copy is the newer word.
    revised = published.replace(b"Barking and Dagenham,4,5,6,", b"Barking and Dagenham,5,5,6,", 1)
    assert revised != published
    with_previous.write_bytes(published)
    server.add(BOROUGH_PATH, revised, "text/csv")

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "fetched"
    assert with_previous.read_bytes() == revised


# --- no text from a server or the configuration chooses a path outside the data folder --------


@pytest.mark.parametrize(
    ("last_updated", "dates", "message"),
    [
        pytest.param(
            {"date": "{outside}"},
            [{"date": "2014-08"}],
            'expected {"date": "YYYY-MM-DD"} from crime-last-updated; got {"date": "/',
            id="absolute path as the last-updated date",
        ),
        pytest.param(
            {"date": "2014-08-01"},
            [{"date": "../../../outside"}],
            'crimes-street-dates item 0: expected a month YYYY-MM; got "../../../outside"',
            id="dot-dot as a published month",
        ),
        pytest.param(
            {"date": "2014-08-01"},
            [{"date": "2014-08/../../../outside"}],
            "crimes-street-dates item 0: expected a month YYYY-MM",
            id="a month with a path after it",
        ),
    ],
)
def test_month_names_from_the_server_never_make_a_path(
    tmp_path, loaded, data_dir, server, last_updated, dates, message
):
    outside = tmp_path / "outside"
    last_updated = {"date": last_updated["date"].replace("{outside}", str(outside))}
    server.add(f"{API}/crime-last-updated", json.dumps(last_updated).encode(), "application/json")
    server.add(f"{API}/crimes-street-dates", json.dumps(dates).encode(), "application/json")

    result = fetch_all(loaded, data_dir, sources=["police-uk"])

    [refused] = result.failed
    assert message in refused.detail
    assert not outside.exists()
    assert [p.name for p in (data_dir / "police_uk" / "metropolitan").iterdir()] == ["2014-08"]
    assert not (data_dir / ".fetch" / "police_uk" / refused.label).with_suffix(".json").exists()


def test_a_hostile_month_index_on_both_endpoints_fetches_no_month(
    tmp_path, loaded, data_dir, server
):
    outside = tmp_path / "outside"
    server.add(f"{API}/crime-last-updated", json.dumps({"date": str(outside)}).encode(), "application/json")  # fmt: skip
    server.add(f"{API}/crimes-street-dates", json.dumps([{"date": str(outside)}]).encode(), "application/json")  # fmt: skip

    result = fetch_all(loaded, data_dir, sources=["police-uk"])

    assert [o.status for o in result.outcomes] == ["failed", "failed", "failed"]
    assert result.outcomes[-1].detail.startswith("cannot tell the latest month")
    assert not outside.exists() and not (data_dir / "police_uk").exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("target", "../../escape.csv"),
        ("target", "/tmp/escape.csv"),
        ("target", "sub/../../escape.csv"),
        ("target", "C:\\escape.csv"),
        ("target", ".."),
        ("folder", "../.."),
        ("folder", "/etc"),
        ("police folder", "../police"),
    ],
)
def test_a_sources_path_that_leaves_the_data_folder_is_refused_by_config_check(
    tmp_path, server, key, value
):
    from crimefighters.errors import ConfigError

    directory = write_config(tmp_path / "config", server)
    sources = json.loads((directory / "sources.yaml").read_text())
    if key == "target":
        sources["sources"]["london_datastore"]["files"][0]["target"] = value
    elif key == "folder":
        sources["sources"]["london_datastore"]["folder"] = value
    else:
        sources["sources"]["police_uk"]["folder"] = value
    (directory / "sources.yaml").write_text(json.dumps(sources))

    with pytest.raises(ConfigError) as refused:
        load_config(directory)

    assert "expected a" in str(refused.value) and "inside the data folder" in str(refused.value)
    assert repr(value) in str(refused.value)


def _with_sources(loaded, **changes):
    """The configuration with sources changed without validation: the write-time check must
    hold even if a path got past the configuration (or the configuration check changes)."""
    from dataclasses import replace

    sources = loaded.config.sources
    datastore = sources.london_datastore
    files = [datastore.files[0].model_copy(update=changes.get("file", {})), *datastore.files[1:]]
    datastore = datastore.model_copy(update={"files": files, **changes.get("datastore", {})})
    police = sources.police_uk.model_copy(update=changes.get("police", {}))
    sources = sources.model_copy(update={"london_datastore": datastore, "police_uk": police})
    return replace(loaded, config=loaded.config.model_copy(update={"sources": sources}))


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"file": {"target": "../../escape.csv"}}, id="target with dot-dot"),
        pytest.param({"datastore": {"folder": "{outside}"}}, id="absolute folder"),
    ],
)
def test_a_path_outside_the_data_folder_is_refused_again_at_write_time(
    tmp_path, loaded, data_dir, server, changes
):
    outside = tmp_path / "outside"
    if "datastore" in changes:
        changes = {"datastore": {"folder": str(outside)}}
    unsafe = _with_sources(loaded, **changes)

    [outcome] = fetch_borough(unsafe, data_dir).outcomes

    assert outcome.status == "failed"
    assert "outside the data folder" in outcome.detail
    assert not (tmp_path / "escape.csv").exists() and not outside.exists()
    assert server.seen(BOROUGH_PATH) == []  # refused before asking


def test_a_police_force_name_that_leaves_the_data_folder_writes_nothing_outside(
    tmp_path, loaded, data_dir, server
):
    unsafe = _with_sources(loaded, police={"force": "../../outside"})

    result = fetch_all(unsafe, data_dir, sources=["police-uk"], months=["2014-08"])

    by_label = {o.label: o for o in result.outcomes}
    for label in ("crimes-street Greenwich 2014-08", "outcomes-at-location Greenwich 2014-08"):
        assert by_label[label].status == "failed"
        assert "outside the data folder" in by_label[label].detail
    # crimes-no-location lands in <data>/.fetch/police_uk/../../outside: odd, but inside
    assert [o.label for o in result.fetched] == [
        "crime-last-updated",
        "crimes-street-dates",
        "crimes-no-location ../../outside 2014-08",
    ]
    assert all(o.target.resolve().is_relative_to(data_dir.resolve()) for o in result.fetched)
    assert not (tmp_path / "outside").exists()


def test_a_symlink_in_the_data_folder_does_not_lead_writes_outside(
    tmp_path, loaded, data_dir, server
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data_dir.mkdir()
    (data_dir / "london_datastore").symlink_to(elsewhere)

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "failed"
    assert f"it resolves to {elsewhere / TARGET.name}, outside the data folder" in outcome.detail
    assert list(elsewhere.iterdir()) == []


# --- sizes ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def gzip_bomb() -> bytes:
    """64 MiB of zeros, gzipped to about 64 KB: eight times the test cap of 8 MB."""
    import gzip

    return gzip.compress(bytes(64 << 20), compresslevel=9, mtime=0)


def test_a_gzip_bomb_sent_as_content_encoding_is_refused_before_it_writes_past_the_cap(
    loaded, data_dir, with_previous, previous, server, gzip_bomb
):
    server.add(BOROUGH_PATH, gzip_bomb, "text/csv", headers={"Content-Encoding": "gzip"})
    events = []

    result = fetch_all(loaded, data_dir, sources=["mps-borough-24m"], progress=events.append)

    [outcome] = result.outcomes
    assert outcome.status == "failed"
    assert f"inflates to more than sources.max_bytes ({MAX_BYTES:,} bytes)" in outcome.detail
    assert max(e.received for e in events) <= MAX_BYTES
    assert len(server.seen(BOROUGH_PATH)) == 1
    assert with_previous.read_bytes() == previous
    assert no_temp_files(data_dir)


def test_a_gzip_bomb_sent_as_the_file_itself_is_refused_unread(
    loaded, data_dir, with_previous, previous, server, gzip_bomb
):
    server.add(BOROUGH_PATH, gzip_bomb, "application/octet-stream")

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "failed"
    assert f"the file inflates to more than sources.max_bytes ({MAX_BYTES:,} bytes)" in (
        outcome.detail
    )
    assert with_previous.read_bytes() == previous
    assert no_temp_files(data_dir)


def test_a_gzip_encoded_answer_within_the_cap_arrives_as_the_published_file(
    loaded, data_dir, with_previous, server, published
):
    import gzip

    server.add(
        BOROUGH_PATH, gzip.compress(published), "text/csv", headers={"Content-Encoding": "gzip"}
    )

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "fetched"
    assert with_previous.read_bytes() == published
    assert server.seen(BOROUGH_PATH)[0].headers["accept-encoding"] == "gzip"


@pytest.mark.parametrize(
    ("length", "message"),
    [
        pytest.param(True, "the server offers 132,102 bytes, more than", id="Content-Length"),
        pytest.param(False, "the body is larger than sources.max_bytes", id="no Content-Length"),
    ],
)
def test_an_answer_larger_than_the_cap_is_refused(
    tmp_path, data_dir, with_previous, previous, server, published, length, message
):
    loaded = config_with(tmp_path, server, max_bytes=100_000)  # the published file is 132,102
    server.add(BOROUGH_PATH, published, "text/csv", length=length)

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "failed"
    assert message in outcome.detail and "sources.max_bytes (100,000" in outcome.detail
    assert len(server.seen(BOROUGH_PATH)) == 1
    assert with_previous.read_bytes() == previous
    assert no_temp_files(data_dir)


def test_a_body_without_a_content_length_within_the_cap_arrives_whole(
    loaded, data_dir, with_previous, server, published
):
    server.add(BOROUGH_PATH, published, "text/csv", length=False)

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "fetched"
    assert with_previous.read_bytes() == published


# --- redirects ----------------------------------------------------------------------------------


def as_sent(server: FaultServer, path: str) -> str:
    """A URL of the server as messages show it (spaces percent-encoded)."""
    import httpx

    return str(httpx.URL(server.url(path)))


def test_a_redirect_within_the_configured_server_is_followed(
    loaded, data_dir, with_previous, server, published
):
    server.add("/moved/borough.csv", published, "text/csv")
    server.redirect(BOROUGH_PATH, "/moved/borough.csv", status=301)

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "fetched"
    assert with_previous.read_bytes() == published


@pytest.mark.parametrize("hops", [1, 5], ids=["A to B to A", "round a ring of five"])
def test_a_redirect_loop_is_one_line_not_a_traceback(
    loaded, data_dir, with_previous, previous, server, capsys, hops
):
    ring = [BOROUGH_PATH] + [f"/ring/{n}" for n in range(1, hops + 1)]
    for here, there in zip(ring, ring[1:] + ring[:1], strict=True):
        server.redirect(here, there)

    code = main(["fetch", "--no-progress", "--config", str(loaded.files[-1].parent), "--out",
                 str(data_dir), "--source", "mps-borough-24m"])  # fmt: skip

    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "a redirect loop: " in err and f"sends back to {as_sent(server, BOROUGH_PATH)}" in err
    assert sum(len(server.seen(p)) for p in ring) == len(ring)  # once round, not retried
    assert with_previous.read_bytes() == previous


def test_a_redirect_chain_longer_than_ten_is_refused(
    loaded, data_dir, with_previous, previous, server
):
    chain = [BOROUGH_PATH] + [f"/chain/{n}" for n in range(1, 13)]
    for here, there in itertools.pairwise(chain):
        server.redirect(here, there)
    server.add(chain[-1], b"never reached", "text/csv")

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "failed"
    assert outcome.detail == f"more than 10 redirects from {as_sent(server, BOROUGH_PATH)}"
    assert server.seen(chain[-1]) == []
    assert with_previous.read_bytes() == previous


@pytest.fixture
def bystander():
    """Another loopback server, not configured: a redirect must never reach it."""
    srv = FaultServer().start()
    srv.add(BOROUGH_PATH, b"MajorText,MinorText,BoroughName,202601\r\n", "text/csv")
    yield srv
    srv.stop()


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is the cloud metadata service",
        ),
        ("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254 is the AWS metadata service"),
        ("http://169.254.10.20/", "169.254.10.20 is a link-local address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://10.1.2.3/data.csv", "10.1.2.3 is a private address"),
        ("http://192.168.0.10/data.csv", "192.168.0.10 is a private address"),
        ("http://[fd00::1]/data.csv", "fd00::1 is a private address"),
        ("http://[::ffff:169.254.169.254]/", "169.254.169.254 is the cloud metadata service"),
        ("http://100.64.0.1/", "100.64.0.1 is not a public address"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        ("{bystander}", "127.0.0.1 is a loopback address"),
        ("{localhost}", "localhost resolves to 127.0.0.1, a loopback address"),
        ("file:///etc/passwd", "only http and https are followed, not file"),
    ],
)
def test_a_redirect_to_an_address_that_is_not_public_is_not_followed(
    loaded, data_dir, with_previous, previous, server, bystander, location, reason
):
    port = server.httpd.server_address[1]
    location = location.format(
        bystander=bystander.url(BOROUGH_PATH), localhost=f"http://localhost:{port}/moved.csv"
    )
    server.redirect(BOROUGH_PATH, location)
    server.add("/moved.csv", b"never fetched", "text/csv")

    [outcome] = fetch_borough(loaded, data_dir).outcomes

    assert outcome.status == "failed"
    assert outcome.detail.startswith(
        f"refused to follow a redirect from {as_sent(server, BOROUGH_PATH)} to "
    )
    assert reason in outcome.detail
    assert bystander.requests == [] and server.seen("/moved.csv") == []
    assert len(server.seen(BOROUGH_PATH)) == 1
    assert with_previous.read_bytes() == previous
    assert no_temp_files(data_dir)


@pytest.mark.parametrize(
    ("previous_url", "location", "refusal"),
    [
        ("https://data.london.gov.uk/x", "http://203.0.113.9/x", "it leaves https for plain http"),
        ("https://data.london.gov.uk/x", "https://8.8.8.8/x", None),  # public: followed
        ("https://data.london.gov.uk/x", "https://data.police.uk/api/x", None),  # configured
        ("http://127.0.0.1:9/x", "http://127.0.0.1:9/y", None),  # the configured origin
        ("http://127.0.0.1:9/x", "http://127.0.0.1:10/y", "127.0.0.1 is a loopback address"),
        ("https://8.8.8.8/x", "https://[::1]/y", "::1 is a loopback address"),
        ("https://8.8.8.8/x", "https://224.0.0.1/y", "224.0.0.1 is a multicast address"),
    ],
)
def test_the_redirect_rule_trusts_configured_origins_and_public_addresses_only(
    previous_url, location, refusal
):
    import asyncio

    import httpx

    from crimefighters.fetch.safety import RedirectPolicy

    policy = RedirectPolicy(["https://data.police.uk/api", "http://127.0.0.1:9"])

    found = asyncio.run(policy.refusal(httpx.URL(previous_url), httpx.URL(location)))

    if refusal is None:
        assert found is None
    else:
        assert found is not None and refusal in found
