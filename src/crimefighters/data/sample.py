"""The bundled sample data: synthetic, deterministic, in the real file formats.

``generate(seed)`` returns every file of the sample as bytes (name -> content), including a
README that documents the files and the planted patterns; ``write_sample(directory, seed)``
writes them atomically. Nothing here reads a real file: the per-borough magnitudes below are
rounded monthly means of a 2024-2026 MPS release, hard-coded so the generator runs on a fresh
install. Everything else (seasonality, trends, key-process levels) is invented but set to
the ranges the Met and MOPAC publish.

The data: 32 boroughs, 48 months (2022-10 to 2026-09), recorded crime in the 2026 MPS wide
format (``Group,SubGroup,BOCU``), PAS confidence in MOPAC's semicolon/decimal-comma layout,
and every other measure in generic measure files (``crimefighters.data.formats.generic``).
On top of ordinary noise and seasonality sit the patterns in ``PLANTED``: true exceptions the
scan and the TUI should find.

Only the standard library: ``random.Random`` seeded by (seed, stream name), so one file's
draws never shift another's, and the same seed always gives byte-identical files.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from statistics import NormalDist

from crimefighters.data.synthetic import LABEL, MANIFEST_NAME, manifest_text
from crimefighters.files import atomic_write_bytes

DEFAULT_SEED = 2017
FIRST_MONTH = date(2022, 10, 1)
N_MONTHS = 48


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


MONTHS: tuple[date, ...] = tuple(_add_months(FIRST_MONTH, i) for i in range(N_MONTHS))
LATEST = MONTHS[-1]
_CENTRE = 32.5  # month index of the middle of the release the base rates come from (mid 2025)


def _index(month: date) -> int:
    return (month.year - FIRST_MONTH.year) * 12 + month.month - FIRST_MONTH.month


# ---------------------------------------------------------------------------------------------
# Recorded crime: the 2026 category set and per-borough monthly base rates
# ---------------------------------------------------------------------------------------------

# (Group, SubGroup, seasonal profile, London change per year)
CRIME_CATEGORIES: tuple[tuple[str, str, str, float], ...] = (
    ("ARSON AND CRIMINAL DAMAGE", "ARSON", "summer", 0.0),
    ("ARSON AND CRIMINAL DAMAGE", "CRIMINAL DAMAGE", "summer", -0.01),
    ("BURGLARY", "BURGLARY BUSINESS AND COMMUNITY", "winter_mild", -0.03),
    ("BURGLARY", "RES BURGLARY OF A HOME", "winter", -0.04),
    ("BURGLARY", "RES BURGLARY OF UNCONNECTED BUILDING", "summer", 0.0),
    ("DRUG OFFENCES", "POSSESSION OF DRUGS", "flat", 0.03),
    ("DRUG OFFENCES", "TRAFFICKING OF DRUGS", "flat", 0.02),
    ("FRAUD AND FORGERY", "FRAUD AND FORGERY", "flat", 0.0),
    ("MISCELLANEOUS CRIMES AGAINST SOCIETY", "MISC CRIMES AGAINST SOCIETY", "flat", 0.0),
    ("POSSESSION OF WEAPONS", "POSSESSION OF WEAPONS", "flat", 0.02),
    ("PUBLIC ORDER OFFENCES", "OTHER OFFENCES PUBLIC ORDER", "summer", 0.0),
    ("PUBLIC ORDER OFFENCES", "PUBLIC FEAR, ALARM OR DISTRESS", "summer", -0.01),
    ("PUBLIC ORDER OFFENCES", "RACE OR RELIGIOUS AGG PUBLIC FEAR", "summer", 0.02),
    ("PUBLIC ORDER OFFENCES", "VIOLENT DISORDER", "summer", 0.0),
    ("ROBBERY", "ROBBERY OF BUSINESS PROPERTY", "autumn_winter", 0.0),
    ("ROBBERY", "ROBBERY OF PERSONAL PROPERTY", "autumn_winter", -0.03),
    ("SEXUAL OFFENCES", "OTHER SEXUAL OFFENCES", "summer", 0.0),
    ("SEXUAL OFFENCES", "RAPE", "summer", 0.0),
    ("THEFT", "BICYCLE THEFT", "bicycle", -0.02),
    ("THEFT", "OTHER THEFT", "flat", 0.0),
    ("THEFT", "SHOPLIFTING", "december", 0.06),
    ("THEFT", "THEFT FROM THE PERSON", "autumn_winter", 0.03),
    ("VEHICLE OFFENCES", "AGGRAVATED VEHICLE TAKING", "flat", 0.0),
    ("VEHICLE OFFENCES", "INTERFERING WITH A MOTOR VEHICLE", "autumn_winter", -0.02),
    ("VEHICLE OFFENCES", "THEFT FROM A VEHICLE", "autumn_winter", -0.03),
    ("VEHICLE OFFENCES", "THEFT OR UNAUTH TAKING OF A MOTOR VEH", "autumn_winter", -0.02),
    ("VIOLENCE AGAINST THE PERSON", "DEATH SERIOUS INJURY ILLEGAL DRIVING", "flat", 0.0),
    ("VIOLENCE AGAINST THE PERSON", "HOMICIDE", "flat", 0.0),
    ("VIOLENCE AGAINST THE PERSON", "STALKING AND HARASSMENT", "flat", 0.0),
    ("VIOLENCE AGAINST THE PERSON", "VIOLENCE WITH INJURY", "summer", -0.01),
    ("VIOLENCE AGAINST THE PERSON", "VIOLENCE WITHOUT INJURY", "summer", 0.0),
)

# Offences per month by borough, one number per category above, in that order (rounded to two
# significant figures; under 10 to one decimal).
_BASE_RATES: dict[str, str] = {
    "Barking and Dagenham": "6.8 110 23 40 14 81 35 0 27 14 17 62 26 0.1 15 60 37 24 9.8 140 100 63 1.4 19 71 91 0.2 0.1 150 160 300",
    "Barnet": "5.8 160 40 120 30 54 91 0.1 33 15 23 88 47 0.1 20 45 45 23 16 230 270 84 1.3 38 160 140 0.3 0.2 190 150 310",
    "Bexley": "5.2 130 18 34 10 47 30 0 23 10 16 61 20 0 13 17 30 16 5.5 100 140 22 1.0 23 55 76 0.3 0.1 120 120 200",
    "Brent": "7.2 170 41 78 26 120 81 0 35 24 24 110 45 0.3 26 80 48 26 25 270 270 180 1.3 25 130 100 0.4 0.5 180 220 420",
    "Bromley": "8.6 170 32 63 15 64 33 0.2 29 14 19 90 31 0 18 35 40 23 11 170 260 52 1.2 41 130 120 0.6 0.1 160 150 260",
    "Camden": "4.2 140 87 64 35 82 51 0 22 15 24 120 54 0.1 34 100 54 28 78 590 360 660 1.1 18 150 47 0.5 0.4 140 160 320",
    "Croydon": "8.9 210 44 86 22 120 80 0.3 44 27 31 110 44 0.2 26 66 71 39 16 230 300 69 2.1 34 140 140 0.2 0.3 230 260 460",
    "Ealing": "7.0 170 41 82 24 70 74 0 32 20 23 120 45 0.2 21 58 57 28 33 240 250 110 0.9 33 240 94 0.5 0.4 200 220 420",
    "Enfield": "6.6 160 41 100 19 97 63 0.4 40 23 18 85 34 0.1 17 70 47 26 16 230 230 110 2.5 36 140 150 0.9 0.2 180 180 350",
    "Greenwich": "9.1 160 33 58 30 100 46 0 37 22 27 100 38 0.3 26 49 52 26 25 220 230 80 1.9 28 95 93 0.1 0.3 190 220 350",
    "Hackney": "4.7 140 52 69 44 110 64 0.2 28 23 24 110 44 0.2 28 110 52 26 110 280 230 380 1.1 17 110 55 0.6 0.5 150 180 330",
    "Hammersmith and Fulham": "3.5 98 35 51 18 76 33 0.2 23 13 15 81 38 0.2 18 32 38 20 50 200 220 90 0.5 13 91 46 0.5 0.3 110 130 250",
    "Haringey": "6.0 130 34 74 17 95 54 0.2 28 21 21 81 39 0.2 28 84 47 33 25 210 250 200 1.1 24 150 92 0.4 0.2 150 170 320",
    "Harrow": "1.9 85 21 68 12 45 27 0.2 19 8.4 13 48 20 0.1 14 33 26 15 9.7 120 150 89 0.9 21 82 62 0.3 0 110 100 210",
    "Havering": "5.3 120 24 46 9.9 65 41 0 28 14 17 67 25 0.2 18 32 35 16 9.5 130 190 38 1.8 24 77 90 0.4 0.1 150 140 230",
    "Hillingdon": "8.8 180 35 67 20 66 51 0 160 17 27 100 41 0.4 23 40 51 26 21 280 260 88 1.5 38 170 94 0.5 0.2 170 180 370",
    "Hounslow": "7.2 160 32 57 25 64 46 0.1 33 15 25 100 35 0.2 19 36 44 23 39 200 240 84 1.2 26 150 72 0.5 0.2 180 190 370",
    "Islington": "5.3 130 56 54 30 72 74 0 25 18 28 110 42 0.4 30 79 42 22 74 320 320 320 0.6 17 120 42 0.6 0.2 150 160 280",
    "Kensington and Chelsea": "2.0 89 39 53 17 62 27 0 15 12 11 65 28 0.2 15 39 32 20 30 270 270 180 0.3 13 140 41 0.4 0.3 89 97 200",
    "Kingston upon Thames": "2.5 72 12 23 12 41 16 0 14 7.3 12 41 18 0 7.1 12 23 11 25 87 140 38 0.4 14 40 31 0.2 0 71 79 140",
    "Lambeth": "7.1 180 54 67 36 99 59 0 38 28 27 110 43 0.2 28 130 68 37 79 380 280 430 1.2 30 130 78 0.8 0.6 180 230 390",
    "Lewisham": "5.7 170 28 74 29 99 59 0 34 28 35 110 38 0 24 67 55 34 30 220 220 120 2.2 27 110 98 0.5 0.7 210 220 370",
    "Merton": "3.0 82 14 39 12 34 24 0.1 16 9.0 9.2 46 18 0 12 18 27 16 19 100 140 28 0.7 15 49 53 0.3 0.1 89 94 170",
    "Newham": "6.8 170 56 55 36 130 87 0.3 46 27 32 110 41 0.2 30 120 58 35 46 390 390 350 1.9 31 190 140 0.5 0.3 220 230 430",
    "Redbridge": "5.2 120 37 51 14 70 30 0.1 31 14 19 70 32 0.2 19 49 39 24 16 190 190 110 1.4 25 110 110 0.5 0.2 170 170 340",
    "Richmond upon Thames": "3.7 82 21 35 18 16 30 0 12 4.2 11 42 13 0 9.1 13 20 10 33 93 110 24 0.4 17 79 46 0.3 0 70 66 120",
    "Southwark": "5.4 160 73 83 50 110 59 0.2 31 27 26 100 38 0.1 27 140 60 36 96 430 300 590 1.5 20 110 81 0.5 0.7 180 210 350",
    "Sutton": "4.5 81 15 41 13 36 19 0 18 8.1 16 52 19 0.1 9.2 15 25 12 8.0 81 120 20 0.6 18 50 42 0.1 0 100 100 180",
    "Tower Hamlets": "5.6 170 81 57 64 160 65 0.4 40 24 34 130 51 0.2 32 81 62 38 94 340 260 250 1.8 22 120 83 0.8 0.4 230 220 420",
    "Waltham Forest": "4.5 130 44 52 19 84 55 0.2 25 15 17 74 28 0.1 20 53 39 18 35 200 180 130 2.2 31 120 98 0.3 0.2 150 130 250",
    "Wandsworth": "5.0 130 45 52 42 61 45 0 30 17 20 92 36 0 23 45 48 25 55 240 240 120 1.1 26 140 75 0.6 0.3 140 170 300",
    "Westminster": "5.2 200 130 73 30 180 43 0.2 39 33 37 170 88 1.2 49 230 99 35 84 1400 670 2100 0.9 18 230 51 0.8 0.4 180 260 500",
}
BOROUGHS: tuple[str, ...] = tuple(sorted(_BASE_RATES))

# Rows the real files carry for offences the Met could not place (loaded and set aside).
_UNKNOWN_ROWS = (
    ("SEXUAL OFFENCES", "OTHER SEXUAL OFFENCES"),
    ("THEFT", "OTHER THEFT"),
    ("VIOLENCE AGAINST THE PERSON", "STALKING AND HARASSMENT"),
    ("VIOLENCE AGAINST THE PERSON", "VIOLENCE WITHOUT INJURY"),
)

# Month-of-year shape (January first), normalised to a mean of 1 below.
_SEASONS_RAW: dict[str, tuple[float, ...]] = {
    "flat": (1,) * 12,
    # violence, public order, criminal damage, sexual offences: a summer peak
    "summer": (0.93, 0.94, 0.98, 1.0, 1.04, 1.06, 1.08, 1.04, 1.0, 0.99, 0.96, 0.98),
    # residential burglary: dark evenings, a strong winter peak
    "winter": (1.15, 1.0, 0.95, 0.85, 0.85, 0.8, 0.85, 0.9, 0.95, 1.1, 1.25, 1.35),
    "winter_mild": (1.05, 1.0, 0.98, 0.95, 0.95, 0.93, 0.95, 0.97, 0.98, 1.05, 1.08, 1.11),
    # robbery, theft from the person, vehicle crime: autumn and winter
    "autumn_winter": (1.0, 0.93, 0.95, 0.93, 0.95, 0.95, 0.97, 0.98, 1.0, 1.08, 1.12, 1.14),
    # shoplifting: the run-up to Christmas
    "december": (0.95, 0.94, 1.0, 0.97, 1.0, 0.98, 1.0, 0.99, 0.98, 1.02, 1.05, 1.12),
    "bicycle": (0.65, 0.65, 0.8, 0.95, 1.15, 1.25, 1.3, 1.25, 1.25, 1.1, 0.85, 0.7),
    "asb": (0.85, 0.85, 0.95, 1.05, 1.1, 1.15, 1.2, 1.1, 1.0, 0.95, 0.9, 0.9),
}
SEASONS: dict[str, tuple[float, ...]] = {
    name: tuple(v * 12 / sum(shape) for v in shape) for name, shape in _SEASONS_RAW.items()
}

PAS_MEASURES: dict[str, float] = {  # London level at the start of the sample
    '"Good Job" local': 0.48,
    "Contact ward officer": 0.13,
    "Informed local": 0.29,
    "Listen to concerns": 0.57,
    "Relied on to be there": 0.60,
    "Treat everyone fairly": 0.63,
    "Trust MPS": 0.70,
    "Understand issues": 0.58,
}
# MOPAC spells these two differently from the canonical names.
_PAS_SPELLINGS = {
    "Westminster": "City of Westminster",
    "Richmond upon Thames": "Richmond Upon Thames",
}

# High-harm flags: (category, share of which base crime categories, seasonal profile,
# step at the CONNECT change of 2024-03)
_FLAGS: tuple[tuple[str, dict[str, float], str, float], ...] = (
    (
        "Domestic abuse",
        {
            "VIOLENCE WITH INJURY": 0.37,
            "VIOLENCE WITHOUT INJURY": 0.37,
            "STALKING AND HARASSMENT": 0.37,
        },
        "summer",
        1.06,
    ),
    ("Racist and religious hate crime", {"RACE OR RELIGIOUS AGG PUBLIC FEAR": 1.0}, "summer", 1.08),
    ("Child sexual exploitation", {"OTHER SEXUAL OFFENCES": 0.025, "RAPE": 0.025}, "flat", 1.0),
    (
        "Knife crime",
        {"ROBBERY OF PERSONAL PROPERTY": 0.5, "VIOLENCE WITH INJURY": 0.05},
        "autumn_winter",
        1.0,
    ),
    (
        "Gun crime",
        {"ROBBERY OF PERSONAL PROPERTY": 0.012, "VIOLENCE WITH INJURY": 0.012},
        "flat",
        1.0,
    ),
    ("Sexual orientation hate crime", {"RACE OR RELIGIOUS AGG PUBLIC FEAR": 0.18}, "summer", 1.08),
    ("Transgender hate crime", {"RACE OR RELIGIOUS AGG PUBLIC FEAR": 0.03}, "flat", 1.08),
    ("Disability hate crime", {"RACE OR RELIGIOUS AGG PUBLIC FEAR": 0.04}, "flat", 1.08),
    ("Faith hate crime", {"RACE OR RELIGIOUS AGG PUBLIC FEAR": 0.15}, "summer", 1.08),
)
CONNECT_MONTH = date(2024, 3, 1)
# The measure each flag belongs to (measures.yaml): the MPS Monthly Crime Dashboard's measures
# where it publishes the flag, flagged_offences for the rest.
_FLAG_MEASURES = {
    "Domestic abuse": "domestic_abuse_offences",
    "Knife crime": "knife_crime_offences",
    "Gun crime": "gun_crime_offences",
    "Child sexual exploitation": "flagged_offences",
}


def _flag_measure(category: str) -> str:
    return _FLAG_MEASURES.get(category, "hate_crime_offences" if "hate crime" in category else "flagged_offences")


# ---------------------------------------------------------------------------------------------
# Planted patterns
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlantedPattern:
    """One true exception in the sample data, and what should find it."""

    id: str
    file: str
    borough: str
    measure: str
    category: str  # as written in the file ("All" for single-series generic measures)
    start: date  # first month (or quarter end) affected; the pattern runs to the latest month
    kind: str  # spike, shift, trend, below_target, target_met, drop, yoy_rise
    moves: str  # up or down: what the planted change does to the value
    assessment: str  # concern or improvement
    effect: str  # what was done to the series, in words
    finds_it: str  # which rule of methods.md should flag it in the latest month


PLANTED: tuple[PlantedPattern, ...] = (
    PlantedPattern(
        "lambeth_robbery_spike", "recorded_crime.csv", "Lambeth", "recorded_crime",
        "ROBBERY OF PERSONAL PROPERTY", date(2026, 9, 1), "spike", "up", "concern",
        "x2.2 in the latest month only",
        "SPC: latest point above the upper process limit; year on year (latest month)",
    ),
    PlantedPattern(
        "barnet_burglary_improvement", "recorded_crime.csv", "Barnet", "recorded_crime",
        "RES BURGLARY OF A HOME", date(2026, 1, 1), "shift", "down", "improvement",
        "x0.6 from 2026-01 (both residential burglary categories), a sustained fall",
        "SPC: shift, 7+ points below the mean; year on year (3 and 12 months)",
    ),
    PlantedPattern(
        "hackney_theft_from_person_trend", "recorded_crime.csv", "Hackney", "recorded_crime",
        "THEFT FROM THE PERSON", date(2026, 2, 1), "trend", "up", "concern",
        "+4.5% a month compounding from 2026-02, eight strictly rising months",
        "SPC: trend, 7+ points each higher than the last",
    ),
    PlantedPattern(
        "croydon_violence_shift", "recorded_crime.csv", "Croydon", "recorded_crime",
        "VIOLENCE WITH INJURY", date(2026, 2, 1), "shift", "up", "concern",
        "x1.5 from 2026-02",
        "SPC: shift, 7+ points above the mean; year on year (3 and 12 months)",
    ),
    PlantedPattern(
        "westminster_shoplifting_rise", "recorded_crime.csv", "Westminster", "recorded_crime",
        "SHOPLIFTING", date(2025, 10, 1), "yoy_rise", "up", "concern",
        "x1.35 from 2025-10: the latest 12 months against the 12 before",
        "year on year: exact conditional Poisson test on 1, 3 and 12 months and FYTD",
    ),
    PlantedPattern(
        "newham_i_grade_below_target", "response_times.csv", "Newham", "response_i_compliance",
        "All", date(2026, 2, 1), "below_target", "down", "concern",
        "I-grade compliance 93% until 2026-01, then 82% (target 90%)",
        "target: latest month below 90%; SPC shift below the mean; rate test against last year",
    ),
    PlantedPattern(
        "ealing_i_grade_target_met", "response_times.csv", "Ealing", "response_i_compliance",
        "All", date(2026, 9, 1), "target_met", "up", "improvement",
        "I-grade compliance 86% in every month to 2026-08, then 93% in 2026-09",
        "target: was missing the 90% target and now meets it; SPC above the upper limit",
    ),
    PlantedPattern(
        "haringey_pas_confidence_drop", "pas_confidence.csv", "Haringey", "pas_confidence",
        '"Good Job" local', date(2025, 12, 1), "drop", "down", "concern",
        '"Good Job" local down 2.5 points a quarter for four quarters (10 on the year), '
        "Trust MPS the same",
        "rate: more than 5 percentage points below the same quarter last year",
    ),
    PlantedPattern(
        "lewisham_positive_outcome_improvement", "outcomes.csv", "Lewisham",
        "positive_outcome_rate", "All", date(2026, 2, 1), "shift", "up", "improvement",
        "positive outcome rate 8.5% until 2026-01, then 12%",
        "SPC shift above the mean; two-proportion test against last year",
    ),
    PlantedPattern(
        "brent_cdi_below_target", "crime_recording.csv", "Brent", "cdi_compliance", "All",
        date(2026, 4, 1), "below_target", "down", "concern",
        "crime-data integrity compliance 95.5% until 2026-03, then 83% (target 90%)",
        "target: latest month below 90%; rate test against last year",
    ),
    PlantedPattern(
        "southwark_knife_crime_rise", "high_harm_flags.csv", "Southwark", "knife_crime_offences",
        "Knife crime", date(2026, 2, 1), "yoy_rise", "up", "concern",
        "x1.7 from 2026-02",
        "year on year (3 and 12 months); SPC above the mean",
    ),
    PlantedPattern(
        "tower_hamlets_vcop_drop", "victim_care.csv", "Tower Hamlets", "vcop_updated", "All",
        date(2026, 2, 1), "shift", "down", "concern",
        "victims updated 12 points lower from 2026-02",
        "SPC shift below the mean; two-proportion test against last year",
    ),
)  # fmt: skip


_PLANTED_BY_ID = {p.id: p for p in PLANTED}


def _planted(pattern_id: str) -> PlantedPattern:
    return _PLANTED_BY_ID[pattern_id]


def _after(pattern_id: str, month: date) -> bool:
    return month >= _planted(pattern_id).start


# ---------------------------------------------------------------------------------------------
# Random draws
# ---------------------------------------------------------------------------------------------


def _rng(seed: int, stream: str) -> random.Random:
    # A string seed is hashed with SHA-512 by random.seed: stable across runs and platforms.
    return random.Random(f"crimefighters-sample/{seed}/{stream}")


def _round(x: float) -> int:
    return math.floor(x + 0.5)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam < 30:  # Knuth: multiply uniforms until below e^-lambda
        limit = math.exp(-lam)
        k, product = 0, rng.random()
        while product > limit:
            k += 1
            product *= rng.random()
        return k
    return max(0, _round(rng.gauss(lam, math.sqrt(lam))))


def _binomial(rng: random.Random, n: int, p: float) -> int:
    p = min(max(p, 0.0), 1.0)
    if n < 40:
        return sum(1 for _ in range(n) if rng.random() < p)
    draw = _round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))
    return min(max(draw, 0), n)


def _planted_binomial(rng: random.Random, n: int, p_old: float, p_new: float) -> int:
    """A numerator in a planted month of a proportion (see ``_draw_planted``)."""
    return int(_draw_planted(lambda: _binomial(rng, n, p_new), n * p_old, n * p_new))


@functools.cache
def _days_factor(month: date) -> float:
    following = _add_months(month, 1)
    return (following - month).days / 30.4375


def _shortfall(rng: random.Random) -> float:
    """The newest month of a release runs 1-3% low: later releases revise it up."""
    return 1 - rng.uniform(0.01, 0.03)


def _draw_planted(draw: Callable[[], float], old: float, new: float) -> float:
    """One month of a planted pattern, drawn again while it lands nearer the old level than
    two-thirds of the way to the new one: noise must not hide what the README promises."""
    threshold = old + (new - old) * 2 / 3
    for _ in range(200):
        value = draw()
        if (value >= threshold) if new > old else (value <= threshold):
            return value
    raise RuntimeError(f"planted draw never passed {threshold}")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Recorded crime
# ---------------------------------------------------------------------------------------------


def base_rates() -> dict[str, dict[str, float]]:
    """Offences per month by borough and SubGroup (mid-2025 level, before seasonality)."""
    table: dict[str, dict[str, float]] = {}
    for borough, numbers in _BASE_RATES.items():
        values = [float(v) for v in numbers.split()]
        if len(values) != len(CRIME_CATEGORIES):
            raise ValueError(
                f"{borough}: {len(values)} base rates for {len(CRIME_CATEGORIES)} categories"
            )
        table[borough] = {
            sub: v for (_, sub, _, _), v in zip(CRIME_CATEGORIES, values, strict=True)
        }
    return table


def _crime_effect(borough: str, category: str, month: date) -> float:
    """The planted multipliers on recorded crime."""
    i = _index(month)
    if borough == "Lambeth" and category == "ROBBERY OF PERSONAL PROPERTY" and month == LATEST:
        return 2.2
    if (
        borough == "Barnet"
        and category.startswith("RES BURGLARY")
        and _after("barnet_burglary_improvement", month)
    ):
        return 0.6
    if (
        borough == "Hackney"
        and category == "THEFT FROM THE PERSON"
        and _after("hackney_theft_from_person_trend", month)
    ):
        return 1.045 ** (i - _index(_planted("hackney_theft_from_person_trend").start) + 1)
    if (
        borough == "Croydon"
        and category == "VIOLENCE WITH INJURY"
        and _after("croydon_violence_shift", month)
    ):
        return 1.5
    if (
        borough == "Westminster"
        and category == "SHOPLIFTING"
        and _after("westminster_shoplifting_rise", month)
    ):
        return 1.35
    return 1.0


def recorded_crime(seed: int) -> dict[tuple[str, str, str], list[int]]:
    """(borough, group, subgroup) -> 48 monthly counts, boroughs then 'Unknown'."""
    rng = _rng(seed, "recorded_crime")
    rates = base_rates()
    shortfall = _shortfall(rng)
    series: dict[tuple[str, str, str], list[int]] = {}
    for borough in BOROUGHS:
        for group, sub, season, trend in CRIME_CATEGORIES:
            counts = []
            for i, month in enumerate(MONTHS):
                expected = (
                    rates[borough][sub]
                    * SEASONS[season][month.month - 1]
                    * _days_factor(month)
                    * (1 + trend) ** ((i - _CENTRE) / 12)
                    * (shortfall if month == LATEST else 1.0)
                )
                noise = math.exp(
                    rng.gauss(0, 0.05)
                )  # more variation than Poisson, as real series have
                effect = _crime_effect(borough, sub, month)
                if effect == 1.0:
                    counts.append(_poisson(rng, expected * noise))
                else:
                    lam = expected * effect * noise
                    counts.append(
                        int(
                            _draw_planted(
                                lambda lam=lam: _poisson(rng, lam), expected, expected * effect
                            )
                        )
                    )
            series[(borough, group, sub)] = counts
    _make_trend(
        series[("Hackney", "THEFT", "THEFT FROM THE PERSON")],
        _planted("hackney_theft_from_person_trend").start,
    )
    for group, sub in _UNKNOWN_ROWS:
        series[("Unknown", group, sub)] = [_poisson(rng, 0.06) for _ in MONTHS]
    return series


def _make_trend(counts: list[int], start: date) -> None:
    """Order the run's draws so each month is strictly above the last (a planted trend)."""
    first = _index(start)
    run = sorted(counts[first:])
    for k in range(1, len(run)):
        run[k] = max(run[k], run[k - 1] + 1)
    counts[first:] = run


