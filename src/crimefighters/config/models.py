"""Typed, validated configuration. Every constant a D&I analyst might change lives here.

Unknown keys are errors (``extra="forbid"``) so a misspelt threshold is caught, not ignored.
Defaults follow ``methods.md``; the shipped YAML in ``config/`` restates them so an analyst can
see and edit every value.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Direction = Literal["up", "down", "neutral"]
MeasureKind = Literal["count", "rate", "proportion", "duration"]
Method = Literal["spc", "yoy", "seasonal", "rate", "target", "peer"]
# the methods that read a stock (a count at a moment) month by month, never summed over months
STOCK_METHODS = ("spc", "target")
Window = Literal["1", "3", "12", "fytd"]
# the data-format families priority filters are written against (see data/schema.py)
FormatFamily = Literal["mps_old", "mps_new", "police_uk", "mps_dashboard", "generic"]

_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> date:
    """'2024-03' -> date(2024, 3, 1)."""
    if not isinstance(text, str) or not _MONTH_RE.match(text):
        raise ValueError(f"expected a month as YYYY-MM; got {text!r}")
    year, month = text.split("-")
    return date(int(year), int(month), 1)


MonthStr = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class Strict(BaseModel):
    # allow_inf_nan=False: `.inf` or `.nan` where a number is expected is refused, never compared
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class LocatedProblems(ValueError):
    """Several problems found by one validator, each at its own key path below the model.

    The loader turns each into ``file:line key.path: message``; raised as a ValueError so
    pydantic reports it like any other validator error. A problem between two keys (a band
    wider than its limits) may name the other key as a third item: the line shown is then
    that of whichever of the two the user's own file set.
    """

    def __init__(self, problems: list[tuple]):
        self.problems = problems
        super().__init__("; ".join(problem[1] for problem in problems))


def _check_located(problems: list[tuple]) -> None:
    if problems:
        raise LocatedProblems(problems)


# --- geography -------------------------------------------------------------------------------


class BCU(Strict):
    name: str
    code: str


class Borough(Strict):
    name: str
    bcu: str
    aliases: list[str] = []
    population: int | None = Field(default=None, gt=0)


class PseudoBorough(Strict):
    name: str
    aliases: list[str] = []
    treatment: Literal["exclude", "keep"] = "exclude"
    note: str = ""


class Placement(Strict):
    """Placing records that carry only coordinates (stop and search) in a borough."""

    max_distance_m: float = Field(
        default=500.0, gt=0, le=5000, description="farthest street crime a record may be placed by"
    )


class Family(Strict):
    """A family of similar boroughs: a second comparison beside London (its rate, and the
    area's rank within it). A BCU belongs to the family that holds all its boroughs."""

    name: str
    boroughs: list[str] = Field(min_length=2)
    source: str = ""


class Geography(Strict):
    bcus: list[BCU]
    boroughs: list[Borough]
    pseudo_boroughs: list[PseudoBorough] = []
    placement: Placement = Placement()
    families: list[Family] = []

    @model_validator(mode="after")
    def _check(self) -> Geography:
        bcu_names = {b.name for b in self.bcus}
        seen: dict[str, str] = {normalise_name(LONDON): LONDON}
        for borough in self.boroughs:
            if borough.bcu not in bcu_names:
                raise ValueError(
                    f"borough {borough.name!r} is in BCU {borough.bcu!r}, which is not listed "
                    f"under bcus (expected one of {sorted(bcu_names)})"
                )
        # one spelling, one area: borough and BCU names, aliases, BCU codes and London
        for name, spellings in [
            *((e.name, [e.name, *e.aliases]) for e in [*self.boroughs, *self.pseudo_boroughs]),
            *((b.name, [b.name, b.code]) for b in self.bcus),
        ]:
            for spelling in spellings:
                key = normalise_name(spelling)
                if key in seen and seen[key] != name:
                    raise ValueError(
                        f"spelling {spelling!r} is given for both {seen[key]!r} and {name!r}"
                    )
                seen[key] = name
        self._check_families(seen)
        return self

    def _check_families(self, seen: dict[str, str]) -> None:
        boroughs = {b.name for b in self.boroughs}
        member: dict[str, str] = {}
        problems: list[tuple[tuple, str]] = []
        for i, family in enumerate(self.families):
            for j, spelling in enumerate(family.boroughs):
                name = seen.get(normalise_name(spelling))
                if name not in boroughs:
                    close = suggest(spelling, sorted(boroughs))
                    hint = f"; did you mean {close!r}?" if close else ""
                    problems.append(
                        (("families", i, "boroughs", j), f"unknown borough {spelling!r}{hint}")
                    )
                elif name in member:
                    problems.append(
                        (
                            ("families", i, "boroughs", j),
                            f"{name} is already in the family {member[name]!r}; a borough "
                            "belongs to one family",
                        )
                    )
                else:
                    member[name] = family.name
        _check_located(problems)


LONDON = "London"  # the area name of London as a whole (the scan's ``area`` for area_type london)
AreaKind = Literal["borough", "bcu", "london"]
AREA_KINDS: tuple[AreaKind, ...] = ("borough", "bcu", "london")
AREA_WORDS: dict[str, str] = {"borough": "borough", "bcu": "BCU", "london": "London"}


def _area_words(kinds: tuple[AreaKind, ...]) -> str:
    """'borough', 'borough or BCU', 'borough, BCU or London'."""
    words = [AREA_WORDS[k] for k in kinds]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def suggest(name: str, candidates: list[str]) -> str | None:
    """The candidate closest to ``name`` (ignoring case), if one is close enough to be a typo."""
    folded = {c.casefold(): c for c in candidates}
    close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.75)
    return folded[close[0]] if close else None


