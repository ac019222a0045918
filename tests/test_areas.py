"""Areas (boroughs, BCUs, London), standing among peers, who improved, and the exports.

Real-data checks read the JDevs release (2024-01 to 2025-12) with the csv module, apart from
the loader, so a BCU's numbers are checked against the published borough rows themselves.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date

import polars as pl
import pytest

from crimefighters.cli import main
from crimefighters.config.models import AREA_KINDS
from crimefighters.errors import ConfigError

JDEVS = "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202401-202512__JDevs.csv"
DECEMBER = date(2025, 12, 1)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err, err
    return err.removeprefix("crimefighters: error: ")


# --- the raw file, read independently -----------------------------------------------------------


@pytest.fixture(scope="module")
def raw(real) -> dict[tuple[str, str], dict[str, int]]:
    """(borough, MAJOR TEXT) -> {YYYYMM: offences}, minor categories added up."""
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with open(real / JDEVS, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for column, value in row.items():
                if column.isdigit():
                    totals[(row["BoroughName"].strip(), row["MajorText"].strip())][column] += int(
                        value
                    )
    return totals


@pytest.fixture(scope="module")
def december(real, config):
    from crimefighters.data import load_dataset
    from crimefighters.scan.runner import run_scan

    dataset = load_dataset([real / JDEVS], config)
    return run_scan(dataset.observations, config, DECEMBER)


def _months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[4:])
    out = []
    while f"{y}{m:02d}" <= last:
        out.append(f"{y}{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# --- 1. areas ----------------------------------------------------------------------------------


def test_a_bcus_values_are_the_sum_of_its_boroughs_in_the_published_file(config, raw, december):
    majors = sorted({major for _, major in raw})
    year = _months("202501", "202512")
    checked = 0
    for bcu in config.bcu_names():
        boroughs = config.boroughs_in_bcu(bcu)
        for major in majors:
            if not any((b, major) in raw for b in boroughs):
                continue  # no borough of the BCU publishes the category
            month = sum(raw[(b, major)]["202512"] for b in boroughs)
            twelve = sum(raw[(b, major)][m] for b in boroughs for m in year)
            status = december.status.filter(
                (pl.col("area") == bcu) & (pl.col("level") == "major")
                & (pl.col("category").str.to_lowercase() == major.lower())
            )  # fmt: skip
            cmp12 = december.comparisons.filter(
                (pl.col("area") == bcu) & (pl.col("level") == "major") & (pl.col("window") == "12")
                & (pl.col("category").str.to_lowercase() == major.lower())
            )  # fmt: skip
            assert status["value"].to_list() == [month], (bcu, major)
            assert cmp12["current_num"].to_list() == [twelve], (bcu, major)
            checked += 1
    assert checked >= 12 * 10


def test_a_bcus_rate_per_resident_uses_its_boroughs_summed_populations(config, raw, december):
    year = _months("202501", "202512")
    population = {b.name: b.population for b in config.geography.boroughs}
    row = december.standing.filter(
        (pl.col("area") == "Central South") & (pl.col("level") == "major") & (pl.col("category") == "Robbery")
    ).row(0, named=True)  # fmt: skip
    offences = sum(raw[(b, "ROBBERY")][m] for b in ("Lambeth", "Southwark") for m in year)
    residents = population["Lambeth"] + population["Southwark"]
    assert (row["numerator"], row["denominator"]) == (offences, residents)
    assert row["value"] == pytest.approx(offences / residents * 1000)
    assert row["basis"] == "per_residents" and row["boroughs"] == 2 and row["ranked"] == 12


def test_areas_resolve_in_any_configured_spelling(config):
    for typed, area in [
        ("Central South", "Central South"), ("central south bcu", "Central South"), ("AS", "Central South"),
        ("london", "London"), ("Kensington", "Kensington and Chelsea"), ("Barking & Dagenham", "Barking and Dagenham"),
    ]:  # fmt: skip
        assert config.resolve_area(typed, AREA_KINDS) == area
    assert config.area_type("Central South") == "bcu" and config.boroughs_of("Central South") == [
        "Lambeth",
        "Southwark",
    ]
    with pytest.raises(ConfigError):
        config.resolve_borough("Central South")  # a borough-only lookup still refuses a BCU


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scan", "--area", "Centrl South"], "unknown area 'Centrl South' (a borough, BCU or London); did you mean Central South or Central North?"),
        (["compare", "--month", "2026-06", "--window", "12", "--area", "Lambth"], "unknown area 'Lambth' (a borough, BCU or London); did you mean Lambeth?"),
        (["brief", "--area", "Londn"], "unknown area 'Londn' (a borough, BCU or London); did you mean London?"),
    ],
)  # fmt: skip
def test_an_area_typo_is_one_line_with_a_suggestion(capsys, argv, message):
    assert main(argv) == 2
    assert one_line_error(capsys) == message


def test_scan_of_a_bcu_lists_the_bcus_own_findings(capsys):
    assert main(["scan", "--area", "Central South", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {r["borough"] for r in rows} == {"Central South"}
    assert all(r["finding_id"].startswith("Central South|") for r in rows)


def test_a_bcus_priorities_are_its_boroughs_local_ones_saying_whose(december):
    local = december.priorities.filter(
        (pl.col("borough") == "Central South") & (pl.col("group") == "local")
    )
    # Lambeth and Southwark both chose robbery and burglary (domain.md)
    assert local["label"].to_list()[:3] == [
        "Anti-social behaviour",
        "Robbery",
        "Burglary (residential)",
    ]
    assert local["note"][1] == "local priority of Lambeth, Southwark"


def test_compare_for_a_bcu_adds_up_its_boroughs(capsys):
    argv = ["compare", "--month", "2026-09", "--window", "12", "--format", "csv", "--area"]
    assert main([*argv, "Central South"]) == 0
    bcu = {
        r["category"]: float(r["current"])
        for r in csv.DictReader(io.StringIO(capsys.readouterr().out))
    }
    assert main([*argv, "Lambeth", "--area", "Southwark"]) == 0
    both: dict[str, float] = defaultdict(float)
    for r in csv.DictReader(io.StringIO(capsys.readouterr().out)):
        both[r["category"]] += float(r["current"])
    assert bcu and bcu == dict(both)


def test_families_must_name_known_boroughs_once(config):
    from crimefighters.config.models import Geography

    geography = config.geography.model_dump()
    geography["families"] = [
        {"name": "Inner", "boroughs": ["Lambeth", "Southwark"]},
        {"name": "Outer", "boroughs": ["Lambeth", "Bromly"]},
    ]
    with pytest.raises(ValueError) as error:
        Geography.model_validate(geography)
    text = str(error.value)
    assert "Lambeth is already in the family 'Inner'" in text
    assert "unknown borough 'Bromly'; did you mean 'Bromley'?" in text


# --- 2. standing among peers -------------------------------------------------------------------


def test_standing_ranks_boroughs_best_first_with_london_and_the_family(config, december):
    robbery = december.standing.filter(
        (pl.col("area_type") == "borough") & (pl.col("level") == "priority") & (pl.col("category") == "Robbery")
    ).sort("rank")  # fmt: skip
    assert robbery.height == 32 and robbery["rank"].to_list() == list(range(1, 33))
    assert robbery["value"].is_sorted()  # fewer robberies per resident is better
    # London: all 32 boroughs' robberies over all their residents
    residents = sum(b.population for b in config.geography.boroughs)
    assert robbery["london"][0] == pytest.approx(robbery["numerator"].sum() / residents * 1000)
    inner = robbery.filter(pl.col("family") == "Inner London")
    assert inner.height == 13 and inner["family_rank"].sort().to_list() == list(range(1, 14))
    assert inner["family_value"][0] == pytest.approx(
        inner["numerator"].sum() / inner["denominator"].sum() * 1000
    )
    westminster = robbery.filter(pl.col("area") == "Westminster").row(0, named=True)
    assert (westminster["rank"], westminster["family_rank"]) == (32, 13)


# --- 3. who improved ---------------------------------------------------------------------------


def test_a_planted_improvement_tops_its_who_improved_list(config):
    from crimefighters.scan.runner import run_scan
    from tests.synthetic import END, Plant, generate

    robbery = "Robbery of Personal Property"  # fewer is better
    plants = [
        Plant("Southwark", robbery, "step3", +0.6, END),  # the concern
        Plant("Croydon", robbery, "step3", -0.5, END),  # the improvement to learn from
    ]
    result = run_scan(generate(21, plants=plants), config, END)
    concern = result.findings.filter(
        (pl.col("borough") == "Southwark") & (pl.col("assessment") == "concern")
    )
    concern = concern.filter(pl.col("name").str.contains("Robbery")).row(0, named=True)
    improvers = result.improvers.filter(pl.col("finding_id") == concern["finding_id"]).sort("rank")
    top = improvers.row(0, named=True)
    assert top["area"] == "Croydon" and top["rank"] == 1
    assert (top["level"], top["category"], top["window"]) == (
        concern["level"],
        concern["category"],
        concern["window"],
    )
    assert top["change"] < 0 and top["p_value"] < 0.01
    assert concern["learn_from"].split(": ", 1)[1].startswith("Croydon -")


def test_on_real_data_the_boroughs_to_learn_from_on_robbery(raw, december):
    """December 2025: Redbridge's robbery is up over the financial year to date (705 against
    517); the boroughs whose robbery fell most convincingly over the same months lead."""
    concern = december.findings.filter(
        (pl.col("borough") == "Redbridge") & (pl.col("category") == "Robbery") & (pl.col("assessment") == "concern")
    ).row(0, named=True)  # fmt: skip
    assert concern["window"] == "fytd"
    improvers = december.improvers.filter(pl.col("finding_id") == concern["finding_id"]).sort(
        "rank"
    )
    assert improvers["area"].to_list() == ["Lambeth", "Camden", "Waltham Forest"]
    # Lambeth by hand from the raw file: April to December 2025 against April to December 2024
    lambeth = raw[("Lambeth", "ROBBERY")]
    this_year = sum(lambeth[m] for m in _months("202504", "202512"))
    last_year = sum(lambeth[m] for m in _months("202404", "202412"))
    assert (this_year, last_year) == (1354, 1778)
    top = improvers.row(0, named=True)
    assert (top["value"], top["baseline"]) == (this_year, last_year)
    assert concern["learn_from"].startswith(
        "over the financial year to date: Lambeth -23.8% (1,354 against 1,778; p < 0.001); Camden -24.6%"
    )


def test_the_london_view_ranks_improvements_strongest_first(capsys):
    assert main(["scan", "--improvements", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    assert {r["assessment"] for r in rows} == {"improvement"}
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert main(["scan", "--improvements", "--area", "Central South", "--format", "csv"]) == 0
    within = {r["borough"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert within <= {"Lambeth", "Southwark"}


# --- 4. exports --------------------------------------------------------------------------------


def _sheet(book, name: str) -> list[dict]:
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _number(text: str):
    return None if text == "" else float(text)


def _same_p(cell, text: str) -> bool:
    expected = _number(text)
    return cell is None if expected is None else cell == pytest.approx(expected, rel=1e-12)


def test_the_workbook_reads_back_with_the_numbers_of_scan_and_compare(tmp_path, capsys):
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "month.xlsx"
    assert main(["export", "xlsx", "--output", str(path)]) == 0
    capsys.readouterr()
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Findings",
        "Learn from",
        "Comparisons",
        "Standing",
        "Overview",
        "About",
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"

    assert main(["scan", "--format", "csv"]) == 0
    scanned = {r["finding_id"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    exported = {r["finding_id"]: r for r in _sheet(book, "Findings")}
    assert scanned and set(scanned) <= set(exported)
    for fid, row in scanned.items():
        for column in ("value", "baseline", "change", "change_pct", "score"):
            assert exported[fid][column] == _number(row[column]), (fid, column)
            assert exported[fid][column] is None or isinstance(exported[fid][column], (int, float))
        # p-values are not rounded; a spreadsheet cell holds 15 significant digits
        assert _same_p(exported[fid]["p_value"], row["p_value"]), fid
        assert exported[fid]["evidence"] == row["evidence"]

    assert (
        main(
            [
                "compare",
                "--month",
                "2026-09",
                "--window",
                "12",
                "--area",
                "Central South",
                "--format",
                "csv",
            ]
        )
        == 0
    )
    compared = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    sheet = [
        r
        for r in _sheet(book, "Comparisons")
        if r["area"] == "Central South" and r["window"] == "12"
    ]
    assert compared and len(sheet) == len(compared)
    for mine, theirs in zip(sheet, compared, strict=True):
        assert mine["category"] == theirs["category"]
        for column in ("current", "previous", "change", "change_pct"):
            assert mine[column] == _number(theirs[column]), (theirs["category"], column)
        assert _same_p(mine["p_value"], theirs["p_value"]), theirs["category"]


def test_workbook_text_is_never_a_formula_and_numbers_stay_numbers():
    openpyxl = pytest.importorskip("openpyxl")
    from crimefighters.exports import workbook_bytes

    frame = pl.DataFrame(
        {
            "category": ['=HYPERLINK("http://evil")', "+1", "@SUM(A1)", "Robbery"],
            "value": [1.0, -2.5, float("nan"), 3.0],
        }
    )
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes([("Test", frame)])))
    rows = _sheet(book, "Test")
    assert [r["category"] for r in rows] == [
        '\'=HYPERLINK("http://evil")',
        "'+1",
        "'@SUM(A1)",
        "Robbery",
    ]
    assert [r["value"] for r in rows] == [1.0, -2.5, None, 3.0]
    assert book["Test"]["A2"].data_type == "s"


def test_an_unwritable_workbook_is_one_line_and_leaves_nothing(tmp_path, capsys):
    target = tmp_path / "missing-folder" / "file.xlsx"
    (tmp_path / "missing-folder").write_text("a file, not a folder")
    assert main(["export", "xlsx", "--output", str(target)]) == 2
    assert one_line_error(capsys).startswith(f"cannot write {target}")


def test_the_london_overview_page_is_self_contained_with_bcu_and_borough_rows(tmp_path, capsys):
    path = tmp_path / "overview.html"
    assert main(["export", "overview", "--output", str(path)]) == 0
    html = path.read_text()
    assert not re.search(r"""(src|href)=["']?https?:""", html)
    assert html.count('<tr class="bcu">') == 12 and html.count('<tr class="borough">') == 32
    assert html.count('<tr class="london">') == 1
    assert "! concern" in html and "· common cause" in html and "Crime (TNO)" in html