def _borough_totals(crime: dict[tuple[str, str, str], list[int]]) -> dict[str, list[int]]:
    totals = {b: [0] * N_MONTHS for b in BOROUGHS}
    for (borough, _, _), counts in crime.items():
        if borough in totals:
            totals[borough] = [a + b for a, b in zip(totals[borough], counts, strict=True)]
    return totals


def _wide_csv(crime: dict[tuple[str, str, str], list[int]]) -> bytes:
    """The 2026 MPS layout: Group,SubGroup,BOCU then one YYYYMM column per month."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Group", "SubGroup", "BOCU", *(f"{m:%Y%m}" for m in MONTHS)])
    for (borough, group, sub), counts in sorted(crime.items()):
        writer.writerow([group, sub, borough, *counts])
    return out.getvalue().encode()


# ---------------------------------------------------------------------------------------------
# Generic measure files
# ---------------------------------------------------------------------------------------------

Row = tuple[date, str, str, str, float | int, float | int | None]


def _generic_csv(rows: list[Row], with_denominator: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["month", "borough", "measure", "category", "value"]
    writer.writerow([*header, "denominator"] if with_denominator else header)
    for month, borough, measure, category, value, denominator in sorted(
        rows, key=lambda r: (r[2], r[1], r[3], r[0])
    ):
        cells = [f"{month:%Y-%m}", borough, measure, category, _number(value)]
        if with_denominator:
            cells.append("" if denominator is None else _number(denominator))
        writer.writerow(cells)
    return out.getvalue().encode()


def _number(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:.1f}"


def _borough_level(rng: random.Random, low: float, high: float) -> dict[str, float]:
    return {b: rng.uniform(low, high) for b in BOROUGHS}


def _wander(rng: random.Random, sd: float, pull: float = 0.2) -> list[float]:
    """A slow month-to-month drift around zero (an AR(1) series)."""
    level, path = 0.0, []
    for _ in MONTHS:
        level = (1 - pull) * level + rng.gauss(0, sd)
        path.append(level)
    return path


def _count_rows(
    rng: random.Random,
    measure: str,
    category: str,
    base: dict[str, float],
    season: str,
    step: Callable[[date], float],
    planted: Callable[[str, date], float],
) -> list[Row]:
    shortfall = _shortfall(rng)
    rows: list[Row] = []
    for borough in BOROUGHS:
        for month in MONTHS:
            expected = (
                base[borough]
                * SEASONS[season][month.month - 1]
                * _days_factor(month)
                * step(month)
                * (shortfall if month == LATEST else 1.0)
            )
            noise = math.exp(rng.gauss(0, 0.05))
            effect = planted(borough, month)
            if effect == 1.0:
                value = _poisson(rng, expected * noise)
            else:
                lam = expected * effect * noise
                value = int(
                    _draw_planted(lambda lam=lam: _poisson(rng, lam), expected, expected * effect)
                )
            rows.append((month, borough, measure, category, value, None))
    return rows


def _asb(seed: int, totals: dict[str, list[int]]) -> bytes:
    rng = _rng(seed, "asb")
    share = _borough_level(rng, 0.19, 0.30)  # ASB incidents per recorded offence
    base = {b: share[b] * sum(totals[b]) / N_MONTHS for b in BOROUGHS}
    rows = _count_rows(rng, "asb_incidents", "All", base, "asb", lambda m: 1.0, lambda b, m: 1.0)
    return _generic_csv(rows, with_denominator=False)


def _high_harm(seed: int) -> bytes:
    rng = _rng(seed, "high_harm_flags")
    rates = base_rates()
    rows: list[Row] = []
    for category, shares, season, connect_step in _FLAGS:
        base = {b: sum(rates[b][sub] * share for sub, share in shares.items()) for b in BOROUGHS}

        def step(month: date, connect_step=connect_step) -> float:
            return connect_step if month >= CONNECT_MONTH else 1.0

        def planted(borough: str, month: date, category=category) -> float:
            knife = _planted("southwark_knife_crime_rise")
            if category == knife.category and borough == knife.borough and month >= knife.start:
                return 1.7
            return 1.0

        rows += _count_rows(rng, _flag_measure(category), category, base, season, step, planted)
    return _generic_csv(rows, with_denominator=False)


def _outcomes(seed: int, totals: dict[str, list[int]]) -> bytes:
    rng = _rng(seed, "outcomes")
    level = _borough_level(rng, 0.08, 0.12)
    level["Lewisham"] = 0.085
    rows: list[Row] = []
    for borough in BOROUGHS:
        drift = _wander(rng, 0.003)
        for i, month in enumerate(MONTHS):
            p = level[borough] + drift[i]
            offences = totals[borough][i]
            if borough == "Lewisham" and _after("lewisham_positive_outcome_improvement", month):
                positive = _planted_binomial(rng, offences, p, 0.12 + drift[i])
            else:
                positive = _binomial(rng, offences, p)
            rows.append((month, borough, "positive_outcome_rate", "All", positive, offences))
            rows.append((month, borough, "positive_outcomes", "All", positive, None))
    return _generic_csv(rows, with_denominator=True)


_I_SIGMA = 0.4  # spread of log attendance times, I grade (lognormal)
_S_SIGMA = 0.8


def _median_for(compliance: float, target_minutes: float, sigma: float) -> float:
    """Median attendance time of a lognormal whose share within the target is ``compliance``."""
    compliance = min(max(compliance, 0.01), 0.99)
    return target_minutes / math.exp(NormalDist().inv_cdf(compliance) * sigma)


def _response_times(seed: int, totals: dict[str, list[int]]) -> bytes:
    rng = _rng(seed, "response_times")
    i_level = _borough_level(rng, 0.85, 0.92)
    s_level = _borough_level(rng, 0.76, 0.88)
    i_level["Newham"] = 0.93
    i_level["Ealing"] = 0.86
    rows: list[Row] = []
    for borough in BOROUGHS:
        calls = sum(totals[borough]) / N_MONTHS
        i_drift, s_drift = _wander(rng, 0.005), _wander(rng, 0.006)
        for i, month in enumerate(MONTHS):
            busy = SEASONS["summer"][month.month - 1]  # more calls in summer, slower attendance
            p_i = i_level[borough] + i_drift[i] - 0.12 * (busy - 1)
            if borough == "Ealing":
                p_i = 0.93 if month == LATEST else min(p_i, 0.875)
            p_s = s_level[borough] + s_drift[i] - 0.2 * (busy - 1)
            n_i = _poisson(rng, 0.55 * calls * busy * _days_factor(month))
            n_s = _poisson(rng, 0.9 * calls * busy * _days_factor(month))
            within_i, within_s = _binomial(rng, n_i, p_i), _binomial(rng, n_s, p_s)
            if borough == "Newham" and _after("newham_i_grade_below_target", month):
                within_i = _planted_binomial(rng, n_i, p_i, 0.82 + i_drift[i])
            if borough == "Ealing" and month != LATEST:
                within_i = min(within_i, math.ceil(0.9 * n_i) - 1)  # missing, every month
            median_i = _median_for(within_i / n_i, 15, _I_SIGMA) * math.exp(rng.gauss(0, 0.02))
            median_s = _median_for(within_s / n_s, 60, _S_SIGMA) * math.exp(rng.gauss(0, 0.03))
            rows += [
                (month, borough, "response_i_compliance", "All", within_i, n_i),
                (month, borough, "response_s_compliance", "All", within_s, n_s),
                (month, borough, "response_i_median_minutes", "All", round(median_i, 1), None),
                (month, borough, "response_s_median_minutes", "All", round(median_s, 1), None),
                (
                    month,
                    borough,
                    "response_i_mean_minutes",
                    "All",
                    round(median_i * rng.uniform(1.12, 1.2), 1),
                    None,
                ),
                (
                    month,
                    borough,
                    "response_s_mean_minutes",
                    "All",
                    round(median_s * rng.uniform(1.35, 1.5), 1),
                    None,
                ),
            ]
    return _generic_csv(rows, with_denominator=True)


def _victim_care(seed: int, totals: dict[str, list[int]]) -> bytes:
    rng = _rng(seed, "victim_care")
    vcop = _borough_level(rng, 0.60, 0.74)
    satisfaction = _borough_level(rng, 0.68, 0.80)
    surveyed = _borough_level(rng, 45, 110)
    rows: list[Row] = []
    for borough in BOROUGHS:
        drift = _wander(rng, 0.006)
        for i, month in enumerate(MONTHS):
            p = vcop[borough] + drift[i]
            due = _round(0.22 * totals[borough][i])
            if borough == "Tower Hamlets" and _after("tower_hamlets_vcop_drop", month):
                updated = _planted_binomial(rng, due, p, p - 0.12)
            else:
                updated = _binomial(rng, due, p)
            rows.append((month, borough, "vcop_updated", "All", updated, due))
            asked = max(20, _poisson(rng, surveyed[borough]))
            satisfied = _binomial(rng, asked, satisfaction[borough])
            rows.append((month, borough, "victim_satisfaction", "All", satisfied, asked))
    return _generic_csv(rows, with_denominator=True)


def _offender_management(seed: int, totals: dict[str, list[int]]) -> bytes:
    rng = _rng(seed, "offender_management")
    reoffending = _borough_level(rng, 0.28, 0.42)
    rows: list[Row] = []
    for borough in BOROUGHS:
        mean_total = sum(totals[borough]) / N_MONTHS
        cohort = 25 + mean_total / 60
        wanted_base = mean_total / 10
        wanted = wanted_base
        for month in MONTHS:
            cohort = max(20.0, cohort + rng.gauss(0, 2))
            size = _round(cohort)
            rows.append(
                (
                    month,
                    borough,
                    "iom_reoffending",
                    "All",
                    _binomial(rng, size, reoffending[borough]),
                    size,
                )
            )
            wanted = wanted + 0.15 * (wanted_base - wanted) + rng.gauss(0, 0.04 * wanted_base)
            rows.append((month, borough, "wanted_offenders", "All", max(0, _round(wanted)), None))
    return _generic_csv(rows, with_denominator=True)


def _criminal_justice(seed: int, totals: dict[str, list[int]]) -> bytes:
    rng = _rng(seed, "criminal_justice")
    charge = _borough_level(rng, 0.30, 0.40)
    days = _borough_level(rng, 12, 30)
    rows: list[Row] = []
    for borough in BOROUGHS:
        drift = _wander(rng, 0.006)
        for i, month in enumerate(MONTHS):
            arrests = _poisson(rng, 0.09 * totals[borough][i])
            charged = _binomial(rng, arrests, charge[borough] + drift[i])
            rows.append((month, borough, "charge_rate", "All", charged, arrests))
            median_days = (
                days[borough] * (1 + 0.04 * (i - _CENTRE) / 12) * math.exp(rng.gauss(0, 0.08))
            )
            rows.append((month, borough, "days_to_charge", "All", round(median_days, 1), None))
    return _generic_csv(rows, with_denominator=True)


def _crime_recording(seed: int) -> bytes:
    rng = _rng(seed, "crime_recording")
    compliance = _borough_level(rng, 0.935, 0.97)
    audited = _borough_level(rng, 250, 400)
    compliance["Brent"] = 0.955
    rows: list[Row] = []
    for borough in BOROUGHS:
        drift = _wander(rng, 0.004)
        for i, month in enumerate(MONTHS):
            p = min(compliance[borough] + drift[i], 0.99)
            n = _poisson(rng, audited[borough])
            if borough == "Brent" and _after("brent_cdi_below_target", month):
                correct = _planted_binomial(rng, n, p, 0.83 + drift[i])
            else:
                correct = _binomial(rng, n, p)
            rows.append((month, borough, "cdi_compliance", "All", correct, n))
    return _generic_csv(rows, with_denominator=True)


# ---------------------------------------------------------------------------------------------
# PAS confidence, MOPAC layout
# ---------------------------------------------------------------------------------------------

QUARTER_ENDS: tuple[date, ...] = tuple(m for m in MONTHS if m.month in (3, 6, 9, 12))


def _quarter_end_day(month: date) -> date:
    return date(month.year, month.month, (_add_months(month, 1) - month).days)


def _decimal_comma(x: float) -> str:
    """Two decimals, trailing zero dropped, comma for the point: 0.60 -> '0,6' (as Excel wrote)."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def pas_values(seed: int) -> dict[tuple[str, str, date], float]:
    """(borough, PAS measure, quarter-end month) -> proportion (unrounded)."""
    rng = _rng(seed, "pas_confidence")
    general = _borough_level(rng, -0.08, 0.10)  # some boroughs are more confident throughout
    values: dict[tuple[str, str, date], float] = {}
    drop = _planted("haringey_pas_confidence_drop")
    for measure, london in PAS_MEASURES.items():
        scale = min(1.0, london / 0.5)
        for borough in BOROUGHS:
            offset = (general[borough] + rng.gauss(0, 0.02)) * scale
            walk = 0.0
            for q, quarter in enumerate(QUARTER_ENDS):
                walk = 0.7 * walk + rng.gauss(0, 0.005) * scale  # rolling 12 months: smooth
                value = london + 0.005 * q / 4 + offset + walk
                if borough == drop.borough and quarter >= drop.start:
                    step = QUARTER_ENDS.index(quarter) - QUARTER_ENDS.index(drop.start) + 1
                    value -= {'"Good Job" local': 0.025, "Trust MPS": 0.025}.get(
                        measure, 0.0
                    ) * step
                values[(borough, measure, quarter)] = min(max(value, 0.02), 0.97)
    return values


