"""The briefing remembers the meeting: actions agreed last month, their status, the numbers
since, Gold Group taskings and enduring findings (issue 10)."""

from __future__ import annotations

from datetime import date

import pytest

from crimefighters.briefing import (
    build_context,
    pdf_available,
    render_html,
    render_markdown,
    render_pdf,
)
from crimefighters.briefing.meeting import read_meeting_views
from crimefighters.config import load_config
from crimefighters.data import load_dataset
from crimefighters.meeting import open_store
from crimefighters.paths import default_sample_dir
from crimefighters.scan import run_scan

AUGUST, SEPTEMBER = date(2026, 8, 1), date(2026, 9, 1)


@pytest.fixture(scope="module")
def sample():
    loaded = load_config()
    dataset = load_dataset([default_sample_dir()], loaded.config)
    return loaded, dataset, run_scan(dataset.observations, loaded.config, SEPTEMBER)


def _second_meeting(tmp_path, sample) -> dict:
    """Lambeth's September briefing after an August meeting: two actions on the robbery finding
    (one done since), and the finding tasked to a Gold Group."""
    loaded, dataset, result = sample
    store_path = tmp_path / "meetings.sqlite3"
    lambeth = result.for_area("Lambeth")
    finding = lambeth.filter(lambeth["name"] == "Robbery")["finding_id"][0]
    with open_store(store_path, loaded=loaded, user="analyst") as store:
        store.record_meeting("Lambeth", AUGUST, date(2026, 9, 10), chair="Ch Supt Adams")
        patrols = store.add_action(
            finding,
            "Lambeth",
            AUGUST,
            "Extra patrols on Brixton Road <b>now</b>",
            owner="Insp. Khan",
        )
        store.add_action(finding, "Lambeth", AUGUST, "Review CCTV coverage", owner="Sgt Lee")
        store.task_gold_group(finding, "Lambeth", AUGUST, "Robbery Gold", lead="Supt Brown")
        store.close_action(patrols.id, "done", "two extra cars, weekends", month=SEPTEMBER)
    views = read_meeting_views(["Lambeth"], SEPTEMBER, str(store_path), loaded)
    return build_context(result, dataset, loaded, "Lambeth", meeting=views["Lambeth"])


def test_the_second_meetings_briefing_shows_what_the_first_agreed_and_what_moved(tmp_path, sample):
    context = _second_meeting(tmp_path, sample)
    section = context["meeting"]
    assert section["recorded"] and section["previous"] == "August 2026"
    rows = {a["text"]: a for a in section["actions"]}
    assert rows["Extra patrols on Brixton Road <b>now</b>"]["status"] == "done"
    assert rows["Review CCTV coverage"]["status"] == "open"
    assert rows["Review CCTV coverage"]["finding"] == "Robbery"
    # the numbers since the action was raised: August's value against September's
    since = rows["Review CCTV coverage"]["since"]
    assert "still a finding" in since and "in August 2026" in since and "in September 2026" in since
    # robbery falling from August's spike is better for a measure where down is better
    assert since.endswith("better month on month)") or since.endswith("worse month on month)")
    assert section["gold"][0]["group"] == "Robbery Gold"
    page = render_html(context)
    assert (
        "Since the last meeting" in page
        and "&lt;b&gt;now&lt;/b&gt;" in page
        and "<b>now</b>" not in page
    )
    markdown = render_markdown(context)
    assert "Review CCTV coverage" in markdown and "Robbery Gold" in markdown


def test_without_a_store_the_briefing_still_names_enduring_findings(sample):
    loaded, dataset, result = sample
    context = build_context(result, dataset, loaded, "Lambeth")
    assert not context["meeting"]["recorded"]
    enduring = {e["title"] for e in context["meeting"]["enduring"]}
    lambeth = result.for_area("Lambeth")
    assert enduring == set(lambeth.filter(lambeth["enduring"])["name"])


def test_no_store_is_created_by_reading(tmp_path, sample):
    loaded, _, _ = sample
    assert read_meeting_views(["Lambeth"], SEPTEMBER, str(tmp_path / "none.sqlite3"), loaded) == {}
    assert not (tmp_path / "none.sqlite3").exists()


@pytest.mark.skipif(not pdf_available("typst"), reason="Typst cannot be imported")
def test_the_pdf_shows_the_actions_their_status_and_the_gold_tasking(tmp_path, sample):
    from tests.test_briefing import _pdf_text, _squeezed

    context = _second_meeting(tmp_path, sample)
    text = _pdf_text(render_pdf(context, engine="typst"))
    section = text[text.index("SINCETHELASTMEETING") : text.index("THISMONTH'STHEMES")]
    for action in context["meeting"]["actions"]:
        row = [action[k] for k in ("text", "owner", "due", "status", "finding")] + [
            ": ",
            action["since"],
        ]
        assert _squeezed("".join(row)) in section.replace(_squeezed(action["outcome"]), ""), row
    assert "twoextracars,weekends" in section  # the outcome of the action done
    assert "RobberyGold(leadSuptBrown)" in section
