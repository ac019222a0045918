"""Typed, validated configuration. Every constant a D&I analyst might change lives here.

Unknown keys are errors (``extra="forbid"``) so a misspelt threshold is caught, not ignored.
Defaults follow ``methods.md``; the shipped YAML in ``config/`` restates them so an analyst can
see and edit every value.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Direction = Literal["up", "down", "neutral"]
MeasureKind = Literal["count", "rate", "proportion", "duration"]
Method = Literal["spc", "yoy", "seasonal", "rate", "target", "peer"]
Window = Literal["1", "3", "12", "fytd"]

_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> date:
    """'2024-03' -> date(2024, 3, 1)."""
    if not isinstance(text, str) or not _MONTH_RE.match(text):
        raise ValueError(f"expected a month as YYYY-MM; got {text!r}")
    year, month = text.split("-")
    return date(int(year), int(month), 1)


MonthStr = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Geography(Strict):
    bcus: list[BCU]
    boroughs: list[Borough]
    pseudo_boroughs: list[PseudoBorough] = []
    placement: Placement = Placement()

    @model_validator(mode="after")
    def _check(self) -> Geography:
        bcu_names = {b.name for b in self.bcus}
        seen: dict[str, str] = {}
        for borough in self.boroughs:
            if borough.bcu not in bcu_names:
                raise ValueError(
                    f"borough {borough.name!r} is in BCU {borough.bcu!r}, which is not listed "
                    f"under bcus (expected one of {sorted(bcu_names)})"
                )
        for entry in [*self.boroughs, *self.pseudo_boroughs]:
            for spelling in [entry.name, *entry.aliases]:
                key = normalise_name(spelling)
                if key in seen and seen[key] != entry.name:
                    raise ValueError(
                        f"spelling {spelling!r} is given for both {seen[key]!r} and {entry.name!r}"
                    )
                seen[key] = entry.name
        return self


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
    description: str = ""
    dashboard: DashboardSeries | None = Field(
        default=None, description="MPS Monthly Crime Dashboard series that supply this measure"
    )

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
    filters: dict[
        Literal["mps_old", "mps_new", "police_uk", "mps_dashboard", "generic"], CategoryFilter
    ] = {}
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
        default=2.0, ge=0, description="smallest change, in percentage points, a test may flag"
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
    pp_threshold: float = Field(default=5.0, gt=0)
    min_denominator: int = Field(default=30, ge=0)


class PeerSettings(Strict):
    z95: float = 1.959964
    z998: float = 3.090232
    flag_at: Literal["funnel_95", "funnel_998"] = "funnel_998"
    overdispersion: bool = True
    per: int = Field(default=1000, gt=0, description="rate per this many residents")
    levels: list[Literal["minor", "major", "total", "priority"]] = ["total", "major", "priority"]


class ProvisionalSettings(Strict):
    latest_months: int = Field(default=1, ge=0, le=6)
    expected_shortfall_pct: float = Field(default=3.0, ge=0)
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


class Categories(Strict):
    non_notifiable: list[str] = []
    aliases: dict[str, list[str]] = {}
    neutral: list[str] = Field(
        default=[],
        description="major or minor categories whose changes are neither concern nor improvement",
    )


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

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        problems: list[str] = []
        measure_ids = [m.id for m in self.measures]
        dupes = sorted({m for m in measure_ids if measure_ids.count(m) > 1})
        if dupes:
            problems.append(f"measure ids {dupes} are defined more than once")
        borough_names = {b.name for b in self.geography.boroughs}
        priority_ids = {p.id for p in self.priorities.definitions}
        for p in self.priorities.definitions:
            if p.measure not in measure_ids:
                problems.append(
                    f"priority {p.id!r} uses measure {p.measure!r}, which is not defined"
                )
            if p.outcome_rate is not None:
                rate = next((m for m in self.measures if m.id == p.outcome_rate), None)
                if rate is None:
                    problems.append(
                        f"priority {p.id!r} takes its outcome rate from measure {p.outcome_rate!r}, "
                        "which is not defined"
                    )
                elif rate.kind != "proportion":
                    problems.append(
                        f"priority {p.id!r}: outcome_rate {p.outcome_rate!r} is a {rate.kind}, "
                        "expected a proportion"
                    )
        for pid in [*self.priorities.high_harm, *self.priorities.always_local]:
            if pid not in priority_ids:
                problems.append(f"priority {pid!r} is listed but not defined")
        for entry in self.priorities.boroughs:
            if entry.borough not in borough_names:
                problems.append(f"local priorities given for unknown borough {entry.borough!r}")
            for pid in entry.local:
                if pid not in priority_ids:
                    problems.append(f"{entry.borough}: priority {pid!r} is not defined")
        for block in self.themes.schedule:
            for theme in block.themes:
                if theme not in priority_ids and theme not in measure_ids:
                    problems.append(
                        f"theme {theme!r} ({block.start}..{block.end}) is neither a priority nor a measure"
                    )
        for measure_id in self.scan.overrides:
            if measure_id not in measure_ids:
                problems.append(f"scan override for unknown measure {measure_id!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

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
        wanted = normalise_name(name or "")
        for borough in self.geography.boroughs:
            if wanted in {normalise_name(s) for s in [borough.name, *borough.aliases]}:
                return borough.name
        return None

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
