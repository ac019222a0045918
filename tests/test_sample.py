"""The bundled sample data: deterministic, loadable, and holding the patterns it promises.

The pattern checks are deliberately tiny re-implementations of the rules in methods.md (XmR
limits, shift, trend, the exact conditional Poisson test), independent of the scan layer, so
the sample can be trusted as a fixture for that layer.
"""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from scipy.stats import binomtest

from crimefighters.data import load_dataset
from crimefighters.data.formats import registry
from crimefighters.data.sample import (
    BOROUGHS,
    DEFAULT_SEED,
    LATEST,
    PAS_MEASURES,
    PLANTED,
    generate,
    write_sample,
)
from crimefighters.paths import repo_root

COMMITTED = repo_root() / "sample_data"
PAS_FILE = "pas_confidence.csv"
OTHER_SEED = 1


# --- the rules, small and by the book -------------------------------------------------------


def xmr_limits(values: list[float]) -> tuple[float, float, float]:
    """Centre line and process limits: mean +/- 2.66 x screened mean moving range."""
    mean = sum(values) / len(values)
    ranges = [abs(b - a) for a, b in itertools.pairwise(values)]
    amr = sum(ranges) / len(ranges)
    kept = [r for r in ranges if r < 3.267 * amr]
    amr = sum(kept) / len(kept)
    return mean, mean - 2.66 * amr, mean + 2.66 * amr


def run_on_one_side(values: list[float], above: bool) -> int:
    """How many points, ending at the latest, lie strictly on one side of the mean."""
    mean = sum(values) / len(values)
    run = 0
    for value in reversed(values):
        if (value > mean) if above else (value < mean):
            run += 1
        else:
            break
    return run


def trend_length(values: list[float], rising: bool) -> int:
    """Points in the monotone run ending at the latest (7 = six consecutive rises)."""
    length = 1
    for k in range(len(values) - 1, 0, -1):
        if (values[k] > values[k - 1]) if rising else (values[k] < values[k - 1]):
            length += 1
        else:
            break
    return length


def poisson_change(last_year: float, this_year: float) -> tuple[float, float]:
    """Two-sided p of the exact conditional test, and the % change."""
    total = int(last_year + this_year)
    p = binomtest(int(this_year), total, 0.5).pvalue
    return p, 100 * (this_year - last_year) / last_year


# --- the data -------------------------------------------------------------------------------


def pas_loader_available() -> bool:
    header = "Date;Survey;Borough;Measure;Proportion;MPS"
    return any(fmt.detect(header, Path(PAS_FILE)) for fmt in registry())


def load_sample(directory: Path, config):
    """Load the sample; without a PAS loader, every file but the PAS export."""
    if pas_loader_available():
        return load_dataset([directory], config)
    files = sorted(p for p in directory.glob("*.csv") if p.name != PAS_FILE)
    return load_dataset(files, config)


@pytest.fixture(scope="module")
def sample_files() -> dict[str, bytes]:
    return generate(DEFAULT_SEED)


@pytest.fixture(scope="module")
def other_seed_files() -> dict[str, bytes]:
    return generate(OTHER_SEED)


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory, sample_files) -> Path:
    directory = tmp_path_factory.mktemp("sample")
    for name, content in sample_files.items():
        (directory / name).write_bytes(content)
    return directory


@pytest.fixture(scope="module")
def dataset(sample_dir, config):
    return load_sample(sample_dir, config)


class Series:
    """Monthly series of one borough x measure x category from a loaded sample."""

    def __init__(self, observations: pl.DataFrame):
        self.observations = observations

    def frame(self, borough: str, measure: str, category: str) -> pl.DataFrame:
        frame = self.observations.filter(
            pl.col("borough") == borough,
            pl.col("measure") == measure,
            pl.col("category").str.to_lowercase() == category.lower(),
        ).sort("month")
        assert frame.height, f"no series for {borough} / {measure} / {category}"
        assert frame["month"].max() == LATEST
        return frame

    def counts(self, borough: str, measure: str, category: str) -> list[float]:
        return self.frame(borough, measure, category)["value"].to_list()

    def proportions(self, borough: str, measure: str, category: str = "All") -> list[float]:
        frame = self.frame(borough, measure, category)
        return (frame["value"] / frame["denominator"]).to_list()


def pas_rows(content: bytes) -> dict[tuple[str, str, date], float]:
    """The PAS export read by hand (independent of any loader)."""
    reader = csv.reader(io.StringIO(content.decode(), newline=""), delimiter=";")
    next(reader)
    values = {}
    for day_month_year, _, borough, measure, proportion, _ in reader:
        _day, month, year = (int(x) for x in day_month_year.split("/"))
        values[(borough, measure, date(year, month, 1))] = float(proportion.replace(",", "."))
    return values


# --- the pattern checks, one per kind -------------------------------------------------------


