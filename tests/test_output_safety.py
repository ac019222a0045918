"""Text from data is only ever text: no terminal control, no spreadsheet formula, no Markdown
link or image, no HTML, in the CLI's tables, the CSV and JSON exports and the briefings.

The TUI's half of the promise is in tests/test_tui_safety.py; docs/reliability.md lists both.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from datetime import date

import polars as pl
import pytest
from markdown_it import MarkdownIt

from crimefighters.briefing import build_context, render_html, render_markdown
from crimefighters.cli import main
from crimefighters.exports import csv_text, json_text
from crimefighters.text_safety import (
    FORMULA_STARTS,
    REPLACEMENT,
    clean_expr,
    clean_text,
    csv_safe,
    markdown_text,
    neutralise_formula,
)
from tests.hostile import ALL_NAMES, BOROUGH, ESCAPE_BYTES, hostile_dataset, write_hostile_file

BIDI = {
    "\u061c",
    "\u200e",
    "\u200f",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
}


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _formula_cells(rows: list[dict]) -> list[str]:
    """Text cells a spreadsheet would evaluate (numbers such as -8.3 are numbers)."""
    return [
        v
        for r in rows
        for v in r.values()
        if v[:1] and v[0] in FORMULA_STARTS and not _is_number(v)
    ]


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in BIDI or char in "\u2028\u2029"


# --- the rules --------------------------------------------------------------------------------


def test_every_control_and_direction_character_is_replaced_and_nothing_else_changes():
    text = "".join(map(chr, range(0x3000)))
    cleaned = clean_text(text)
    assert len(cleaned) == len(text)
    for original, shown in zip(text, cleaned, strict=True):
        if _unsafe(original):
            assert shown in (" ", REPLACEMENT), hex(ord(original))
        else:
            assert shown == original, hex(ord(original))
    assert clean_text("tab\there\nnew line\x1b[2J") == f"tab here new line{REPLACEMENT}[2J"


def test_the_polars_rule_is_the_python_rule():
    text = "".join(map(chr, range(0x3000)))
    frame = pl.DataFrame({"name": [text, "\x1b]0;PWNED\x07", "plain"]})
    assert frame.select(clean_expr("name"))["name"].to_list() == [
        clean_text(v) for v in frame["name"]
    ]


@pytest.mark.parametrize("start", list(FORMULA_STARTS))
def test_a_cell_a_spreadsheet_would_evaluate_is_prefixed(start):
    value = f"{start}1+1"
    assert neutralise_formula(value).startswith(f"'{clean_text(start)}")
    assert csv_safe(pl.DataFrame({"c": [value]}))["c"][0] == neutralise_formula(value)


def test_csv_keeps_numbers_as_numbers_and_plain_text_as_it_was():
    frame = pl.DataFrame(
        {
            "category": ["Robbery", "-5 items", "@home"],
            "change": [-5.0, 3.25, -0.5],
            "n": [-1, 2, 3],
        }
    )
    rows = list(csv.reader(io.StringIO(csv_text(frame, synthetic=False))))
    assert rows[0] == ["category", "change", "n", "data_note"]
    assert rows[1] == ["Robbery", "-5.0", "-1", ""]
    assert rows[2][0] == "'-5 items" and rows[2][1:3] == ["3.25", "2"]
    assert rows[3][0] == "'@home" and rows[3][1] == "-0.5"


def _render_tokens(markdown: str):
    parser = MarkdownIt("commonmark").enable("table")
    for token in parser.parse(markdown):
        yield token
        yield from token.children or []


@pytest.mark.parametrize("name", list(ALL_NAMES.values()))
def test_markdown_text_renders_as_the_literal_text(name):
    escaped = markdown_text(name)
    tokens = list(_render_tokens(f"| a | b |\n|---|---|\n| {escaped} | x |\n\nSo: {escaped}.\n"))
    kinds = {t.type for t in tokens}
    assert not kinds & {
        "link_open",
        "image",
        "html_inline",
        "html_block",
        "code_inline",
        "em_open",
        "strong_open",
    }
    shown = [t.content for t in tokens if t.type == "text"]
    assert " ".join(clean_text(name).split()) in shown
    # GFM autolinks bare URLs, www. names and e-mail addresses: none survives unescaped.
    assert re.search(r"(?<!\\)(://|@)", escaped) is None and "www." not in escaped


# --- the commands, end to end through the loader -------------------------------------------------


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory):
    return write_hostile_file(tmp_path_factory.mktemp("hostile"))


def test_scan_csv_neutralises_formulas_and_keeps_markup_as_text(hostile_file, capsys):
    assert main(["scan", "--data", str(hostile_file), "--borough", BOROUGH, "--format", "csv"]) == 0
    findings = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert _formula_cells(findings) == []
    # every category, found or not, through the comparison table's CSV
    argv = ["compare", "--data", str(hostile_file), "--borough", BOROUGH, "--month", "2026-09", "--window", "12", "--level", "minor", "--format", "csv"]
    assert main(argv) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    categories = {r["category"] for r in rows}
    assert '\'=HYPERLINK("http://evil.example","x")' in categories
    assert "'+cmd|' /C calc'!A0" in categories
    assert "'-2+3 @SUM(A1) | `code` **bold** www.evil.example a@evil.example" in categories
    assert "Knife [/] crime" in categories
    assert _formula_cells(rows) == []
    assert {r["data_note"] for r in rows} == {""}  # a copy of the sample, edited: not the sample
    assert all(float(r["current"]) >= 0 for r in rows)


def test_compare_json_and_table_carry_no_control_character(tmp_path, capsys):
    bad = tmp_path / "generic.csv"
    bad.write_text(
        "month,borough,measure,category,value\n"
        + "".join(
            f'2025-{m:02d},Lambeth,asb_incidents,"A \x1b]0;PWNED\x07 {m}",{10 + m}\n'
            for m in range(1, 13)
        ),
        encoding="utf-8",
    )
    for fmt in ("json", "table"):
        code = main(
            [
                "compare",
                "--data",
                str(bad),
                "--month",
                "2025-12",
                "--window",
                "1",
                "--borough",
                "Lambeth",
                "--format",
                fmt,
            ]
        )
        captured = capsys.readouterr()
        if code == 2:  # the loader refused the control characters: the first line of defence
            assert "\x1b" not in captured.err and len(captured.err.strip().splitlines()) == 1
            continue
        assert code == 0
        assert not any(c in captured.out + captured.err for c in ESCAPE_BYTES)


# --- below the loader: every output of a dataset holding every hostile name ---------------------


@pytest.fixture(scope="module")
def hostile_scan():
    from crimefighters.config import load_config
    from crimefighters.data import load_dataset
    from crimefighters.paths import default_sample_dir
    from crimefighters.scan.runner import run_scan

    loaded = load_config()
    dataset = hostile_dataset(load_dataset([default_sample_dir()], loaded.config))
    return run_scan(dataset.observations, loaded.config, date(2026, 9, 1)), dataset, loaded


def test_exports_of_hostile_names_are_clean_and_neutralised(hostile_scan):
    result, _, _ = hostile_scan
    # every series of the borough against last year, found or not
    exceptions = result.comparisons.filter(pl.col("area") == BOROUGH).drop("current_start", "previous_start")
    assert exceptions.filter(pl.col("category").is_in(list(ALL_NAMES.values()))).height >= 6
    text = csv_text(exceptions, synthetic=True)
    assert not any(c in text for c in ESCAPE_BYTES)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["data_note"] for r in rows} == {"SYNTHETIC SAMPLE DATA"}
    assert _formula_cells(rows) == []
    objects = json.loads(json_text(exceptions, synthetic=True))
    assert not any(c in json.dumps(objects, ensure_ascii=False) for c in ESCAPE_BYTES)


def test_markdown_briefing_carries_no_link_image_or_html_from_the_data(hostile_scan):
    result, dataset, loaded = hostile_scan
    markdown = render_markdown(build_context(result, dataset, loaded, BOROUGH))
    assert "\\!\\[img\\]\\(http\\://evil.example/x.png\\)" in markdown  # there, as text
    kinds = {t.type for t in _render_tokens(markdown)}
    assert not kinds & {"link_open", "image", "html_inline", "html_block"}
    assert re.search(r"(?<!\\)://", markdown) is None and "www." not in markdown
    assert not any(c in markdown for c in ESCAPE_BYTES)


def test_html_briefing_escapes_the_data(hostile_scan):
    result, dataset, loaded = hostile_scan
    page = render_html(build_context(result, dataset, loaded, BOROUGH))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="http://evil' not in page and "<img" not in page
    assert not any(c in page for c in ESCAPE_BYTES)
