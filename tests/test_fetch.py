"""`crimefighters fetch` against a local server that serves real published files and fails on
purpose. Every fault ends with either the published file in place, byte for byte, or the
previous copy untouched, a clear message, and no temporary file left behind."""

from __future__ import annotations

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


def write_config(directory: Path, server: FaultServer, **police: object) -> Path:
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
            "timeouts": {"connect": 1, "read": 0.3, "total": 5},
            "retries": {
                "attempts": 3,
                "backoff_base": 0.01,
                "backoff_max": 0.02,
                "max_retry_after": 2,
            },
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
        pytest.param(["slow:1"], id="slow response past the read timeout"),
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
            ["slow:1"] * 3, "gave up after 3 tries; last: timed out", 3, id="slow every time"
        ),
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
