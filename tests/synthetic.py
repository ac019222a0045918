"""Synthetic recorded crime for measuring the scan: false alarms under no change, and detection
of planted changes.

Each series is a borough x published category with the real monthly mean of a 2024-2026 MPS
release (``crimefighters.data.sample.base_rates``), the category's seasonal profile, and
more variation than Poisson allows: each month's expected count is multiplied by
exp(N(0, extra)) (``extra=0.08`` is 8% extra variation; real MPS series vary about 1.8 times
as much as Poisson). ``drift`` adds a slowly wandering level (an AR(1) on the log scale), the
harder null: real series are not stationary.

``plant`` puts known changes on top: a one-month spike, a three-month step, or a 12-month
linear trend, each ending at the scan month (the month the change is complete), on series
whose mean is at least ``min_mean``.

Used by ``bench/bench_findings.py`` (the numbers in docs/benchmarks.md) and by
``tests/test_findings_benchmark.py`` (a small, seeded version that must keep passing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from crimefighters.data.categories import title_case
from crimefighters.data.sample import CRIME_CATEGORIES, SEASONS, base_rates
from crimefighters.data.schema import OBSERVATION_SCHEMA, conform

END = date(2026, 9, 1)


def month_add(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Plant:
    borough: str
    category: str  # the published minor category (title case, as loaded)
    kind: str  # spike | step3 | trend12
    size: float  # +0.5 = +50% at the end of the change
    end: date  # the month the change is complete (the scan month)

    @property
    def direction(self) -> str:
        return "up" if self.size > 0 else "down"

    def multiplier(self, month_index: int, end_index: int) -> float:
        age = end_index - month_index  # 0 at the end month
        if age < 0:
            return 1.0  # the benchmark scans at ``end``; later months are not used
        if self.kind == "spike":
            return 1 + self.size if age == 0 else 1.0
        if self.kind == "step3":
            return 1 + self.size if age <= 2 else 1.0
        if self.kind == "trend12":
            return 1 + self.size * (11 - age) / 11 if age <= 11 else 1.0
        raise ValueError(self.kind)


def categories() -> list[tuple[str, str, str]]:
    """(major, minor, seasonal profile) as the loader names them."""
    return [
        (title_case(group), title_case(sub), season) for group, sub, season, _ in CRIME_CATEGORIES
    ]


def expected_means() -> dict[tuple[str, str], float]:
    """Mean monthly count per (borough, minor category)."""
    titled = {sub: title_case(sub) for _, sub, _, _ in CRIME_CATEGORIES}
    return {(b, titled[sub]): v for b, row in base_rates().items() for sub, v in row.items()}


def generate(
    seed: int,
    *,
    months: int = 60,
    end: date = END,
    extra: float = 0.08,
    drift: float = 0.0,
    seasonal: bool = True,
    plants: list[Plant] = (),
) -> pl.DataFrame:
    """Observations (the canonical table) for 32 boroughs x 31 categories x ``months``."""
    rng = np.random.default_rng(seed)
    cats = categories()
    rates = base_rates()
    boroughs = sorted(rates)
    month_list = [month_add(end, i - months + 1) for i in range(months)]
    calendar = np.array([m.month - 1 for m in month_list])
    raw = {title_case(sub): sub for _, sub, _, _ in CRIME_CATEGORIES}
    planted = {(p.borough, p.category): p for p in plants}
    rows_b, rows_major, rows_minor, values = [], [], [], []
    for borough in boroughs:
        for major, minor, season in cats:
            mean = rates[borough][raw[minor]]
            shape = np.array(SEASONS[season])[calendar] if seasonal else np.ones(months)
            level = np.exp(rng.normal(0.0, extra, months))
            if drift > 0:
                walk = np.zeros(months)
                for i in range(1, months):
                    walk[i] = 0.9 * walk[i - 1] + rng.normal(0.0, drift)
                level *= np.exp(walk)
            lam = mean * shape * level
            plant = planted.get((borough, minor))
            if plant is not None:
                end_index = month_list.index(plant.end)
                lam = lam * np.array([plant.multiplier(i, end_index) for i in range(months)])
            counts = rng.poisson(lam)
            rows_b.extend([borough] * months)
            rows_major.extend([major] * months)
            rows_minor.extend([minor] * months)
            values.extend(counts.tolist())
    n = len(values)
    frame = pl.DataFrame(
        {
            "month": month_list * (n // months),
            "borough": rows_b,
            "measure": ["recorded_crime"] * n,
            "category": rows_minor,
            "category_group": rows_major,
            "value": np.asarray(values, dtype=float),
            "denominator": [None] * n,
            "family": ["mps_new"] * n,
            "source": ["synthetic"] * n,
            "release": [end] * n,
            "provisional": [False] * n,
        },
        schema_overrides={"denominator": pl.Float64},
    )
    return conform(frame, OBSERVATION_SCHEMA)


def random_plants(
    seed: int,
    count: int,
    *,
    min_mean: float = 35.0,
    end: date = END,
    kinds=("spike", "step3", "trend12"),
    sizes=(0.5, 0.75, 1.0, -0.5),
) -> list[Plant]:
    """``count`` changes on distinct series with a mean of at least ``min_mean``.

    Trends use +60% (the issue's 12-month trend); spikes and steps take ``sizes``.
    """
    rng = np.random.default_rng(seed)
    eligible = sorted(key for key, mean in expected_means().items() if mean >= min_mean)
    chosen = rng.choice(len(eligible), size=count, replace=False)
    plants = []
    for i, index in enumerate(chosen):
        borough, minor = eligible[int(index)]
        kind = kinds[i % len(kinds)]
        size = 0.6 if kind == "trend12" else float(sizes[int(rng.integers(len(sizes)))])
        plants.append(Plant(borough, minor, kind, size, end))
    return plants
