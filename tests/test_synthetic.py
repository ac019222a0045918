"""Invented numbers are never shown as real ones: whatever is made from the synthetic sample
says SYNTHETIC SAMPLE DATA (the TUI's screens: tests/test_tui_safety.py)."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from crimefighters.cli import main
from crimefighters.config import load_config
from crimefighters.data import load_dataset
from crimefighters.data.sample import generate
from crimefighters.data.synthetic import LABEL, MANIFEST_NAME, read_manifest, synthetic_files
from crimefighters.paths import default_sample_dir

REAL_24M = "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202407-202606__mithunksms__BOCU_format.csv"


@pytest.fixture(scope="module")
def config():
    return load_config().config


def test_the_generator_lists_every_file_it_writes_with_its_hash():
    files = generate()
    manifest = files[MANIFEST_NAME].decode()
    assert LABEL in manifest
    for name in files:
        if name != MANIFEST_NAME:
            assert f'[files."{name}"]' in manifest


def test_the_bundled_sample_is_synthetic_file_by_file(config):
    dataset = load_dataset([default_sample_dir()], config)
    csvs = sorted(p.name for p in default_sample_dir().glob("*.csv"))
    assert dataset.synthetic and sorted(p.name for p in dataset.synthetic_files) == csvs


def test_a_sample_file_copied_and_renamed_elsewhere_is_still_synthetic(tmp_path, config):
    copy = tmp_path / "borough_asb_2026.csv"
    shutil.copy(default_sample_dir() / "asb.csv", copy)
    assert load_dataset([copy], config).synthetic


def test_an_edited_sample_file_beside_its_manifest_is_still_synthetic(tmp_path):
    folder = tmp_path / "sample"
    shutil.copytree(default_sample_dir(), folder)
    edited = folder / "asb.csv"
    edited.write_text(edited.read_text().replace(",306\n", ",307\n", 1))
    assert synthetic_files([edited]) == [edited]


def test_a_file_the_manifest_does_not_list_is_not_synthetic(tmp_path, real):
    folder = tmp_path / "sample"
    shutil.copytree(default_sample_dir(), folder)
    ours = folder / "real.csv"
    shutil.copy(real / REAL_24M, ours)
    assert synthetic_files([ours, folder / "asb.csv"]) == [folder / "asb.csv"]


def test_real_data_is_not_synthetic(real, config):
    dataset = load_dataset([real / REAL_24M], config)
    assert not dataset.synthetic and dataset.synthetic_files == []


def test_a_broken_manifest_marks_nothing_from_itself(tmp_path):
    (tmp_path / MANIFEST_NAME).write_text("files = [unclosed", encoding="utf-8")
    data = tmp_path / "mine.csv"
    data.write_text("month,borough,measure,category,value\n", encoding="utf-8")
    assert read_manifest(tmp_path / MANIFEST_NAME) == []
    assert synthetic_files([data]) == []


@pytest.mark.parametrize("command", [["scan"], ["compare", "--month", "2026-09", "--window", "12"]])
def test_exports_of_the_sample_say_so_in_every_row_and_on_stderr(command, capsys):
    assert main([*command, "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["data_note"] for r in rows} == {LABEL}
    assert LABEL in err
    assert main([*command, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert {o["data_note"] for o in json.loads(out)} == {LABEL} and LABEL in err
    assert main(command) == 0
    out, err = capsys.readouterr()
    assert out.startswith(LABEL)


def test_data_info_names_the_synthetic_files(capsys):
    assert main(["data", "info"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(LABEL))
    assert "recorded_crime.csv" in line and "pas_confidence.csv" in line


def test_exports_of_real_data_carry_an_empty_note(real, capsys):
    path = str(real / REAL_24M)
    assert main(["scan", "--data", path, "--borough", "Lambeth", "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["data_note"] for r in rows} == {""} and LABEL not in err + out


def test_briefings_of_the_sample_carry_a_banner_and_a_footer_on_every_page(tmp_path, capsys):
    assert (
        main(
            [
                "brief",
                "--borough",
                "Lambeth",
                "--format",
                "html",
                "md",
                "--output-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    html = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    assert html.count('class="synthetic-banner top"') == 1
    assert html.count('class="synthetic-banner bottom"') == 1
    # PDF pages: the same words in the top and bottom margin of every page
    assert f'@top-center {{ content: "{LABEL}"' in html
    assert f'@bottom-center {{ content: "{LABEL}"' in html
    markdown = next(tmp_path.glob("*.md")).read_text(encoding="utf-8").strip().splitlines()
    assert markdown[0].startswith("# Lambeth") and LABEL in markdown[2] and LABEL in markdown[-1]


@pytest.mark.parametrize("area", ["Lambeth", "South West", "London"])
def test_every_page_kind_of_the_sample_says_so_in_html_markdown_and_pdf(area, tmp_path, capsys):
    from pypdf import PdfReader

    from crimefighters.briefing import pdf_available

    formats = ["html", "md", "pdf"] if pdf_available("typst") else ["html", "md"]
    assert main(["brief", "--area", area, "--format", *formats, "--output-dir", str(tmp_path)]) == 0
    html = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    assert (
        html.count('class="synthetic-banner ') == 2 and f'@top-center {{ content: "{LABEL}"' in html
    )
    markdown = next(tmp_path.glob("*.md")).read_text(encoding="utf-8").strip().splitlines()
    assert LABEL in markdown[2] and LABEL in markdown[-1]
    for pdf in tmp_path.glob("*.pdf"):
        pages = [page.extract_text() for page in PdfReader(pdf).pages]
        # the top and bottom margin of every page, and the banners above and below the content
        assert all(page.count(LABEL) >= 2 for page in pages)
        assert pages[0].count(LABEL) >= 3 and pages[-1].count(LABEL) >= 3


def test_briefings_of_real_data_carry_no_banner(real, tmp_path, capsys):
    from pypdf import PdfReader

    from crimefighters.briefing import pdf_available

    formats = ["html", "md", "pdf"] if pdf_available("typst") else ["html", "md"]
    path = str(real / REAL_24M)
    args = ["--data", path, "--borough", "Lambeth", "--format", *formats]
    assert main(["brief", *args, "--output-dir", str(tmp_path)]) == 0
    for file in tmp_path.iterdir():
        if file.suffix == ".pdf":
            text = " ".join(page.extract_text() for page in PdfReader(file).pages)
        else:
            text = file.read_text(encoding="utf-8")
        assert LABEL not in text, file.name
    assert len(list(tmp_path.iterdir())) == len(formats)