def _close_areas(wanted: str, spellings: dict[str, str]) -> list[str]:
    """Canonical names a mistyped area probably meant: close spellings, or a unique prefix."""
    if not wanted:
        return []
    close = difflib.get_close_matches(wanted, list(spellings), n=3, cutoff=0.75)
    if not close and len(wanted) >= 4:
        close = [s for s in spellings if s.startswith(wanted)]
    return list(dict.fromkeys(spellings[s] for s in close))[:2]


def _duplicates(ids: list[str], at: tuple, what: str) -> list[tuple[tuple, str]]:
    first: dict[str, int] = {}
    problems = []
    for index, value in enumerate(ids):
        if value in first:
            problems.append(
                (
                    (*at, index, "id"),
                    f"{what} {value!r} is defined twice (first as item {first[value] + 1})",
                )
            )
        else:
            first[value] = index
    return problems


def normalise_name(text: str) -> str:
    """Key for matching names across files: case, '&'/'and', spacing and punctuation ignored."""
    text = text.strip().casefold().replace("&", " and ")
    text = re.sub(r"[^a-z0-9()]+", " ", text)
    return " ".join(text.split())


# --- measures --------------------------------------------------------------------------------


class Target(Strict):
    value: float
    comparison: Literal[">=", "<="] = ">="
    label: str = ""


class DashboardSeries(Strict):
    """MPS Monthly Crime Dashboard series that supply a measure: category -> Crime Subtypes.

    Subtype names are matched ignoring case and spacing (their capitals differ by borough).
    Subtypes listed under one category are added up, so list together only series that never
    overlap (TNO victim based + non victim based), never hate-crime strands or knife sub-series.
    A count measure takes the ``counts`` rows; a proportion is positive outcomes / offences.
    """

    categories: dict[str, list[str]] = Field(min_length=1)
    counts: Literal["offences", "positive_outcomes"] = "offences"

    @model_validator(mode="after")
    def _each_subtype_once(self) -> DashboardSeries:
        seen: dict[str, str] = {}
        for category, subtypes in self.categories.items():
            if not subtypes:
                raise ValueError(f"category {category!r} lists no Crime Subtype")
            for subtype in subtypes:
                key = " ".join(subtype.split()).casefold()
                if key in seen:
                    raise ValueError(
                        f"Crime Subtype {subtype!r} is listed under both {seen[key]!r} and "
                        f"{category!r}; it would be counted twice"
                    )
                seen[key] = category
        return self


class Measure(Strict):
    id: str
    label: str
    family: Literal[
        "recorded_crime",
        "positive_outcomes",
        "response_times",
        "victim_care",
        "offender_management",
        "public_confidence",
        "criminal_justice",
        "crime_recording",
        "anti_social_behaviour",
        "stop_and_search",
    ]
    kind: MeasureKind
    unit: str = ""
    direction: Direction
    source: str = Field(description="which loader or generic-file measure id supplies it")
    numerator_of: str | None = Field(
        default=None, description="for a proportion: the value is numerator / denominator"
    )
    target: Target | None = None
    methods: list[Method] | None = Field(
        default=None, description="scan methods for this measure; default by kind"
    )
    key: bool = Field(default=False, description="show in the London overview and key processes")
    stock: bool = Field(
        default=False,
        description="a count taken at a moment (people wanted at the month's end), not events in "
        "the month: never added up over months, so only its monthly chart and target are tested",
    )
    description: str = ""
    dashboard: DashboardSeries | None = Field(
        default=None, description="MPS Monthly Crime Dashboard series that supply this measure"
    )

    @model_validator(mode="after")
    def _stock(self) -> Measure:
        if not self.stock:
            return self
        if self.kind != "count":
            raise ValueError(f"stock: only a count can be a stock; {self.id!r} is a {self.kind}")
        summed = sorted(set(self.methods or []) - set(STOCK_METHODS))
        if summed:
            raise ValueError(
                f"methods: {', '.join(summed)} add a stock up over months; a stock ({self.id!r}) "
                f"is tested with {' and '.join(STOCK_METHODS)} only"
            )
        return self

    @model_validator(mode="after")
    def _dashboard_kind(self) -> Measure:
        if self.dashboard is not None and self.kind not in ("count", "proportion"):
            raise ValueError(
                f"dashboard series give counts or positive outcome rates; {self.id!r} is a {self.kind}"
            )
        return self

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise ValueError(f"expected a lower_snake_case id; got {value!r}")
        return value


# --- priorities ------------------------------------------------------------------------------


class CategoryFilter(Strict):
    """Which categories make up a priority in one data-format family. Case-insensitive."""

    major: list[str] = []
    minor: list[str] = []

    @model_validator(mode="after")
    def _non_empty(self) -> CategoryFilter:
        if not self.major and not self.minor:
            raise ValueError("expected at least one of major or minor categories")
        return self


