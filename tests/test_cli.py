"""The command line: global options handled once, wherever they stand; one line and exit code 2
for every mistake; `config init`; outputs whose file name does not suit them are refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crimefighters.cli import main
from crimefighters.paths import default_sample_dir
from tests.conftest import REPO

SAMPLE = default_sample_dir()


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("crimefighters: error: "), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip().removeprefix("crimefighters: error: ")


@pytest.fixture
def user_config(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "scan.yaml").write_text("scan: {yoy: {alpha: 0.002}}\n", encoding="utf-8")
    return folder


# --- global options: before or after the command, never overwritten --------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "{cfg}", "config", "check"],
        ["config", "check", "--config", "{cfg}"],
        ["config", "--config", "{cfg}", "check"],
    ],
)
def test_config_is_the_same_option_before_or_after_the_command(user_config, capsys, argv):
    assert main([a.format(cfg=user_config) for a in argv]) == 0
    out = capsys.readouterr().out
    assert (
        out.splitlines()[0]
        == f"configuration OK: {user_config} (--config) over the bundled defaults"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--data", "{a}", "data", "info", "--data", "{b}"],
        ["data", "info", "--data", "{a}", "--data", "{b}"],
        ["--data", "{a}", "--data", "{b}", "data", "info"],
    ],
)
def test_data_paths_add_up_wherever_they_stand(capsys, argv):
    a, b = SAMPLE / "recorded_crime.csv", SAMPLE / "asb.csv"
    assert main([x.format(a=a, b=b) for x in argv]) == 0
    out = capsys.readouterr().out
    assert f"Data: {a}, {b}" in out.splitlines()


@pytest.mark.parametrize(
    "argv",
    [
        ["--data", "/nonexistent", "scan"],
        ["scan", "--data", "/nonexistent"],
        ["--data", str(SAMPLE), "scan", "--data", "/nonexistent"],
        ["data", "info", "--data", "/nonexistent"],
        ["--data", "/nonexistent", "compare", "--month", "2026-06", "--window", "12"],
        ["--data", "/nonexistent", "brief", "--borough", "Lambeth"],
        ["--data", "/nonexistent"],  # the TUI: refused before any screen opens
    ],
)
def test_missing_data_is_one_line_and_exit_2_never_the_sample(capsys, argv):
    assert main(argv) == 2
    assert one_line_error(capsys) == "--data /nonexistent: no such file or directory"
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "/nonexistent.yaml", "config", "check"],
        ["config", "check", "--config", "/nonexistent.yaml"],
        ["--config", "/nonexistent.yaml", "scan"],
        ["data", "info", "--config", "/nonexistent.yaml"],
    ],
)
def test_a_missing_configuration_is_one_line_and_exit_2_never_ok(capsys, argv):
    assert main(argv) == 2
    assert (
        one_line_error(capsys)
        == "/nonexistent.yaml (--config): no such configuration file or directory"
    )


def test_strict_refuses_a_data_folder_holding_a_file_no_loader_recognises(tmp_path, capsys):
    (tmp_path / "asb.csv").write_text(
        "month,borough,measure,category,value\n2024-01,Barnet,asb_incidents,All,3\n"
    )
    (tmp_path / "notes.txt").write_text("Downloaded on Monday.\n")
    assert main(["data", "info", "--data", str(tmp_path)]) == 0
    assert "  - notes.txt:1: not a recognised data format" in capsys.readouterr().out
    # a global option, wherever it stands
    for argv in (
        ["--strict", "data", "info", "--data", str(tmp_path)],
        ["data", "info", "--data", str(tmp_path), "--strict"],
        ["scan", "--strict", "--data", str(tmp_path)],
    ):
        assert main(argv) == 2
        assert one_line_error(capsys).startswith(f"{tmp_path / 'notes.txt'}:1: not a recognised")


def test_no_command_opens_the_tui_with_its_own_options_and_the_global_ones(
    monkeypatch, user_config
):
    import crimefighters.tui.app as app

    calls = []
    monkeypatch.setattr(app, "run", lambda *args, store=None, strict=False: calls.append((*args, store, strict)) or 0)
    assert main([]) == 0
    assert main(["--borough", "Lambeth", "--month", "2026-09"]) == 0
    assert main(["--config", str(user_config), "--data", str(SAMPLE), "--borough", "Lambeth"]) == 0
    assert main(["tui", "--borough", "Lambeth", "--config", str(user_config)]) == 0
    assert main(["--store", "team.sqlite3", "tui"]) == 0
    assert main(["--strict"]) == 0
    assert calls[0] == (None, [SAMPLE], None, None, None, None, False)
    assert calls[5][-1] is True
    assert calls[1][2:4] == (__import__("datetime").date(2026, 9, 1), "Lambeth")
    assert calls[2][:2] == (user_config, [SAMPLE]) and calls[2][3] == "Lambeth"
    assert calls[3][0] == user_config
    assert calls[4][5] == Path("team.sqlite3")  # the meeting store reaches the TUI session


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["scna"],
            "unknown command 'scna'; did you mean scan? (commands: scan, compare, brief, sample, fetch, tui, data, config, actions, meeting, export, annotate)",
        ),
        (
            ["scan", "--format", "xml"],
            'Invalid value "xml" for --format. Choose from: "table", "csv", "json".',
        ),
        (["scan", "--bogus"], "Unknown option: --bogus."),
        (["scan", "--month", "September"], "--month: expected YYYY-MM; got 'September'"),
        (["brief"], "brief: give --area NAME or --all (one of them)"),
        (
            ["brief", "--borough", "Lambeth", "--all"],
            "brief: give --area NAME or --all (one of them)",
        ),
        (
            ["brief", "--area", "Lambeth", "--level", "bcu"],
            "--level goes with --all (a BCU's briefing: --area NAME)",
        ),
        (
            ["compare", "--month", "2026-06", "--window", "12", "--london", "--borough", "Lambeth"],
            "--london and --area: choose one",
        ),
        (["scan", "--detail", "--improvements"], "--detail and --improvements: choose one"),
        (
            ["export", "xlsx", "--output", "month.csv"],
            "--output month.csv: an xlsx workbook must be named *.xlsx",
        ),
    ],
)
def test_command_line_mistakes_are_one_line_and_exit_2(capsys, argv, message):
    assert main(argv) == 2
    assert one_line_error(capsys).startswith(message)


def test_help_and_version_exit_0(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("scan", "compare", "brief", "data", "config", "sample", "fetch", "tui"):
        assert f" {command} " in out
    assert "--data" in out and "--config" in out and "--strict" in out
    assert main(["scan", "--help"]) == 0
    assert "--area --borough" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("crimefighters ")


# --- the same area wording everywhere ----------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "--borough", "Westminister"],
        ["scan", "--area", "Westminister"],
        ["compare", "--month", "2026-06", "--window", "12", "--borough", "Westminister"],
        ["brief", "--borough", "Westminister"],
        ["brief", "--area", "Westminister"],
        ["export", "xlsx", "--output", "x.xlsx", "--area", "Westminister"],
    ],
)
def test_an_unknown_area_reads_the_same_in_every_command(capsys, argv):
    assert main(argv) == 2
    assert one_line_error(capsys) == (
        "unknown area 'Westminister' (a borough, BCU or London); did you mean Westminster?"
    )


def test_short_forms_are_accepted_by_the_commands(capsys):
    assert main(["scan", "--borough", "Kensington", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert rows and all(r.startswith("Kensington and Chelsea,") for r in rows)


# --- outputs whose name does not suit them -----------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["scan", "--output", "{dir}/bd.html"],
            "--output {dir}/bd.html: .html does not suit table output; name the file *.txt, or choose another --format (table, csv, json)",
        ),
        (
            ["scan", "--format", "csv", "--output", "{dir}/bd.json"],
            "--output {dir}/bd.json: .json does not suit csv output; name the file *.csv",
        ),
        (
            [
                "compare",
                "--month",
                "2026-06",
                "--window",
                "12",
                "--format",
                "json",
                "--output",
                "{dir}/t.txt",
            ],
            "--output {dir}/t.txt: .txt does not suit json output",
        ),
        (
            ["brief", "--borough", "Lambeth", "--output", "{dir}/bd.txt"],
            "--output {dir}/bd.txt: .txt does not suit html output; name the file *.html or *.htm, or choose another --format (html, pdf, md)",
        ),
        (
            ["brief", "--borough", "Lambeth", "--format", "md", "--output", "{dir}/bd.html"],
            "--output {dir}/bd.html: .html does not suit md output",
        ),
    ],
)
def test_an_output_file_named_for_another_format_is_refused_and_nothing_written(
    tmp_path, capsys, argv, message
):
    assert main([a.format(dir=tmp_path) for a in argv]) == 2
    assert one_line_error(capsys).startswith(message.format(dir=tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_the_output_suffix_chooses_the_format_when_none_is_given(tmp_path, capsys):
    csv_file, json_file, text_file = tmp_path / "x.csv", tmp_path / "x.json", tmp_path / "x.txt"
    assert main(["scan", "--method", "spc", "--output", str(csv_file)]) == 0
    assert csv_file.read_text().startswith("borough,bcu,measure,")
    assert main(["scan", "--method", "spc", "--output", str(json_file)]) == 0
    assert json_file.read_text().startswith("[")
    assert main(["scan", "--method", "spc", "--output", str(text_file)]) == 0
    assert "\nFindings in " in text_file.read_text()  # after the synthetic-sample banner


# --- config init -----------------------------------------------------------------------------


def test_config_init_writes_an_editable_copy_that_is_then_used(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    folder = tmp_path / "xdg" / "crimefighters"
    assert main(["config", "init"]) == 0
    bundled = sorted((REPO / "config").glob("*.yaml"))
    assert sorted(p.name for p in folder.iterdir()) == [p.name for p in bundled]
    for source in bundled:
        assert (folder / source.name).read_bytes() == source.read_bytes()
    capsys.readouterr()
    scan = folder / "scan.yaml"
    scan.write_text(
        scan.read_text().replace(
            "alpha: 0.01                # exact", "alpha: 0.005               # exact"
        )
    )
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"configuration OK: {folder} (user folder) over the bundled defaults")
    assert "year on year alpha 0.005" in out
    assert main(["data", "info"]) == 0
    assert (
        f"configuration: {folder} (user folder) over the bundled defaults"
        in capsys.readouterr().out
    )


def test_config_init_never_overwrites_without_force(tmp_path, capsys):
    target = tmp_path / "cfg"
    assert main(["config", "init", str(target)]) == 0
    assert f"--config {target}" in capsys.readouterr().out
    (target / "scan.yaml").write_text("scan: {yoy: {alpha: 0.05}}\n")
    assert main(["config", "init", str(target)]) == 2
    assert one_line_error(capsys).startswith(f"{target}: boroughs.yaml, categories.yaml")
    assert (target / "scan.yaml").read_text() == "scan: {yoy: {alpha: 0.05}}\n"
    assert main(["config", "init", str(target), "--force"]) == 0
    assert (target / "scan.yaml").read_bytes() == (REPO / "config" / "scan.yaml").read_bytes()
    assert not [p for p in target.iterdir() if p.name.startswith(".")], "no temporary files left"


def test_config_init_into_a_file_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["config", "init", str(blocker)]) == 2
    assert one_line_error(capsys) == f"{blocker}: not a folder"


# --- start-up: the headless commands import only what they need --------------------------------


def _modules_after(argv: list[str], cache: Path) -> set[str]:
    code = (
        "import sys\nfrom crimefighters.cli import main\n"
        f"code = main({argv!r})\n"
        "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))\n"
        "sys.exit(code)\n"
    )
    env = {**__import__("os").environ, "CRIMEFIGHTERS_CACHE": str(cache)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.splitlines()[-1].split())


def test_help_imports_no_data_library(tmp_path):
    modules = _modules_after(["--help"], tmp_path)
    assert not modules & {"polars", "numpy", "pydantic", "textual", "yaml", "jinja2"}


def test_headless_commands_never_import_textual(tmp_path):
    for argv in (["scan", "--format", "csv"], ["data", "info"], ["config", "check"]):
        assert "textual" not in _modules_after(argv, tmp_path), argv


def test_the_briefing_footer_names_the_configuration_in_use(tmp_path, user_config, capsys):
    md, html = tmp_path / "lambeth.md", tmp_path / "lambeth.html"
    assert (
        main(["--config", str(user_config), "brief", "--borough", "Lambeth", "--output", str(md)])
        == 0
    )
    escaped = str(user_config).replace("_", "\\_")  # Markdown escapes the path's underscores
    assert (
        f"**Configuration:** {escaped} \\(--config\\) over the bundled defaults." in md.read_text()
    )
    assert main(["brief", "--borough", "Lambeth", "--output", str(html)]) == 0
    assert f"<b>Configuration:</b> the bundled defaults ({REPO / 'config'})." in html.read_text()