# --- 5. the BCU briefing -----------------------------------------------------------------------


def test_a_bcu_briefing_prints_on_at_most_two_pages(tmp_path, capsys):
    from crimefighters.briefing import pdf_available
    from tests.test_briefing import _pdf_pages

    if not pdf_available():
        pytest.skip("WeasyPrint cannot be imported")
    # South West: four boroughs side by side, the widest BCU
    assert (
        main(["brief", "--area", "South West", "--format", "pdf", "--output-dir", str(tmp_path)])
        == 0
    )
    (pdf,) = tmp_path.glob("*.pdf")
    assert pdf.name == "crimefighters-briefing_south-west_2026-09.pdf"
    assert 1 <= _pdf_pages(pdf.read_bytes()) <= 2


def test_a_bcu_briefing_shows_its_boroughs_side_by_side(tmp_path, capsys):
    assert (
        main(
            [
                "brief",
                "--area",
                "Central South",
                "--format",
                "md",
                "--output",
                str(tmp_path / "cs.md"),
            ]
        )
        == 0
    )
    text = (tmp_path / "cs.md").read_text()
    assert text.startswith("# Central South BCU CrimeFighters briefing, September 2026")
    assert "| Local priority | Central South BCU | Lambeth | Southwark |" in text
    assert "## Its boroughs' findings" in text and "**Lambeth**" in text and "**Southwark**" in text


def test_the_exports_never_import_textual(tmp_path):
    from tests.test_cli import _modules_after

    for argv in (
        ["export", "xlsx", "--output", str(tmp_path / "month.xlsx")],
        ["export", "overview", "--output", str(tmp_path / "overview.html")],
    ):
        assert "textual" not in _modules_after(argv, tmp_path), argv