def _pas_csv(seed: int) -> bytes:
    """Semicolon-delimited, decimal commas, CRLF, dd/mm/yyyy quarter ends, MPS column."""
    values = pas_values(seed)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Date", "Survey", "Borough", "Measure", "Proportion", "MPS"])
    for measure in PAS_MEASURES:
        for quarter in QUARTER_ENDS:
            london = sum(values[(b, measure, quarter)] for b in BOROUGHS) / len(BOROUGHS)
            for borough in BOROUGHS:
                writer.writerow(
                    [
                        f"{_quarter_end_day(quarter):%d/%m/%Y}",
                        "PAS",
                        _PAS_SPELLINGS.get(borough, borough),
                        measure,
                        _decimal_comma(values[(borough, measure, quarter)]),
                        _decimal_comma(london),
                    ]
                )
    return out.getvalue().encode()


# ---------------------------------------------------------------------------------------------
# The whole sample
# ---------------------------------------------------------------------------------------------

# file -> (format, what it holds)
FILES: dict[str, tuple[str, str]] = {
    "recorded_crime.csv": (
        "MPS borough crime, 2026 layout (`Group,SubGroup,BOCU,YYYYMM...`)",
        "recorded offences, 31 categories in 12 groups, plus the `Unknown` rows real files carry",
    ),
    "asb.csv": ("generic measure file", "`asb_incidents`"),
    "high_harm_flags.csv": (
        "generic measure file",
        "; ".join(f"`{_flag_measure(c)}`: `{c}`" for c, *_ in _FLAGS),
    ),
    "outcomes.csv": (
        "generic measure file",
        "`positive_outcome_rate` (positive outcomes / offences recorded in the month) and "
        "`positive_outcomes`",
    ),
    "response_times.csv": (
        "generic measure file",
        "`response_i_compliance`, `response_s_compliance` (attended within 15 / 60 minutes / "
        "graded calls), `response_i_median_minutes`, `response_s_median_minutes`, "
        "`response_i_mean_minutes`, `response_s_mean_minutes`",
    ),
    "victim_care.csv": (
        "generic measure file",
        "`vcop_updated` (victims updated / victims due an update), `victim_satisfaction` "
        "(satisfied / surveyed)",
    ),
    "offender_management.csv": (
        "generic measure file",
        "`iom_reoffending` (IOM cohort members reoffending / cohort), `wanted_offenders`",
    ),
    "criminal_justice.csv": (
        "generic measure file",
        "`charge_rate` (charged or summonsed / arrests), `days_to_charge` (median days)",
    ),
    "crime_recording.csv": (
        "generic measure file",
        "`cdi_compliance` (correctly recorded / audited incidents; target 90%)",
    ),
    "pas_confidence.csv": (
        "MOPAC PAS borough export (`Date;Survey;Borough;Measure;Proportion;MPS`)",
        "`pas_confidence`: the 8 PAS measures, rolling 12 months, quarterly; semicolons, "
        "decimal commas, CRLF, `City of Westminster` and `Richmond Upon Thames` spellings",
    ),
}