def check_pattern(pattern, series: Series, files: dict[str, bytes], config) -> None:
    """Assert that ``pattern`` is found in the latest month by the rule its README row names."""
    if pattern.measure == "pas_confidence":
        values = pas_rows(files[PAS_FILE])
        year_ago = date(LATEST.year - 1, LATEST.month, 1)
        for measure in (pattern.category, "Trust MPS"):
            latest, before = (
                values[(pattern.borough, measure, LATEST)],
                values[(pattern.borough, measure, year_ago)],
            )
            assert round(latest - before, 2) < -0.05, (
                measure,
                latest,
                before,
            )  # more than 5 points
        return
    kind = next(m.kind for m in config.measures if m.id == pattern.measure)
    if kind == "proportion":
        values = series.proportions(pattern.borough, pattern.measure, pattern.category)
    else:
        values = series.counts(pattern.borough, pattern.measure, pattern.category)
    recent = values[-24:]  # the SPC window
    up = pattern.moves == "up"

    def year_on_year(months: int) -> None:
        p, pct = poisson_change(sum(values[-12 - months : -12]), sum(values[-months:]))
        assert p < 0.01 and (pct >= 10 if up else pct <= -10), (months, p, pct)

    if pattern.kind == "spike":
        _, _, upper = xmr_limits(recent)
        assert recent[-1] > upper, (recent[-1], upper)
        year_on_year(1)
    elif pattern.kind == "shift":
        assert run_on_one_side(recent, above=up) >= 7, recent
        if kind == "count":
            year_on_year(3)
    elif pattern.kind == "trend":
        assert trend_length(recent, rising=up) >= 7, recent[-10:]
    elif pattern.kind == "yoy_rise":
        # High-harm flags are smaller counts: a single month is not expected to be significant.
        # Six months is the financial year to date in September.
        windows = (3, 12) if pattern.file == "high_harm_flags.csv" else (1, 3, 6, 12)
        for months in windows:
            year_on_year(months)
    elif pattern.kind == "below_target":
        assert recent[-1] < 0.90, recent[-1]
        assert values[-13] >= 0.90, values[-13]  # was meeting it a year ago
        if pattern.measure == "response_i_compliance":
            assert run_on_one_side(recent, above=False) >= 7, recent
    elif pattern.kind == "target_met":
        assert recent[-1] >= 0.90, recent[-1]
        assert all(v < 0.90 for v in values[-13:-1]), values[-13:-1]
        _, _, upper = xmr_limits(recent)
        assert recent[-1] > upper, (recent[-1], upper)
    else:
        raise AssertionError(f"no check for pattern kind {pattern.kind!r}")


# --- tests ----------------------------------------------------------------------------------


def test_the_same_seed_gives_byte_identical_files(sample_files):
    assert generate(DEFAULT_SEED) == sample_files


def test_a_different_seed_gives_different_data(sample_files, other_seed_files):
    for name in sample_files:
        if name.endswith(".csv"):
            assert other_seed_files[name] != sample_files[name], name


def test_the_committed_sample_is_what_the_generator_writes(sample_files):
    committed = {p.name for p in COMMITTED.iterdir() if not p.name.startswith(".")}
    assert committed == set(sample_files), "regenerate with `crimefighters sample`"
    for name, content in sample_files.items():
        assert (COMMITTED / name).read_bytes() == content, (
            f"{name} drifted: run `crimefighters sample`"
        )


def test_the_sample_is_small(sample_files):
    assert sum(len(c) for c in sample_files.values()) < 3_000_000


# Measures only real published files supply; the synthetic sample does not imitate them.
REAL_DATA_ONLY = {
    "street_crime",  # data.police.uk street files
    # MPS Monthly Crime Dashboard: outcome rates and knife injury victims
    "domestic_abuse_outcome_rate",
    "hate_crime_outcome_rate",
    "knife_crime_outcome_rate",
    "gun_crime_outcome_rate",
    "knife_injury_victims",
    "homicide_victims",  # MPS homicide victims
    "stop_and_search",  # data.police.uk stop and search
    "stop_and_search_arrest_rate",
    "business_crime_offences",  # MPS business crime dashboard
    "business_crime_positive_outcomes",
    "vawg_offences",  # MPS VAWG dashboard
}


def test_the_sample_loads_with_32_boroughs_48_months_and_every_measure(dataset, config):
    obs = dataset.observations
    assert sorted(obs["borough"].unique().to_list()) == sorted(
        b.name for b in config.geography.boroughs
    )
    assert obs["borough"].n_unique() == 32 == len(BOROUGHS)
    assert len(dataset.months()) >= 36
    assert dataset.latest_month() == LATEST
    expected = {m.id for m in config.measures} - REAL_DATA_ONLY
    if not pas_loader_available():
        expected -= {"pas_confidence"}
    assert expected <= set(dataset.measures())
    # The pseudo-borough rows are set aside, never mixed in.
    assert any("Unknown" in note for note in dataset.report.set_aside)
    assert not dataset.report.superseded