class PriorityDefinition(Strict):
    id: str
    label: str
    measure: str = "recorded_crime"
    kind: Literal["local", "high_harm"]
    # data-format family (mps_old, mps_new, police_uk, mps_dashboard, generic) -> filter
    filters: dict[FormatFamily, CategoryFilter] = {}
    direction: Direction | None = None
    # A proportion measure over which the same filters give this priority's positive outcome
    # rate (e.g. knife crime positive outcomes / knife crime offences), shown beside it.
    outcome_rate: str | None = None
    note: str = ""


class BoroughPriorities(Strict):
    borough: str
    local: list[str] = Field(min_length=1, max_length=4)


class Priorities(Strict):
    definitions: list[PriorityDefinition]
    always_local: list[str] = ["asb"]
    high_harm: list[str]
    boroughs: list[BoroughPriorities]


class ThemeBlock(Strict):
    start: MonthStr
    end: MonthStr
    themes: list[str] = Field(min_length=1)
    source: str = ""

    @model_validator(mode="after")
    def _order(self) -> ThemeBlock:
        if parse_month(self.end) < parse_month(self.start):
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Themes(Strict):
    months_per_block: int = Field(default=3, ge=1, le=12)
    schedule: list[ThemeBlock]


# --- outcomes --------------------------------------------------------------------------------


class OutcomeType(Strict):
    code: int = Field(ge=0, le=22)
    label: str


class Outcomes(Strict):
    types: list[OutcomeType]
    positive: list[int]
    basis: Literal["outcomes_in_period", "offences_in_period"] = "outcomes_in_period"
    provisional_months: int = Field(default=3, ge=0, le=24)
    police_uk: dict[str, int | None] = Field(
        description="data.police.uk outcome strings -> Home Office type (null: not an outcome)"
    )
    police_uk_api: dict[str, int | None] = {}

    @model_validator(mode="after")
    def _positive_known(self) -> Outcomes:
        codes = {t.code for t in self.types}
        unknown = [c for c in self.positive if c not in codes]
        if unknown:
            raise ValueError(f"positive outcome codes {unknown} are not listed under types")
        if 0 in self.positive:
            raise ValueError("outcome 0 (not yet assigned) can never be positive")
        return self


# --- scan thresholds -------------------------------------------------------------------------


class SPCSettings(Strict):
    window: int = Field(default=24, ge=4, le=120)
    screen_moving_ranges: bool = True
    screen_factor: float = Field(default=3.267, gt=0)
    limit_factor: float = Field(default=2.66, gt=0)
    near_limit_factor: float = Field(default=1.7733, gt=0)
    trend_length: int = Field(default=7, ge=3)
    shift_length: int = Field(default=7, ge=3)
    min_points: int = Field(default=12, ge=3, description="fewer points: trial limits")
    missing: Literal["error", "zero"] = "zero"
    rebase: list[MonthStr] = []
    min_mean: float = Field(default=5.0, ge=0, description="skip series averaging fewer")


class YoYSettings(Strict):
    windows: list[Window] = Field(
        default=["12", "fytd"],
        description="windows tested against the same window a year earlier (all four are shown)",
    )
    alpha: float = Field(default=0.01, gt=0, lt=1)
    min_pct: float = Field(default=10.0, ge=0)
    min_volume: int = Field(default=20, ge=0)


class SeasonalSettings(Strict):
    years: int = Field(default=3, ge=1, le=10, description="same months in up to this many previous years")
    windows: list[Literal["1", "3"]] = Field(
        default=["1", "3"], description="the month, and the 3 months to it, against the same months before"
    )
    min_volume: float = Field(default=10.0, ge=0, description="baseline mean per month at least this")


class RateSettings(Strict):
    windows: list[Window] = ["1", "3", "12"]
    alpha: float = Field(default=0.01, gt=0, lt=1)
    min_points: float = Field(
        default=2.0,
        ge=0,
        le=100,
        description="smallest change, in percentage points, a test may flag",
    )
    min_relative_pct: float = Field(
        default=50.0,
        ge=0,
        description="or this relative change (a low rate halving) when the change in points is smaller",
    )
    sample_size: int | None = Field(
        default=None,
        gt=0,
        description="survey respondents behind each published percentage (the PAS); with it the "
        "change is tested on the two samples, without it against pp_threshold",
    )
    pp_threshold: float = Field(default=5.0, gt=0, le=100)
    min_denominator: int = Field(default=30, ge=0)


class PeerSettings(Strict):
    z95: float = Field(default=1.959964, gt=0)
    z998: float = Field(default=3.090232, gt=0)
    flag_at: Literal["funnel_95", "funnel_998"] = "funnel_998"
    overdispersion: bool = True
    per: int = Field(default=1000, gt=0, description="rate per this many residents")
    levels: list[Literal["minor", "major", "total", "priority"]] = ["total", "major", "priority"]


class ProvisionalSettings(Strict):
    latest_months: int = Field(default=1, ge=0, le=6)
    expected_shortfall_pct: float = Field(default=3.0, ge=0, le=100)
    suppress_drops: bool = True