def generate(seed: int = DEFAULT_SEED) -> dict[str, bytes]:
    """Every file of the sample, name -> bytes. Same seed, same bytes."""
    crime = recorded_crime(seed)
    totals = _borough_totals(crime)
    files = {
        "recorded_crime.csv": _wide_csv(crime),
        "asb.csv": _asb(seed, totals),
        "high_harm_flags.csv": _high_harm(seed),
        "outcomes.csv": _outcomes(seed, totals),
        "response_times.csv": _response_times(seed, totals),
        "victim_care.csv": _victim_care(seed, totals),
        "offender_management.csv": _offender_management(seed, totals),
        "criminal_justice.csv": _criminal_justice(seed, totals),
        "crime_recording.csv": _crime_recording(seed),
        "pas_confidence.csv": _pas_csv(seed),
    }
    files["README.md"] = readme(seed, files).encode()
    files[MANIFEST_NAME] = manifest_text(files, seed).encode()
    return files


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    size: int
    rows: int


def write_sample(directory: Path, seed: int = DEFAULT_SEED) -> list[WrittenFile]:
    """Write the sample into ``directory`` (created if needed), each file atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in generate(seed).items():
        path = directory / name
        atomic_write_bytes(path, content)
        rows = content.count(b"\n") - 1 if name.endswith(".csv") else 0
        written.append(WrittenFile(path=path, size=len(content), rows=rows))
    return written


def readme(seed: int, files: dict[str, bytes]) -> str:
    lines = [
        "# Sample data (synthetic)",
        "",
        "**Every number here is invented.** The files are generated by `crimefighters sample` "
        f"(seed {seed}) from `src/crimefighters/data/sample.py`; regenerate them with that "
        "command rather than editing them. A test checks that these files are exactly what the "
        "generator produces, so this README and the planted patterns below stay true.",
        "",
        f"`{MANIFEST_NAME}` lists every file with its size and SHA-256. The loader marks a "
        "file listed there (or with the same content, wherever it is copied) as synthetic, and "
        f"every TUI screen, briefing page and export made from it says **{LABEL}**.",
        "",
        f"- 32 London boroughs, {N_MONTHS} months: {MONTHS[0]:%Y-%m} to {LATEST:%Y-%m} "
        f"(PAS: {len(QUARTER_ENDS)} quarters, {_quarter_end_day(QUARTER_ENDS[0]):%d/%m/%Y} to "
        f"{_quarter_end_day(QUARTER_ENDS[-1]):%d/%m/%Y}).",
        "- Magnitudes: recorded crime per borough and category starts from rounded monthly means "
        "of a 2024-2026 MPS release; the key-process levels sit in the ranges the Met and MOPAC "
        "published (I-grade compliance 85-92% by borough, S-grade 76-88%, victims updated "
        "60-74%, victim satisfaction 68-80%, positive outcome rate 8-12%, CDI compliance "
        "93-97%). No real file is copied.",
        "- Seasonality by category: violence, public order and ASB peak in summer, residential "
        "burglary in winter, robbery, theft from the person and vehicle crime in autumn and "
        "winter, shoplifting before Christmas, bicycle theft strongly in summer; February is "
        "short. Gentle London-wide trends (shoplifting +6% a year, residential burglary -4%).",
        "- Noise: Poisson counts with a little extra month-to-month variation; binomial "
        "numerators for proportions.",
        f"- The newest month ({LATEST:%Y-%m}) of every count runs 1-3% low, as a provisional "
        "month does in a real release.",
        f"- Domestic abuse and hate-crime flags step up 6-8% from {CONNECT_MONTH:%Y-%m} "
        "(CONNECT replaced CRIS): a recording break, not an exception.",
        "- `recorded_crime.csv` carries a few `Unknown` rows, as real releases do; the loader "
        "sets them aside and says so.",
        "",
        "## Files",
        "",
        "| file | format | holds | rows | bytes |",
        "|---|---|---|---:|---:|",
    ]
    for name, (fmt, holds) in FILES.items():
        content = files[name]
        rows = content.count(b"\n") - 1
        lines.append(f"| `{name}` | {fmt} | {holds} | {rows:,} | {len(content):,} |")
    lines += [
        "",
        "Generic measure files have the columns `month,borough,measure,category,value[,denominator]` "
        "(see `crimefighters.data.formats.generic`); for a proportion, `value` is the numerator "
        "and `denominator` the base. Single-series measures use the category `All`.",
        "",
        "## Planted patterns",
        "",
        "True exceptions, large enough for the default scan (XmR limits at mean +/- 2.66 x mean "
        "moving range, 7-point shift and trend rules, the exact conditional Poisson test at "
        "alpha 0.01, targets), each in the latest month. A planted month is redrawn while its "
        "noise leaves it nearer the old level than two-thirds of the way to the new one, so no "
        "seed hides a pattern; `tests/test_sample.py` checks each one with small "
        "re-implementations of those rules. Everything else is ordinary noise and seasonality, "
        "which will also throw up the odd signal, as real data does.",
        "",
        "Recorded-crime categories are in capitals in the file, as in MPS releases; the loader "
        "shows them in title case (`Robbery of Personal Property`). `PLANTED` in "
        "`crimefighters.data.sample` lists the same patterns for tests.",
        "",
        "| id | borough | measure / category | from | what was done | should be found by | assessment |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in PLANTED:
        start = (
            f"{_quarter_end_day(p.start):%d/%m/%Y}"
            if p.measure == "pas_confidence"
            else f"{p.start:%Y-%m}"
        )
        lines.append(
            f"| `{p.id}` | {p.borough} | `{p.measure}` / {p.category} | {start} | {p.effect} | "
            f"{p.finds_it} | {p.assessment} |"
        )
    lines.append("")
    return "\n".join(lines)
