"""The briefing sheet: what it says for a known month, and how it is written.

One scan of the bundled sample data (September 2026) is shared by the module; the numbers the
briefing shows are checked against that ScanResult, and the planted Lambeth robbery spike
must lead the concerns.
"""

from __future__ import annotations

import html
import os
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from crimefighters.briefing import (
    atomic_write,
    briefing_filename,
    build_context,
    build_london_context,
    pdf_available,
    render_html,
    render_markdown,
    render_pdf,
    slug,
    write_all,
    write_briefing,
)
from crimefighters.briefing import write as write_module
from crimefighters.errors import BriefingError
from crimefighters.present import fmt_change, fmt_value

SCAN_MONTH = date(2026, 9, 1)
REAL_24M = "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202407-202606__mithunksms__BOCU_format.csv"


@pytest.fixture(scope="module")
def sample():
    from crimefighters.config import load_config
    from crimefighters.data import load_dataset
    from crimefighters.paths import default_sample_dir
    from crimefighters.scan.runner import run_scan

    directory = default_sample_dir()
    if not any(directory.glob("*.csv")):
        pytest.skip("the bundled sample data has not been generated")
    loaded = load_config()
    dataset = load_dataset([directory], loaded.config)
    result = run_scan(dataset.observations, loaded.config, SCAN_MONTH)
    return result, dataset, loaded


@pytest.fixture(scope="module")
def lambeth(sample):
    result, dataset, loaded = sample
    return build_context(result, dataset, loaded, "Lambeth")


@pytest.fixture(scope="module")
def real_scan(real):
    from crimefighters.config import load_config
    from crimefighters.data import load_dataset
    from crimefighters.scan.runner import run_scan

    loaded = load_config()
    dataset = load_dataset([real / REAL_24M], loaded.config)
    return run_scan(dataset.observations, loaded.config), dataset, loaded