class FindingsSettings(Strict):
    """How test results become the month's findings (one line per event)."""

    control: Literal["pfer", "bh", "none"] = Field(
        default="pfer",
        description="family control over each area's tests this month: pfer caps the expected "
        "number of false findings per area (false_findings_per_area); bh is Benjamini-Hochberg "
        "at q; none uses each method's alpha alone",
    )
    false_findings_per_area: float = Field(default=0.5, gt=0, le=10)
    q: float = Field(default=0.05, gt=0, lt=1)
    lookback_months: int = Field(
        default=6, ge=1, le=24, description="months of earlier findings for new/continuing/returned"
    )
    corroboration_only: list[Literal["outside_limits", "trend", "two_of_three", "shift"]] = Field(
        default=["two_of_three", "shift"],
        description="SPC rules that support a finding but never make one on their own",
    )
    seasonal_guard: bool = Field(
        default=True,
        description="on strongly seasonal series, SPC limits and trends only corroborate",
    )
    dispersion: Literal["series", "poisson"] = Field(
        default="series",
        description="series: scale count and rate tests by the extra variation each series shows "
        "in its own history; poisson: assume none",
    )
    area_types: list[Literal["borough", "bcu", "london"]] = ["borough", "bcu", "london"]
    learn_from: int = Field(
        default=3,
        ge=0,
        le=32,
        description="for each concern, name this many peers (boroughs, or BCUs for a BCU) whose "
        "same series improved significantly over the same window; 0: none",
    )


class MeasureOverride(Strict):
    spc: SPCSettings | None = None
    yoy: YoYSettings | None = None
    seasonal: SeasonalSettings | None = None
    rate: RateSettings | None = None
    peer: PeerSettings | None = None


class ScanSettings(Strict):
    methods: list[Method] = ["spc", "yoy", "seasonal", "rate", "target", "peer"]
    findings: FindingsSettings = FindingsSettings()
    spc: SPCSettings = SPCSettings()
    yoy: YoYSettings = YoYSettings()
    seasonal: SeasonalSettings = SeasonalSettings()
    rate: RateSettings = RateSettings()
    peer: PeerSettings = PeerSettings()
    provisional: ProvisionalSettings = ProvisionalSettings()
    recording_breaks: list[RecordingBreak] = []
    levels: list[Literal["minor", "major", "total", "priority"]] = [
        "minor",
        "major",
        "total",
        "priority",
    ]
    overrides: dict[str, MeasureOverride] = {}

    @model_validator(mode="after")
    def _consistent(self) -> ScanSettings:
        """Settings that validate one by one but make no sense together, here and in every
        per-measure override (checked as the override will be used: over these settings)."""
        base = _settings_problems(self.spc, self.peer, ())
        problems = list(base)
        for measure_id, override in self.overrides.items():
            spc = self.spc.model_copy(update=_set_values(override.spc))
            peer = self.peer.model_copy(update=_set_values(override.peer))
            problems += [
                (("overrides", measure_id, *loc), message, ("overrides", measure_id, *other))
                for loc, message, other in _settings_problems(spc, peer, ())
                if (loc, message, other) not in base
            ]
        _check_located(problems)
        return self


def _set_values(settings: BaseModel | None) -> dict:
    return settings.model_dump(exclude_unset=True) if settings is not None else {}


def _settings_problems(spc: SPCSettings, peer: PeerSettings, at: tuple) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    if spc.near_limit_factor >= spc.limit_factor:
        problems.append(
            (
                (*at, "spc", "near_limit_factor"),
                "expected near_limit_factor less than limit_factor (a near-limit band inside "
                f"the limits); got {spc.near_limit_factor:g} with limit_factor {spc.limit_factor:g}",
                (*at, "spc", "limit_factor"),
            )
        )
    for key in ("min_points", "trend_length", "shift_length"):
        if getattr(spc, key) > spc.window:
            problems.append(
                (
                    (*at, "spc", key),
                    f"expected {key} at most the SPC window; got {getattr(spc, key)} with window "
                    f"{spc.window} months",
                    (*at, "spc", "window"),
                )
            )
    if peer.z95 >= peer.z998:
        problems.append(
            (
                (*at, "peer", "z95"),
                "expected z95 less than z998 (the 95% funnel inside the 99.8% one); got "
                f"{peer.z95:g} with z998 {peer.z998:g}",
                (*at, "peer", "z998"),
            )
        )
    return problems


class RecordingBreak(Strict):
    month: MonthStr
    label: str
    until: MonthStr | None = Field(
        default=None,
        description="a disrupted period, not a step: months from `month` to `until` are not "
        "compared with anything, and comparisons reaching into them are shown but not flagged",
    )
    categories: list[str] = Field(
        default=[],
        description="case-insensitive categories, priority ids or measure ids affected; empty = all",
    )
    rebase: bool = False

    @model_validator(mode="after")
    def _period(self) -> RecordingBreak:
        if self.until is not None and parse_month(self.until) < parse_month(self.month):
            raise ValueError(f"until {self.until} is before month {self.month}")
        return self


ScanSettings.model_rebuild()


# --- categories ------------------------------------------------------------------------------


class KnownCategories(Strict):
    """The category names one format family publishes (matched ignoring case)."""

    major: list[str] = []
    minor: list[str] = []