def test_recorded_crime_uses_the_2026_layout_and_current_categories(sample_files, dataset):
    text = sample_files["recorded_crime.csv"].decode()
    header = text.split("\n", 1)[0].split(",")
    assert header[:3] == ["Group", "SubGroup", "BOCU"]
    assert header[3] == "202210" and header[-1] == f"{LATEST:%Y%m}"
    assert '"PUBLIC FEAR, ALARM OR DISTRESS"' in text
    assert "\r" not in text
    crime = dataset.observations.filter(pl.col("measure") == "recorded_crime")
    assert crime["category"].n_unique() == 31
    assert dataset.report.files[0].format  # detected, not guessed from the name


def test_recorded_crime_has_london_magnitudes_and_seasonality(dataset):
    crime = dataset.observations.filter(pl.col("measure") == "recorded_crime")
    london = crime.group_by("month").agg(pl.col("value").sum()).sort("month")
    assert 65_000 < london["value"].mean() < 90_000

    def by_calendar_month(category: str) -> dict[int, float]:
        frame = (
            crime.filter(pl.col("category") == category)
            .group_by(pl.col("month").dt.month().alias("m"))
            .agg(pl.col("value").sum())
        )
        return dict(frame.iter_rows())

    burglary = by_calendar_month("Res Burglary of a Home")
    assert burglary[12] > 1.25 * burglary[6]
    violence = by_calendar_month("Violence with Injury")
    assert violence[7] > 1.05 * violence[1]


def test_the_latest_month_looks_provisional(dataset):
    crime = dataset.observations.filter(pl.col("measure") == "recorded_crime")
    assert crime.filter(pl.col("month") == LATEST)["provisional"].all()
    assert not crime.filter(pl.col("month") < LATEST)["provisional"].any()


def test_pas_export_is_in_the_real_mopac_layout(sample_files):
    content = sample_files[PAS_FILE]
    lines = content.split(b"\r\n")
    assert lines[0] == b"Date;Survey;Borough;Measure;Proportion;MPS"
    assert lines[-1] == b"" and b"\n" not in content.replace(b"\r\n", b"")
    assert b'"""Good Job"" local"' in content and b"City of Westminster" in content
    values = pas_rows(content)
    assert {m for _, m, _ in values} == set(PAS_MEASURES)
    assert len({b for b, _, _ in values}) == 32
    assert len({q for _, _, q in values}) == 16
    assert all(0 < v < 1 for v in values.values())
    assert b"/09/2026;PAS;" in content and b"30/09/2026" in content


@pytest.mark.parametrize("pattern", PLANTED, ids=[p.id for p in PLANTED])
def test_each_planted_pattern_is_there_to_be_found(pattern, dataset, sample_files, config):
    check_pattern(pattern, Series(dataset.observations), sample_files, config)


def test_planted_patterns_do_not_depend_on_a_lucky_seed(other_seed_files, tmp_path, config):
    for name, content in other_seed_files.items():
        (tmp_path / name).write_bytes(content)
    series = Series(load_sample(tmp_path, config).observations)
    for pattern in PLANTED:
        check_pattern(pattern, series, other_seed_files, config)


def test_planted_patterns_are_documented_in_the_readme(sample_files):
    readme = sample_files["README.md"].decode()
    assert "synthetic" in readme.lower()
    for pattern in PLANTED:
        assert f"`{pattern.id}`" in readme
    for name in sample_files:
        if name != "README.md":
            assert f"`{name}`" in readme


def test_the_sample_command_writes_every_file(tmp_path, capsys, sample_files):
    from crimefighters.cli import main

    out = tmp_path / "out"
    assert main(["sample", "--out", str(out), "--seed", str(DEFAULT_SEED)]) == 0
    printed = capsys.readouterr().out
    assert {p.name for p in out.iterdir()} == set(sample_files)  # no temp files left behind
    for name, content in sample_files.items():
        assert (out / name).read_bytes() == content, name
    assert "2022-10 to 2026-09" in printed and "recorded_crime.csv" in printed


def test_write_sample_replaces_files_whole(tmp_path, other_seed_files):
    (tmp_path / "asb.csv").write_text("stale")
    written = write_sample(tmp_path, seed=OTHER_SEED)
    assert (tmp_path / "asb.csv").read_bytes() == other_seed_files["asb.csv"]
    assert all(f.path.stat().st_size == f.size for f in written)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_unwritable_directory_is_one_line_of_error(tmp_path, capsys):
    from crimefighters.cli import main

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert main(["sample", "--out", str(blocker / "sample")]) == 2
    assert "cannot write the sample data" in capsys.readouterr().err


def test_the_cli_default_seed_is_the_generator_default():
    from crimefighters.commands import sample as command
    from crimefighters.data import sample as generator

    assert command.DEFAULT_SEED == generator.DEFAULT_SEED