def _text(markup: str) -> str:
    """Visible text of HTML, tags dropped and entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


# --- content ----------------------------------------------------------------------------------


def test_lambeth_header_names_borough_bcu_month_and_provisional_month(lambeth):
    assert lambeth["borough"] == "Lambeth"
    assert lambeth["bcu"] == "Central South"
    assert lambeth["month_name"] == "September 2026"
    assert "provisional" in lambeth["provisional_note"]
    assert lambeth["sources"], "the data files and their months are listed"


def test_the_planted_lambeth_robbery_spike_is_one_new_finding_leading_the_page(sample, lambeth):
    findings = lambeth["findings"]
    first = findings["charted"][0]
    assert first["title"] == "Robbery" and first["assessment"] == "concern" and first["is_new"]
    # one card for the spike, whatever methods and categories saw it
    robbery = [c for c in findings["all"] if "robbery" in c["title"].lower()]
    assert len(robbery) == 1
    assert "Robbery (personal property)" in first["covers"]
    assert any("above the SPC upper limit" in t for t in first["tests"])
    assert first["chart"].startswith("<svg"), "each charted finding has its SPC chart"


def test_finding_counts_and_order_match_the_scan(sample, lambeth):
    result, _, _ = sample
    frame = result.for_area("Lambeth")
    found = lambeth["findings"]
    assert found["total"] == frame.height
    assert found["n_concerns"] == frame.filter(pl.col("assessment") == "concern").height
    assert found["n_improvements"] == frame.filter(pl.col("assessment") == "improvement").height
    assert found["n_new"] == frame.filter(pl.col("status") == "new").height
    # new and returned findings first, each group strongest first
    order = {"new": 0, "returned": 1, "continuing": 2}
    expected = frame.with_columns(_o=pl.col("status").replace_strict(order)).sort("_o", pl.col("score"), descending=[False, True])
    assert [c["id"] for c in found["all"]] == expected["finding_id"].to_list()
    assert sorted(c["id"] for c in found["charted"] + found["listed"]) == sorted(c["id"] for c in found["all"])
    assert all(c["assessment"] in ("concern", "improvement") for c in found["charted"])
    assert 1 <= len(found["charted"]) <= 4
    assert {r["title"] for r in found["resolved"]} == set(result.resolved.filter(pl.col("borough") == "Lambeth")["name"])


def test_local_priorities_show_the_scans_values_and_changes(sample, lambeth):
    result, _, loaded = sample
    frame = result.priorities.filter(
        (pl.col("borough") == "Lambeth") & (pl.col("group") == "local")
    ).sort("order")
    assert [r["label"] for r in lambeth["local_priorities"]] == frame["label"].to_list()
    assert lambeth["local_priorities"][0]["label"] == "Anti-social behaviour"
    comparisons = result.comparisons.filter(pl.col("area") == "Lambeth")
    for shown, row in zip(lambeth["local_priorities"], frame.iter_rows(named=True), strict=True):
        assert shown["available"]
        measure = loaded.config.measure(row["measure"])
        assert shown["value"] == fmt_value(row["value"], row["kind"], measure.unit)
        cmp12 = comparisons.filter(
            (pl.col("measure") == row["measure"])
            & (pl.col("level") == row["level"])
            & (pl.col("category") == row["category"])
            & (pl.col("window") == "12")
        ).row(0, named=True)
        assert shown["changes"]["12"]["text"] == fmt_change(
            cmp12["change"], cmp12["change_pct"], cmp12["kind"]
        )
        assert shown["changes"]["12"]["significant"] == cmp12["flagged"]


def test_html_shows_priorities_exceptions_processes_comparison_and_rules(lambeth):
    page = render_html(lambeth)
    text = _text(page)
    for heading in (
        "This month's themes",
        "Local priorities",
        "High-harm priorities",
        "Findings",
        "Key processes",
        "Comparison with Central South BCU and London",
        "How findings are made",
    ):
        assert heading.lower() in text.lower(), heading
    for priority in lambeth["local_priorities"]:
        assert priority["label"] in text
        assert priority["changes"]["12"]["text"] in text
    for card in lambeth["findings"]["charted"]:
        assert card["evidence"] in text
        assert card["status"] in text
    labels = [p["label"] for p in lambeth["key_processes"]]
    assert "I-grade calls attended within 15 minutes" in labels
    assert "≥ 90.0%" in text, "the I-grade target is shown beside the value"
    assert "config/scan.yaml" in text, "each threshold says where it is set"
    assert page.count("<svg") >= len(lambeth["findings"]["charted"]) + len(
        lambeth["local_priorities"]
    )


def test_markdown_carries_the_same_content_without_charts(lambeth):
    text = render_markdown(lambeth)
    assert text.startswith("# Lambeth CrimeFighters briefing, September 2026")
    assert "<svg" not in text
    for priority in lambeth["local_priorities"]:
        assert f"| {priority['label']}" in text.replace("\\", "")
        assert priority["changes"]["12"]["text"] in text
    for card in lambeth["findings"]["all"]:
        assert card["title"] in text.replace("\\", "")
        assert card["status"] in text
    assert "How findings are made" in text


def test_html_is_self_contained(lambeth):
    page = render_html(lambeth)
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)
    assert "url(http" not in page and "@import" not in page
    assert "<link" not in page and "<script" not in page
    assert "<style>" in page


def test_html_escapes_borough_and_category_strings(lambeth):
    hostile = "<script>alert('x')</script>"
    context = dict(lambeth, borough=hostile, title=hostile)
    context["findings"] = dict(lambeth["findings"])
    context["findings"]["charted"] = [dict(c, title=hostile, evidence=hostile) for c in lambeth["findings"]["charted"]]
    context["findings"]["all"] = [dict(c, title=hostile, evidence=hostile) for c in lambeth["findings"]["all"]]
    page = render_html(context)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "<script>" not in render_markdown(context)


def test_london_summary_has_rolling_12_months_by_category_and_every_borough(sample):
    result, dataset, loaded = sample
    context = build_london_context(result, dataset, loaded)
    total = context["by_category"][0]
    assert total["total"] and total["label"] == "Total notifiable offences"
    london = result.comparisons.filter(
        (pl.col("area") == "London")
        & (pl.col("level") == "total")
        & (pl.col("window") == "12")
        & (pl.col("measure") == "recorded_crime")
    ).row(0, named=True)
    assert total["current"] == fmt_value(london["current"], "count")
    assert [b["borough"] for b in context["boroughs"]] == sorted(loaded.config.borough_names())
    text = _text(render_html(context))
    for borough in loaded.config.borough_names():
        assert borough in text


def test_missing_measures_are_said_not_invented(real_scan):
    result, dataset, loaded = real_scan
    context = build_context(result, dataset, loaded, "Lambeth")
    asb = context["local_priorities"][0]
    assert asb["label"] == "Anti-social behaviour" and not asb["available"]
    assert asb["missing"].startswith("no data loaded for")
    assert "I-grade calls attended within 15 minutes" in context["missing_processes"]
    assert context["key_processes"] == []
    text = _text(render_html(context))
    assert "No data loaded for" in text


def test_unknown_borough_is_a_briefing_error(sample):
    result, dataset, loaded = sample
    with pytest.raises(BriefingError, match="unknown borough 'Atlantis'"):
        build_context(result, dataset, loaded, "Atlantis")


def test_borough_spellings_resolve(sample):
    result, dataset, loaded = sample
    assert (
        build_context(result, dataset, loaded, "barking & dagenham")["borough"]
        == "Barking and Dagenham"
    )


# --- writing ----------------------------------------------------------------------------------


def test_safe_file_names_whatever_the_borough_string():
    assert slug("Barking & Dagenham") == "barking-dagenham"
    assert slug("../../etc/passwd") == "etc-passwd"
    assert slug("") == "borough"
    # nothing usable left: a fixed name, never an empty or hidden one
    assert slug("Ħ/\\:*?<>|") == "borough"
    assert slug("...") == "borough"
    assert slug("Ħackney/../x") == "ackney-x"
    name = briefing_filename("Kensington and Chelsea", "2026-09", "pdf")
    assert name == "crimefighters-briefing_kensington-and-chelsea_2026-09.pdf"
    assert re.fullmatch(r"[a-z0-9_.-]+", briefing_filename("<script>/..", "2026-09", "html"))


def test_atomic_write_leaves_the_old_file_whole_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "briefing.html"
    target.write_bytes(b"old briefing")

    def fail(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)  # fails after the bytes are written
    with pytest.raises(OSError):
        atomic_write(target, b"new briefing" * 1000)
    assert target.read_bytes() == b"old briefing"
    assert [p.name for p in tmp_path.iterdir()] == ["briefing.html"]


def test_a_failed_render_writes_no_format(sample, tmp_path, monkeypatch):
    result, dataset, loaded = sample
    old = tmp_path / briefing_filename("Lambeth", "2026-09", "html")
    old.write_text("old")

    def broken(*args, **kwargs):
        raise BriefingError("renderer failed")

    monkeypatch.setattr(write_module, "render_pdf", broken)
    with pytest.raises(BriefingError):
        write_briefing(
            result, dataset, loaded, "Lambeth", formats=("html", "pdf"), output_dir=tmp_path
        )
    assert old.read_text() == "old", (
        "the HTML is not replaced when the PDF of the same briefing fails"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [old.name]


def test_write_briefing_names_files_and_writes_each_format(sample, tmp_path):
    result, dataset, loaded = sample
    paths = write_briefing(
        result, dataset, loaded, "Lambeth", formats=("html", "md"), output_dir=tmp_path
    )
    assert [p.name for p in paths] == [
        "crimefighters-briefing_lambeth_2026-09.html",
        "crimefighters-briefing_lambeth_2026-09.md",
    ]
    assert all(p.stat().st_size > 1000 for p in paths)


def _pdf_pages(data: bytes) -> int:
    """The page count from the /Pages tree, looking inside compressed object streams too."""
    import zlib

    chunks = [data]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, flags=re.S):
        try:
            chunks.append(zlib.decompress(stream))
        except zlib.error:
            continue
    for chunk in chunks:
        found = re.search(
            rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b",
            chunk,
            flags=re.S,
        )
        if found:
            return int(found.group(1) or found.group(2))
    return 0


def _pdf_text(data: bytes) -> str:
    """The text of a PDF without its whitespace (text extraction puts spaces where glyphs are
    kerned apart: "T otal"), typographic apostrophes made plain."""
    import io

    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(data)).pages
    return _squeezed(" ".join(page.extract_text() for page in pages))


def _squeezed(text: str) -> str:
    return "".join(text.replace("’", "'").split())


def _html_section_titles(page: str) -> list[str]:
    """Each <h2>'s own words, without the grey explanation after them."""
    return [
        _text(found)
        for found in re.findall(r'<h2>(.*?)(?:<span class="sub">|</h2>)', page, flags=re.S)
    ]