class Categories(Strict):
    non_notifiable: list[str] = []
    aliases: dict[str, list[str]] = {}
    neutral: list[str] = Field(
        default=[],
        description="major or minor categories whose changes are neither concern nor improvement",
    )
    # Per format family: every published major and minor category name. A priority filter or a
    # recording break naming a category outside it is refused (a typo would shrink it silently).
    known: dict[FormatFamily, KnownCategories] = {}

    # The one rule for category names, used to compare them here (priorities, the known
    # vocabulary) and to rewrite them in loaded data (crimefighters.data.categories): case and
    # spacing never matter, and ``aliases`` joins other spellings to one canonical name.

    @staticmethod
    def key(name: str) -> str:
        """What two spellings of one category share: spaces collapsed, case folded."""
        return " ".join(name.split()).casefold()

    def spellings(self) -> dict[str, str]:
        """Every spelling in ``aliases`` (as ``key``) -> its canonical name as written."""
        return {
            self.key(spelling): canonical
            for canonical, others in self.aliases.items()
            for spelling in [canonical, *others]
        }

    def canonical(self, name: str, aliases: dict[str, str] | None = None) -> str:
        """A name's canonical spelling under ``aliases`` (itself if it has none), casefolded."""
        wanted = self.key(name)
        return (aliases if aliases is not None else self.alias_map()).get(wanted, wanted)

    def alias_map(self) -> dict[str, str]:
        """Every spelling in ``aliases`` (as ``key``) -> its casefolded canonical name."""
        return {key: canonical.casefold() for key, canonical in self.spellings().items()}

    def known_names(self) -> dict[tuple[str, str], set[str]]:
        """(family, 'major' or 'minor') -> the canonical casefolded names published there."""
        aliases = self.alias_map()
        return {
            (family, field): {self.canonical(n, aliases) for n in getattr(known, field)}
            for family, known in self.known.items()
            for field in ("major", "minor")
        }

    def is_known(self, family: str, field: Literal["major", "minor"], name: str) -> bool:
        return self.canonical(name) in self.known_names()[(family, field)]


# --- sources (crimefighters fetch) ------------------------------------------------------------


def parse_polygon(text: str) -> list[tuple[float, float]]:
    """'lat,lng:lat,lng:...' (data.police.uk's poly syntax) -> [(lat, lng), ...]."""
    points: list[tuple[float, float]] = []
    for pair in text.strip().split(":"):
        parts = pair.split(",")
        if len(parts) != 2:
            raise ValueError(f"expected lat,lng pairs separated by ':'; got {pair!r}")
        try:
            lat, lng = float(parts[0]), float(parts[1])
        except ValueError:
            raise ValueError(f"expected numbers in {pair!r}") from None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ValueError(f"{pair!r} is not a latitude,longitude")
        points.append((lat, lng))
    if len(points) < 3:
        raise ValueError(f"a polygon needs at least 3 points; got {len(points)}")
    return points


class FetchTimeouts(Strict):
    connect: float = Field(default=10.0, gt=0, description="seconds to open a connection")
    read: float = Field(default=60.0, gt=0, description="seconds to wait for the next bytes")
    total: float = Field(default=900.0, gt=0, description="seconds for a whole download")


class FetchRetries(Strict):
    attempts: int = Field(default=5, ge=1, le=20, description="tries per request, first included")
    backoff_base: float = Field(default=1.0, ge=0, description="first wait; doubles each retry")
    backoff_max: float = Field(default=60.0, ge=0, description="longest wait between tries")
    max_retry_after: float = Field(
        default=300.0, ge=0, description="a 429 asking for a longer wait gives up instead"
    )


def inside_data_folder(value: str, what: str, folder: bool = False) -> str:
    """A path from the sources configuration must stay inside the data folder: relative, no
    ``..``, no drive or root (fetch checks again, resolved, before it writes)."""
    parts = value.replace("\\", "/").split("/")
    if (
        not value.strip()
        or "\x00" in value
        or value.startswith(("/", "\\", "~"))
        or re.match(r"^[A-Za-z]:", value)
        or ".." in parts
        or (not folder and all(part in ("", ".") for part in parts))
    ):
        raise ValueError(
            f"expected {what} inside the data folder (relative, without '..'); got {value!r}"
        )
    return value


class DatastoreFile(Strict):
    name: str = Field(description="source name for `crimefighters fetch --source`")
    description: str = ""
    url: str | None = Field(
        default=None, description="full URL, or a path from base_url; null: not configured"
    )
    target: str = Field(description="file name in the data directory")
    format: str = Field(default="", description="expected format name prefix, e.g. mps_borough")

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        return inside_data_folder(value, "a file name")


class LondonDatastore(Strict):
    base_url: str = "https://data.london.gov.uk"
    dataset_page: str = "https://data.london.gov.uk/dataset/recorded_crime_summary"
    folder: str = "london_datastore"
    files: list[DatastoreFile] = [
        DatastoreFile(
            name="mps-borough-24m",
            description="MPS Borough Level Crime (most recent 24 months)",
            target="MPS_Borough_Level_Crime_24m.csv",
            format="mps_borough",
        ),
        DatastoreFile(
            name="mps-ward-24m",
            description="MPS Ward Level Crime (most recent 24 months)",
            target="MPS_Ward_Level_Crime_24m.csv",
            format="mps_ward",
        ),
    ]

    @field_validator("folder")
    @classmethod
    def _folder(cls, value: str) -> str:
        return inside_data_folder(value, "a folder", folder=True)


PoliceEndpoint = Literal[
    "crime-last-updated",
    "crimes-street-dates",
    "crimes-no-location",
    "crimes-street",
    "outcomes-at-location",
]


