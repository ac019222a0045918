"""A stock (people wanted at the month's end) is a level, not events: never added up over months.

Summing twelve month-end counts of outstanding wanted offenders gives a number nobody counted
("2,881 in the 12 months"). A stock is tested by its chart and target only, compared month by
month, and its standing is its average level per 1,000 residents.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from crimefighters.config.models import Measure
from crimefighters.scan import run_scan
from tests.scan_fixtures import observations

END = date(2026, 6, 1)


def _wanted() -> pl.DataFrame:
    # two years around 200 (195/205 alternating), then a year around 320: a plain step up
    values = [195 + 10 * (i % 2) for i in range(24)] + [315 + 10 * (i % 2) for i in range(12)]
    return observations(
        values, end=END, measure="wanted_offenders", category="All", category_group="", family="generic"
    )


def test_a_stock_is_charted_not_summed(config):
    assert next(m for m in config.measures if m.id == "wanted_offenders").stock
    result = run_scan(_wanted(), config, END)
    tests = result.tests.filter(pl.col("measure") == "wanted_offenders")
    assert tests.height > 0, "the step up is on the chart"
    assert set(tests["method"]) <= {"spc", "target"}
    finding = result.findings.filter(
        (pl.col("measure") == "wanted_offenders") & (pl.col("borough") == "Lambeth")
    ).row(0, named=True)
    assert finding["value"] == 325  # the month's count, never a 12-month sum
    assert "12 months" not in finding["evidence"]
    comparisons = result.comparisons.filter(pl.col("measure") == "wanted_offenders")
    assert set(comparisons["window"]) == {"1"}
    june = comparisons.filter(pl.col("area") == "Lambeth").row(0, named=True)
    assert (june["current"], june["previous"]) == (325, 205)


def test_a_stocks_standing_is_its_average_level_per_resident(config):
    result = run_scan(_wanted(), config, END)
    row = result.standing.filter(
        (pl.col("measure") == "wanted_offenders") & (pl.col("area") == "Lambeth")
    ).row(0, named=True)
    population = next(b.population for b in config.geography.boroughs if b.name == "Lambeth")
    assert row["numerator"] == pytest.approx(320.0)  # the mean of 315, 325, ... over 12 months
    assert row["value"] == pytest.approx(320.0 / population * 1000)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "proportion", "unit": "%"}, "only a count can be a stock"),
        ({"methods": ["spc", "yoy"]}, "yoy add a stock up over months"),
    ],
)
def test_a_stock_that_would_be_summed_is_refused(fields, message):
    base = {
        "id": "wanted", "label": "Wanted", "family": "offender_management", "kind": "count",
        "direction": "down", "source": "generic", "stock": True,
    }  # fmt: skip
    with pytest.raises(ValueError, match=message):
        Measure.model_validate({**base, **fields})