def _engine(name: str):
    return pytest.param(
        name,
        marks=pytest.mark.skipif(
            not pdf_available(name), reason=f"the {name} PDF engine cannot be imported"
        ),
    )


ENGINES = pytest.mark.parametrize("engine", [_engine("typst"), _engine("weasyprint")])


@ENGINES
def test_pdf_is_a_valid_pdf_of_one_or_two_pages(sample, tmp_path, engine):
    result, dataset, loaded = sample
    (pdf,) = write_briefing(
        result,
        dataset,
        loaded,
        "Lambeth",
        formats=("pdf",),
        output_dir=tmp_path,
        pdf_engine=engine,
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert 1 <= _pdf_pages(data) <= 2


@ENGINES
def test_pdf_on_real_data_is_one_or_two_pages(real_scan, tmp_path, engine):
    result, dataset, loaded = real_scan
    (pdf,) = write_briefing(
        result,
        dataset,
        loaded,
        "Westminster",
        formats=("pdf",),
        output_dir=tmp_path,
        pdf_engine=engine,
    )
    assert 1 <= _pdf_pages(pdf.read_bytes()) <= 2


@ENGINES
def test_the_pdf_shows_every_section_priority_and_finding_the_html_shows(lambeth, engine):
    """The Typst template is a second template beside the HTML one: this keeps them in step.
    A section added to briefing.html.j2 and not to briefing.typ fails here."""
    text = _pdf_text(render_pdf(lambeth, engine=engine)).lower()
    sections = _html_section_titles(render_html(lambeth))
    assert len(sections) >= 6
    expected = [
        *sections,
        "How findings are made",
        *(d["name"] for d in lambeth["definitions"]),
        *(r["label"] for r in lambeth["themes"] + lambeth["local_priorities"] + lambeth["high_harm"]),
        *(c["title"] for c in lambeth["findings"]["all"]),
        *(c["status"] for c in lambeth["findings"]["all"]),
        *(r["title"] for r in lambeth["findings"]["resolved"]),
        *(p["label"] for p in lambeth["key_processes"]),
        *(c["label"] for c in lambeth["comparison"]),
        *(c["evidence"] for c in lambeth["findings"]["charted"]),
    ]
    missing = [item for item in expected if _squeezed(item.lower()) not in text]
    assert not missing, f"in the HTML but not in the {engine} PDF: {missing}"


@ENGINES
def test_the_london_pdf_shows_every_borough_and_category(sample, engine):
    result, dataset, loaded = sample
    context = build_london_context(result, dataset, loaded)
    text = _pdf_text(render_pdf(context, engine=engine)).lower()
    expected = [
        *_html_section_titles(render_html(context)),
        *(b["borough"] for b in context["boroughs"]),
        *(r["label"] for r in context["by_category"]),
        *(r["current"] for r in context["by_category"]),
    ]
    missing = [item for item in expected if _squeezed(item.lower()) not in text]
    assert not missing, f"in the HTML but not in the {engine} PDF: {missing}"


@ENGINES
def test_the_bcu_pdf_shows_every_section_borough_and_finding_the_html_shows(sample, engine):
    """A section added to bcu.html.j2 and not to bcu.typ fails here."""
    from crimefighters.briefing.context import build_bcu_context

    result, dataset, loaded = sample
    # South West: four boroughs side by side, the widest BCU
    context = build_bcu_context(result, dataset, loaded, "South West")
    text = _pdf_text(render_pdf(context, engine=engine)).lower()
    rows = context["local_priorities"] + context["high_harm"] + context["key_processes"]
    expected = [
        *_html_section_titles(render_html(context)),
        *context["boroughs"],
        *(r["label"] for r in rows + context["themes"] + context["comparison"]),
        *(e["title"] for e in context["findings"]["all"]),
        *(e["evidence"] for e in context["findings"]["charted"]),
        *(e["learn_from"] for e in context["findings"]["all"]),
        *(e["title"] for b in context["borough_findings"] for e in b["lines"]),
    ]
    assert len(expected) > 40
    missing = [item for item in expected if _squeezed(item.lower()) not in text]
    assert not missing, f"in the HTML but not in the {engine} PDF: {missing}"


def test_every_briefing_page_has_a_typst_template():
    """A kind of page that comes as Markdown comes as PDF too: a new kind (say a BCU's
    briefing) needs its .typ beside its .html.j2 and .md.j2, or its PDF cannot be made."""
    from importlib.resources import files

    from crimefighters.briefing.render import TEMPLATES

    folder = files("crimefighters.briefing") / "templates"
    pages = [name for name in TEMPLATES.values() if (folder / f"{name}.md.j2").is_file()]
    assert pages, "the briefing pages are found"
    assert [p for p in pages if not (folder / f"{p}.typ").is_file()] == []


HOSTILE = [
    '#import "evil.typ": *',
    '#panic("typst code ran")',
    "*not bold* _not emphasis_ $x^2$ @not-a-reference <not-a-label>",
    "back\\slash [brackets] // not a comment /* nor this */ `not raw` ~ -- ---",
    "#{ 1 + 1 } #let x = 1 = not a heading",
]


@pytest.mark.skipif(not pdf_available("typst"), reason="Typst cannot be imported")
def test_typst_shows_markup_characters_in_user_text_as_text(lambeth):
    """Borough, category and evidence strings reach Typst as data, never as source."""
    context = dict(
        lambeth,
        borough=HOSTILE[0],
        bcu=HOSTILE[1],
        sources_summary=HOSTILE[3],
    )
    context["local_priorities"] = [dict(lambeth["local_priorities"][0], label=HOSTILE[2])]
    context["findings"] = dict(lambeth["findings"])
    context["findings"]["charted"] = [
        dict(lambeth["findings"]["charted"][0], title=HOSTILE[4], evidence=" ".join(HOSTILE))
    ]
    text = _pdf_text(render_pdf(context, engine="typst"))
    for hostile in HOSTILE:
        assert _squeezed(hostile) in text, hostile


@pytest.mark.skipif(not pdf_available("typst"), reason="Typst cannot be imported")
def test_typst_pdf_of_the_same_context_is_the_same_bytes(lambeth):
    assert render_pdf(lambeth, engine="typst") == render_pdf(lambeth, engine="typst")


@pytest.mark.skipif(not pdf_available("typst"), reason="Typst cannot be imported")
def test_own_typst_template_is_used_before_the_bundled_one(lambeth, tmp_path):
    (tmp_path / "briefing.typ").write_text(
        "#show: page-setup.with(ctx.borough)\nOur own page for #ctx.borough.\n"
    )
    text = _pdf_text(render_pdf(lambeth, tmp_path, engine="typst"))
    assert "OurownpageforLambeth." in text, "briefing.typ from the folder, _common.typ bundled"


@pytest.mark.skipif(not pdf_available("typst"), reason="Typst cannot be imported")
def test_a_broken_typst_template_is_one_line_naming_its_file_and_line(lambeth, tmp_path):
    (tmp_path / "briefing.typ").write_text(
        "#show: page-setup.with(ctx.borough)\n\n#ctx.no_such_field\n"
    )
    with pytest.raises(BriefingError) as caught:
        render_pdf(lambeth, tmp_path, engine="typst")
    message = str(caught.value)
    assert re.search(r"briefing\.typ:3: Typst error: .*no_such_field", message), message
    assert "\n" not in message


def test_without_typst_the_pdf_is_refused_with_the_install_line(lambeth, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "typst", None)  # import typst raises ImportError
    assert not pdf_available("typst")
    with pytest.raises(BriefingError, match=re.escape("pip install 'crimefighters[pdf]'")):
        render_pdf(lambeth, engine="typst")


@pytest.mark.skipif(not pdf_available("typst"), reason="Typst cannot be imported")
def test_write_all_writes_every_pdf_in_threads(sample, tmp_path):
    result, dataset, loaded = sample
    seen = []
    paths = write_all(
        result,
        dataset,
        loaded,
        formats=("pdf",),
        output_dir=tmp_path,
        workers=2,
        progress=lambda done, total, name: seen.append((done, total)),
    )
    assert len(paths) == 33 and seen[-1] == (33, 33)
    assert sorted(done for done, _ in seen) == list(range(1, 34))
    for path in paths:
        pages = _pdf_pages(path.read_bytes())
        assert 1 <= pages <= (2 if "london" not in path.name else 4), path.name
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary files left"


def test_write_all_writes_32_boroughs_and_the_london_summary(sample, tmp_path):
    result, dataset, loaded = sample
    seen = []
    paths = write_all(
        result,
        dataset,
        loaded,
        formats=("html", "md"),
        output_dir=tmp_path,
        workers=2,
        progress=lambda done, total, name: seen.append((done, total)),
    )
    assert len(paths) == 2 * 33
    names = {p.name for p in paths}
    assert "crimefighters-briefing_london_2026-09.html" in names
    for borough in loaded.config.borough_names():
        assert briefing_filename(borough, "2026-09", "html") in names
    assert seen[-1] == (33, 33)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary files left"


@pytest.mark.skipif(not pdf_available("typst"), reason="Typst cannot be imported")
def test_worker_processes_finish_after_a_pdf_in_this_process():
    """A forked worker hangs once its parent has compiled a Typst PDF; workers are spawned."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import tempfile
        from pathlib import Path
        from crimefighters.briefing import render_pdf, write_all, build_context
        from crimefighters.config import load_config
        from crimefighters.data import load_dataset
        from crimefighters.paths import default_sample_dir
        from crimefighters.scan.cached import scan_dataset

        if __name__ == "__main__":
            loaded = load_config()
            dataset = load_dataset([default_sample_dir()], loaded.config)
            result = scan_dataset(dataset, loaded.config, None)
            render_pdf(build_context(result, dataset, loaded, "Lambeth"))
            with tempfile.TemporaryDirectory() as out:
                paths = write_all(result, dataset, loaded, ("pdf",), Path(out),
                                  boroughs=["Lambeth", "Sutton"], executor="process")
            print(len(paths))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True
    )
    assert done.stdout.strip() == "3"


# --- command line ----------------------------------------------------------------------------


def test_cli_unknown_borough_is_one_line_and_exit_2(capsys):
    from crimefighters.cli import main

    assert main(["brief", "--borough", "Atlantis"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("crimefighters: error: unknown area 'Atlantis'")
    assert "\n" not in err


def test_cli_unknown_pdf_engine_is_one_line_and_exit_2(capsys):
    from crimefighters.cli import main

    assert main(["brief", "--borough", "Lambeth", "--format", "pdf", "--pdf-engine", "latex"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "crimefighters: error: --pdf-engine: expected typst or weasyprint; got 'latex'"


def test_cli_writes_markdown_to_the_named_file(sample, tmp_path, capsys):
    from crimefighters.cli import main

    target = tmp_path / "lambeth.md"
    assert (
        main(["brief", "--borough", "Lambeth", "--month", "2026-09", "--output", str(target)]) == 0
    )
    assert target.read_text(encoding="utf-8").startswith(
        "# Lambeth CrimeFighters briefing, September 2026"
    )
    assert capsys.readouterr().out.strip() == str(target)


def test_cli_template_dir_overrides_one_template(sample, tmp_path):
    from crimefighters.cli import main

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "_style.css").write_text("body { color: rebeccapurple; }")
    out = tmp_path / "out"
    assert (
        main(
            [
                "brief",
                "--borough",
                "Lambeth",
                "--format",
                "html",
                "--output-dir",
                str(out),
                "--template",
                str(templates),
            ]
        )
        == 0
    )
    page = next(out.glob("*.html")).read_text(encoding="utf-8")
    assert "rebeccapurple" in page and "Local priorities" in page


def test_briefing_never_imports_textual():
    import subprocess
    import sys

    code = "import sys, crimefighters.briefing, crimefighters.commands.brief; assert 'textual' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_paths_are_under_the_output_dir(sample, tmp_path):
    result, dataset, loaded = sample
    paths = write_briefing(
        result, dataset, loaded, "Richmond upon Thames", formats=("md",), output_dir=tmp_path
    )
    assert all(Path(p).parent == tmp_path for p in paths)