class PoliceUK(Strict):
    name: str = "police-uk"
    base_url: str = "https://data.police.uk/api"
    force: str = "metropolitan"
    category: str = "all-crime"
    folder: str = "police_uk"
    endpoints: list[PoliceEndpoint] = [
        "crime-last-updated",
        "crimes-street-dates",
        "crimes-no-location",
        "crimes-street",
        "outcomes-at-location",
    ]
    months: list[MonthStr] = Field(default=[], description="months to fetch; empty: the latest")
    latest_months: int = Field(default=1, ge=1, le=36)
    polygons: dict[str, str] = Field(
        default={}, description="borough -> 'lat,lng:lat,lng:...' for crimes-street and outcomes"
    )
    max_split_depth: int = Field(default=4, ge=0, le=8, description="quarter a polygon this often")
    too_large_status: int = Field(default=503, description="the API's answer over 10,000 crimes")
    min_request_interval: float = Field(
        default=0.1, ge=0, description="seconds between requests (the API allows 15 a second)"
    )

    @field_validator("folder")
    @classmethod
    def _folder(cls, value: str) -> str:
        return inside_data_folder(value, "a folder", folder=True)

    @field_validator("polygons")
    @classmethod
    def _polygons(cls, value: dict[str, str]) -> dict[str, str]:
        for borough, text in value.items():
            try:
                parse_polygon(text)
            except ValueError as exc:
                raise ValueError(f"polygon for {borough!r}: {exc}") from None
        return value


class Sources(Strict):
    data_dir: str = Field(default="data", description="default for `fetch --out`")
    user_agent: str = "crimefighters (borough CrimeFighters exception reporting)"
    timeouts: FetchTimeouts = FetchTimeouts()
    retries: FetchRetries = FetchRetries()
    progress_min_bytes: int = Field(default=262_144, ge=0, description="smaller: no progress bar")
    max_bytes: int = Field(
        default=268_435_456,
        ge=1,
        description="largest download accepted, as sent and once decompressed (256 MiB)",
    )
    london_datastore: LondonDatastore = LondonDatastore()
    police_uk: PoliceUK = PoliceUK()


# --- meeting memory (crimefighters.meeting) ----------------------------------------------------


class MeetingSettings(Strict):
    store: str | None = Field(
        default=None,
        description="path of the meeting store (SQLite); null: the user's data folder; relative: "
        "from the folder of the YAML file that sets it",
    )
    enduring_months: int = Field(
        default=3, ge=2, le=24, description="a finding continuing this many months is enduring"
    )


# --- the whole configuration -----------------------------------------------------------------


class ViewSeries(Strict):
    label: str
    measure: str
    category: str = Field(description="the series' category as the scan names it (All for a whole measure)")
    level: Literal["minor", "major", "total", "priority"] = "minor"
    outcome_rate: str | None = Field(
        default=None, description="a proportion measure: the positive outcome rate over the same category, shown beside it"
    )


class View(Strict):
    """A fixed set of series shown together (a thematic CrimeFighters, e.g. serious violence)."""

    label: str
    note: str = ""
    series: list[ViewSeries] = Field(min_length=1)


class Views(Strict):
    serious_violence: View | None = None


class Config(Strict):
    geography: Geography
    measures: list[Measure]
    categories: Categories = Categories()
    priorities: Priorities
    themes: Themes
    outcomes: Outcomes
    scan: ScanSettings = ScanSettings()
    sources: Sources = Sources()
    meeting: MeetingSettings = MeetingSettings()
    views: Views = Views()

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        problems: list[tuple[tuple, str]] = []
        measure_ids = [m.id for m in self.measures]
        problems += _duplicates(measure_ids, ("measures",), "measure id")
        priority_ids = [p.id for p in self.priorities.definitions]
        problems += _duplicates(priority_ids, ("priorities", "definitions"), "priority id")
        borough_names = {b.name for b in self.geography.boroughs}
        for i, m in enumerate(self.measures):
            if m.target is not None and m.kind == "proportion" and not 0 <= m.target.value <= 1:
                problems.append(
                    (
                        ("measures", i, "target", "value"),
                        f"expected a proportion between 0 and 1 (0.9 for 90%); got {m.target.value:g}",
                    )
                )
        for i, p in enumerate(self.priorities.definitions):
            if p.measure not in measure_ids:
                problems.append(
                    (
                        ("priorities", "definitions", i, "measure"),
                        f"expected a measure id defined in measures; got {p.measure!r}",
                    )
                )
            if p.outcome_rate is not None:
                rate = next((m for m in self.measures if m.id == p.outcome_rate), None)
                if rate is None or rate.kind != "proportion":
                    found = "not a defined measure" if rate is None else f"a {rate.kind}"
                    problems.append(
                        (
                            ("priorities", "definitions", i, "outcome_rate"),
                            f"expected the id of a proportion measure; got {p.outcome_rate!r} ({found})",
                        )
                    )
        for key in ("high_harm", "always_local"):
            for j, pid in enumerate(getattr(self.priorities, key)):
                if pid not in priority_ids:
                    problems.append(
                        (("priorities", key, j), f"priority {pid!r} is listed but not defined")
                    )
        for i, entry in enumerate(self.priorities.boroughs):
            if entry.borough not in borough_names:
                problems.append(
                    (
                        ("priorities", "boroughs", i, "borough"),
                        f"local priorities given for unknown borough {entry.borough!r}",
                    )
                )
            for j, pid in enumerate(entry.local):
                if pid not in priority_ids:
                    problems.append(
                        (
                            ("priorities", "boroughs", i, "local", j),
                            f"{entry.borough}: priority {pid!r} is not defined",
                        )
                    )
        for i, block in enumerate(self.themes.schedule):
            for j, theme in enumerate(block.themes):
                if theme not in priority_ids and theme not in measure_ids:
                    problems.append(
                        (
                            ("themes", "schedule", i, "themes", j),
                            f"theme {theme!r} ({block.start}..{block.end}) is neither a priority "
                            "nor a measure",
                        )
                    )
        kinds = {m.id: m.kind for m in self.measures}
        for name, view in self.views:
            for j, series in enumerate(view.series if view else []):
                if series.measure not in measure_ids:
                    problems.append(
                        (("views", name, "series", j, "measure"), f"expected a measure id defined in measures; got {series.measure!r}")
                    )
                if series.outcome_rate is not None and kinds.get(series.outcome_rate) != "proportion":
                    problems.append(
                        (("views", name, "series", j, "outcome_rate"), f"expected the id of a proportion measure; got {series.outcome_rate!r}")
                    )
        for measure_id in self.scan.overrides:
            if measure_id not in measure_ids:
                problems.append(
                    (
                        ("scan", "overrides", measure_id),
                        f"scan override for unknown measure {measure_id!r}",
                    )
                )
        lookback = self.scan.findings.lookback_months
        if self.meeting.enduring_months > lookback + 1:
            # a finding's run is counted over the scan month and the lookback before it
            problems.append(
                (
                    ("meeting", "enduring_months"),
                    f"expected at most {lookback + 1} (scan.findings.lookback_months + 1: a finding's "
                    f"run is only counted that far back); got {self.meeting.enduring_months}",
                )
            )
        problems += self._unknown_categories(set(priority_ids))
        _check_located(problems)
        return self

    def _unknown_categories(self, priority_ids: set[str]) -> list[tuple[tuple, str]]:
        """Priority filters and recording breaks must name published categories (a typo would
        silently shrink a priority); the vocabulary is categories.known in categories.yaml."""
        known = self.categories.known
        aliases = self.categories.alias_map()
        names = self.categories.known_names()
        problems: list[tuple[tuple, str]] = []
        for i, p in enumerate(self.priorities.definitions):
            for family, spec in p.filters.items():
                if family not in known:
                    continue
                for field in ("major", "minor"):
                    for j, name in enumerate(getattr(spec, field)):
                        folded = self.categories.canonical(name, aliases)
                        if folded in names[(family, field)]:
                            continue
                        other = "minor" if field == "major" else "major"
                        if folded in names[(family, other)]:
                            hint = f"it is a {other} category in {family}: list it under {other}"
                        else:
                            close = suggest(name, getattr(known[family], field))
                            hint = f"did you mean {close!r}?" if close else "no close name"
                        problems.append(
                            (
                                ("priorities", "definitions", i, "filters", family, field, j),
                                f"unknown {family} {field} category {name!r}; {hint} (published "
                                f"names are listed under categories.known.{family}.{field})",
                            )
                        )
        # a break may name a published category, a priority id, a measure id, or a category a
        # measure defines itself (the crime dashboard's, in measures.yaml)
        defined = [c for m in self.measures if m.dashboard is not None for c in m.dashboard.categories]
        vocabulary = (
            [n for k in known.values() for n in [*k.major, *k.minor]]
            + sorted(priority_ids)
            + [m.id for m in self.measures]
            + defined
        )
        folded = {self.categories.canonical(n, aliases) for n in vocabulary}
        for i, rb in enumerate(self.scan.recording_breaks):
            for j, name in enumerate(rb.categories):
                if not known or self.categories.canonical(name, aliases) in folded:
                    continue
                close = suggest(name, vocabulary)
                hint = f"did you mean {close!r}?" if close else "no close name"
                problems.append(
                    (
                        ("scan", "recording_breaks", i, "categories", j),
                        f"expected a priority id or a category listed under categories.known; "
                        f"got {name!r} ({hint})",
                    )
                )
        return problems

    # -- convenient lookups (no state of their own) --

    def measure(self, measure_id: str) -> Measure:
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise KeyError(measure_id)

    def priority(self, priority_id: str) -> PriorityDefinition:
        for p in self.priorities.definitions:
            if p.id == priority_id:
                return p
        raise KeyError(priority_id)

    def borough_names(self) -> list[str]:
        return [b.name for b in self.geography.boroughs]

    def find_borough(self, name: str) -> str | None:
        """Any configured spelling of a borough (aliases, case, '&') -> its canonical name."""
        return self.area_spellings(("borough",)).get(normalise_name(name or ""))

    def area_spellings(self, kinds: tuple[AreaKind, ...] = ("borough",)) -> dict[str, str]:
        """Normalised spelling -> canonical name, for the kinds of area asked for.

        Boroughs answer to their name and every alias in boroughs.yaml (short forms such as
        Kensington or Richmond are aliases there); BCUs to their name, their name with "BCU"
        and their code; London to "London". ``Geography`` refuses a spelling given to two
        areas, so one table serves every kind.
        """
        spellings: dict[str, str] = {}
        if "borough" in kinds:
            for borough in self.geography.boroughs:
                for spelling in [borough.name, *borough.aliases]:
                    spellings[normalise_name(spelling)] = borough.name
        if "bcu" in kinds:
            for bcu in self.geography.bcus:
                for spelling in (bcu.name, f"{bcu.name} BCU", bcu.code):
                    spellings.setdefault(normalise_name(spelling), bcu.name)
        if "london" in kinds:
            spellings[normalise_name(LONDON)] = LONDON
        return spellings

    def resolve_borough(self, name: str) -> str:
        """A borough as a user typed it -> its canonical name, or a ConfigError saying which
        borough was probably meant. The one lookup every command and the TUI use."""
        return self.resolve_area(name, ("borough",))

    def resolve_area(self, name: str, kinds: tuple[AreaKind, ...] = ("borough",)) -> str:
        """An area (of the kinds asked for) as a user typed it -> its canonical name: the
        borough, the BCU or "London" as the scan names it. A ConfigError otherwise, naming the
        area probably meant."""
        from crimefighters.errors import ConfigError

        spellings = self.area_spellings(kinds)
        wanted = normalise_name(name or "")
        if wanted in spellings:
            return spellings[wanted]
        what = _area_words(kinds)
        shown = name if len(name) <= 60 else name[:57] + "..."
        for pseudo in self.geography.pseudo_boroughs:
            if wanted in {normalise_name(s) for s in [pseudo.name, *pseudo.aliases]}:
                raise ConfigError(
                    [
                        f"{shown!r} is {pseudo.name}, not a {what} (see pseudo_boroughs in "
                        "config/boroughs.yaml)"
                    ]
                )
        guesses = _close_areas(wanted, spellings)
        if guesses:
            hint = f"did you mean {' or '.join(guesses)}?"
        else:
            names = sorted({spellings[k] for k in spellings} - {LONDON})
            counts = [
                f"{n} {AREA_WORDS[k]} names"
                for k, n in (
                    ("borough", len(self.geography.boroughs)),
                    ("bcu", len(self.geography.bcus)),
                )
                if k in kinds
            ]
            listed = " or ".join(counts) + (", or London" if "london" in kinds else "")
            hint = (
                f"expected one of the {listed}, e.g. {', '.join(names[:3])}, or a "
                "short form such as Kensington or Hammersmith (see config/boroughs.yaml)"
            )
        unknown = f"area {shown!r} (a {what})" if len(kinds) > 1 else f"{what} {shown!r}"
        raise ConfigError([f"unknown {unknown}; {hint}"])

    def area_type(self, area: str) -> AreaKind:
        """'borough', 'bcu' or 'london' for a canonical area name (as ``resolve_area`` gives)."""
        if area == LONDON:
            return "london"
        if any(b.name == area for b in self.geography.bcus):
            return "bcu"
        return "borough"

    def boroughs_of(self, area: str) -> list[str]:
        """The boroughs an area is made of: itself, a BCU's boroughs, or all of London's."""
        kind = self.area_type(area)
        if kind == "london":
            return self.borough_names()
        if kind == "bcu":
            return self.boroughs_in_bcu(area)
        return [area]

    def bcu_names(self) -> list[str]:
        return [b.name for b in self.geography.bcus]

    def family_members(self) -> dict[str, str]:
        """Borough (canonical name) -> the family of similar boroughs it is in."""
        spellings = self.area_spellings(("borough",))
        return {
            spellings[normalise_name(b)]: f.name
            for f in self.geography.families
            for b in f.boroughs
        }

    def family_of(self, area: str, members: dict[str, str] | None = None) -> str | None:
        """The family of similar boroughs an area is in: a borough's own; a BCU's when all its
        boroughs share one; None otherwise (and for London). ``members``: ``family_members()``,
        when asking for many areas."""
        if self.area_type(area) == "london":
            return None
        members = self.family_members() if members is None else members
        names = {members.get(b) for b in self.boroughs_of(area)}
        return names.pop() if len(names) == 1 else None

    def bcu_of(self, borough: str) -> str | None:
        for b in self.geography.boroughs:
            if b.name == borough:
                return b.bcu
        return None

    def boroughs_in_bcu(self, bcu: str) -> list[str]:
        return [b.name for b in self.geography.boroughs if b.bcu == bcu]

    def local_priorities(self, borough: str) -> list[str]:
        """ASB (always) then the borough's chosen volume priorities, in order."""
        chosen: list[str] = []
        for entry in self.priorities.boroughs:
            if entry.borough == borough:
                chosen = list(entry.local)
        return [
            *self.priorities.always_local,
            *[p for p in chosen if p not in self.priorities.always_local],
        ]

    def themes_for(self, month: date) -> list[str]:
        for block in self.themes.schedule:
            if parse_month(block.start) <= month <= parse_month(block.end):
                return list(block.themes)
        return []

    def settings_for(self, measure_id: str) -> ScanSettings:
        """Scan settings with any per-measure override applied."""
        override = self.scan.overrides.get(measure_id)
        if override is None:
            return self.scan
        updates = override.model_dump(exclude_unset=True)
        merged = self.scan.model_dump()
        for section, values in updates.items():
            merged[section] = {**merged[section], **values}
        return ScanSettings.model_validate(merged)
