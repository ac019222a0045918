"""Property: every mutation of a real file either loads with the total an independent count of
the mutated file gives, or is refused with a one-line DataError.

Real files (a slice of each, so an example takes milliseconds) are mutated: lines deleted,
duplicated or swapped, cells changed (blank, negative, NaN, 1e400, fractions, text, huge),
boroughs renamed (aliases, pseudo-boroughs, unknown places), header labels swapped, rows cut
short, the file truncated, bytes damaged (invalid UTF-8, NUL, escape bytes). The independent
count reads the mutated bytes with the csv module and plain Python, never the loader: it says
what total a correct loader must give, or that the file must be refused. Mutations that
cannot make a file wrong (deleting, swapping or repeating data lines) must load.

Examples are derandomised and bounded so the suite stays fast and repeatable.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import math
import re
import statistics
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crimefighters.config.models import normalise_name
from crimefighters.data import load_dataset
from crimefighters.errors import DataError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
BOCU = (
    REAL
    / "mps_borough_crime/recent_24m/MPS_Borough_Level_Crime_24m__202407-202606__mithunksms__BOCU_format.csv"
)
STREET = (
    REAL
    / "police_uk_met_burglary_street_outcomes/2024-05-metropolitan-street__burglary_only.csv.gz"
)
KAGGLE = (
    REAL
    / "kaggle_london_crime_by_lsoa_sample/london_crime_by_lsoa__1000row_sample__auliaputrih.csv"
)
HOMICIDES = REAL / "mps_homicides/Homicides_2003_2023__paulrodenburg.csv"
DASHBOARD = (
    REAL
    / "mps_monthly_crime_dashboard/MPS_MonthlyCrimeDashboard_OtherCrimeData__202108-202507__BOROUGH_ROWS_ONLY.csv"
)

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SETTINGS = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Refuse(Exception):
    """The independent count's verdict: a correct loader must refuse this file."""


# --- the independent count ---------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The text, by the documented policy: UTF-8 (BOM dropped), or Windows-1252 when under 5%
    of the bytes are not ASCII; binary, UTF-16 and mostly-undecodable files are refused."""
    if not data.strip() or data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:65536]:
        raise Refuse
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if sum(b >= 0x80 for b in data) > len(data) * 0.05:
            raise Refuse from None
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise Refuse from None


def table(text: str, delimiter: str = ",") -> tuple[list[str], list[list[str]]]:
    """Header and rows; blank lines skipped; a row with another field count is refused."""
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        header = [c.strip() for c in next(reader)]
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                raise Refuse
            rows.append(row)
    except (csv.Error, StopIteration):
        raise Refuse from None
    if not rows or len(set(header)) != len(header):
        raise Refuse
    return header, rows


def canonical_borough(config, name: str) -> str | None:
    """A borough's canonical name, None for a pseudo-borough; an unknown name is refused."""
    key = normalise_name(name)
    for borough in config.geography.boroughs:
        if key in {normalise_name(s) for s in [borough.name, *borough.aliases]}:
            return borough.name
    for pseudo in config.geography.pseudo_boroughs:
        if key in {normalise_name(s) for s in [pseudo.name, *pseudo.aliases]}:
            return None
    raise Refuse


def canonical_category(config, name: str) -> str:
    key = " ".join(name.split()).casefold()
    for canonical, others in config.categories.aliases.items():
        if key in {" ".join(s.split()).casefold() for s in [canonical, *others]}:
            return canonical.casefold()
    return key


def whole(text: str) -> int:
    text = text.strip()
    if not re.fullmatch(r"\d+", text) or int(text) >= 2**63:
        raise Refuse
    return int(text)


def this_month() -> date:
    today = date.today()
    return date(today.year, today.month, 1)


def mps_total(data: bytes, config) -> int:
    header, rows = table(decode(data))
    if header[:3] != ["Group", "SubGroup", "BOCU"]:
        raise Refuse
    months = header[3:]
    if not months or not all(re.fullmatch(r"(19|20)\d{2}(0[1-9]|1[0-2])", m) for m in months):
        raise Refuse
    dates = [date(int(m[:4]), int(m[4:]), 1) for m in months]
    steps = [(b.year - a.year) * 12 + b.month - a.month for a, b in itertools.pairwise(dates)]
    if any(step != 1 for step in steps) or dates[-1] > this_month():
        raise Refuse
    kept: dict[tuple, list[int]] = {}
    month_totals = [0] * len(months)
    for row in rows:
        group, minor, place = (cell.strip() for cell in row[:3])
        if (
            not group
            or not minor
            or not place
            or any(CONTROL.search(c) for c in (group, minor, place))
        ):
            raise Refuse
        counts = [whole(cell) for cell in row[3:]]
        month_totals = [t + c for t, c in zip(month_totals, counts, strict=True)]
        borough = canonical_borough(config, place)
        key = (
            borough or f"pseudo:{normalise_name(place)}",
            canonical_category(config, group),
            canonical_category(config, minor),
        )
        if key in kept and kept[key] != counts:
            raise Refuse
        kept[key] = counts
    median = statistics.median(month_totals)
    stubs = {
        i
        for i, t in enumerate(month_totals)
        if len(months) >= 3 and median >= 50 and t < 0.1 * median
    }
    return sum(
        sum(c for i, c in enumerate(counts) if i not in stubs)
        for key, counts in kept.items()
        if not key[0].startswith("pseudo:")
    )


def street_total(data: bytes, config) -> int:
    header, rows = table(decode(data))
    needed = ("Crime ID", "Month", "LSOA name", "Crime type")
    if header[0] != "Crime ID" or "Outcome type" in header or not set(needed) <= set(header):
        raise Refuse
    column = {name: header.index(name) for name in needed}
    boroughs = {}
    for borough in config.geography.boroughs:
        for spelling in [borough.name, *borough.aliases]:
            boroughs[normalise_name(spelling)] = borough.name
    seen: set[tuple] = set()
    total = 0
    for row in rows:
        crime, month, lsoa, kind = (row[column[n]].strip() for n in needed)
        match = re.fullmatch(r"(\d{4})-(\d{2})", month)
        if not match or not 1 <= int(match[2]) <= 12:
            raise Refuse
        if not date(1900, 1, 1) <= date(int(match[1]), int(match[2]), 1) <= this_month():
            raise Refuse
        if not kind or CONTROL.search(kind) or CONTROL.search(lsoa):
            raise Refuse
        place = re.sub(r"\s+\d{3,4}[A-Z]?$", "", lsoa)
        if normalise_name(place) not in boroughs or not place:
            continue
        if crime:
            if (month, crime) in seen:
                continue
            seen.add((month, crime))
        total += 1
    return total


def kaggle_total(data: bytes, config) -> int:
    header, rows = table(decode(data))
    names = [h.lower() for h in header]
    needed = ("lsoa_code", "borough", "major_category", "minor_category", "value", "year", "month")
    if not set(needed) <= set(names):
        raise Refuse
    column = {n: names.index(n) for n in needed}
    kept: dict[tuple, int] = {}
    for row in rows:
        lsoa, place, major, minor, value, year, month = (row[column[n]].strip() for n in needed)
        if not all((lsoa, place, major, minor)) or any(
            CONTROL.search(c) for c in (lsoa, place, major, minor)
        ):
            raise Refuse
        count = whole(value)
        if not re.fullmatch(r"\d+", year) or not re.fullmatch(r"\d+", month):
            raise Refuse
        if not 1 <= int(month) <= 12 or not 1900 <= int(year) <= 9999:
            raise Refuse
        if date(int(year), int(month), 1) > this_month():
            raise Refuse
        borough = canonical_borough(config, place)
        key = (
            lsoa,
            canonical_category(config, major),
            canonical_category(config, minor),
            year,
            int(month),
        )
        if key in kept and kept[key][0] != count:
            raise Refuse
        kept[key] = (count, borough)
    return sum(count for count, borough in kept.values() if borough is not None)


def published_count(text: str) -> int:
    """A count as the newer (Datastore) loaders read one: a whole number >= 0, thousands
    separators dropped, written as an integer or a whole decimal."""
    text = text.strip().replace(",", "")
    if re.fullmatch(r"\d+", text) and int(text) < 2**63:
        return int(text)
    try:
        number = float(text)
    except ValueError:
        raise Refuse from None
    if not (math.isfinite(number) and number == round(number) and 0 <= number < 2**63):
        raise Refuse
    return int(number)


def plausible(month: date) -> date:
    if not date(1900, 1, 1) <= month <= this_month():
        raise Refuse
    return month


def homicide_total(data: bytes, config) -> int:
    """Each victim counts in All victims, in its method of killing and, when flagged, in
    Domestic abuse; identical rows are different victims; Heathrow is set aside."""
    header, rows = table(decode(data))
    needed = ("Count of Victims", "Method of Killing", "Domestic Abuse", "Recorded Date", "Borough")
    if not set(needed) <= set(header):
        raise Refuse
    column = {name: header.index(name) for name in needed}
    counted: list[tuple[date, str | None, int]] = []
    for row in rows:
        count, method, domestic, recorded, place = (row[column[n]].strip() for n in needed)
        victims = published_count(count)
        try:
            month = datetime.strptime(f"01-{recorded}", "%d-%b-%y").date()
        except ValueError:
            raise Refuse from None
        if not method or not place or CONTROL.search(method) or CONTROL.search(place):
            raise Refuse
        if domestic.lower() not in ("domestic abuse", "not domestic abuse"):
            raise Refuse
        flagged = domestic.lower() == "domestic abuse"
        counted.append(
            (plausible(month), canonical_borough(config, place), victims * (2 + flagged))
        )
    # months that look incomplete (under 10% of the median month, zero months included)
    first, last = min(m for m, _, _ in counted), max(m for m, _, _ in counted)
    months = {date(y, m, 1): 0 for y in range(first.year, last.year + 1) for m in range(1, 13)}
    months = {m: 0 for m in months if first <= m <= last}
    for month, _, value in counted:
        months[month] += value
    median = statistics.median(months.values())
    stubs = {
        m
        for m, total in months.items()
        if len(months) >= 3 and median >= 50 and total < 0.1 * median
    }
    return sum(value for month, place, value in counted if place and month not in stubs)


def dashboard_total(data: bytes, config) -> int:
    """Borough rows of the series measures.yaml maps: counts as published (a series listed
    twice counted once), and for each outcome rate its positive outcomes where the borough
    had offences that month. Pseudo-boroughs set aside; neighbourhood rows never added."""
    header, rows = table(decode(data))
    names = [re.sub(r"[^a-z0-9]+", "_", h.strip().casefold()).strip("_") for h in header]
    needed = ("month_year", "area_type", "borough_snt", "crime_subtype", "measure", "count")
    if len(set(names)) != len(names) or not set(needed) <= set(names):
        raise Refuse
    column = {name: names.index(name) for name in needed}
    texts = [i for i, n in enumerate(names) if n in ("area_name", "crime_type") or n in needed]
    area = names.index("area_name") if "area_name" in names else None
    cells: dict[tuple, int] = {}
    for row in rows:
        month_text, kind, place, subtype, measure, count = (row[column[n]].strip() for n in needed)
        number = published_count(count)
        try:
            month = plausible(datetime.strptime(month_text[:10], "%Y-%m-%d").date().replace(day=1))
        except ValueError:
            raise Refuse from None
        if not kind or not place or not subtype or any(CONTROL.search(row[i]) for i in texts):
            raise Refuse
        if measure.lower() not in ("offences", "positive outcomes"):
            raise Refuse
        if kind.lower() != "borough":
            continue
        borough = canonical_borough(config, place)
        if borough is None:
            continue
        key = (
            borough,
            row[area].strip() if area is not None else "",
            month,
            " ".join(subtype.split()).lower(),
            measure.lower(),
        )
        if cells.get(key, number) != number:
            raise Refuse
        cells[key] = number
    series: dict[tuple, int] = {}
    for (borough, _, month, subtype, measure), number in cells.items():
        series[(borough, month, subtype, measure)] = (
            series.get((borough, month, subtype, measure), 0) + number
        )
    total = 0
    for m in config.measures:
        if m.dashboard is None:
            continue
        for subtypes in m.dashboard.categories.values():
            keys = [" ".join(s.split()).casefold() for s in subtypes]

            def summed(measure, keys=keys):
                out: dict[tuple, int] = {}
                for (borough, month, subtype, kind), number in series.items():
                    if subtype in keys and kind == measure:
                        out[(borough, month)] = out.get((borough, month), 0) + number
                return out

            if m.kind == "proportion":
                offences, outcomes = summed("offences"), summed("positive outcomes")
                total += sum(outcomes.get(k, 0) for k, n in offences.items() if n > 0)
            else:
                counted = "offences" if m.dashboard.counts == "offences" else "positive outcomes"
                total += sum(summed(counted).values())
    return total


# --- mutations ---------------------------------------------------------------------------------

CELLS = [
    "",
    " ",
    "-1",
    "nan",
    "NaN",
    "inf",
    "1e400",
    "2.5",
    "x",
    "99999999999999999999",
    " 7 ",
    "0",
    "12",
    "\x1b[31m",
    '"',
    "a,b",
]
# what a mutation does
KINDS = [
    "delete",
    "duplicate",
    "swap",
    "cell",
    "place",
    "header",
    "cut row",
    "extra field",
    "truncate",
    "bytes",
]
JUNK = [b"\xff", b"\xe9", b"\x00", b"\xef\xbb\xbf", b"\x1b", b"\xc3"]
PLACES = [
    "Barking & Dagenham",
    "City of Westminster",
    "Kingston",
    "Richmond Upon Thames",
    "LAMBETH",
    "Gotham",
    "Heathrow",
    "Unknown",
    "Westminister",
    "Lambeth 001A",
    "Croydon 123B",
]


def mutate(draw, lines: list[str], first: tuple[str, str | None]) -> tuple[bytes, bool]:
    """Apply ``first`` (a kind of mutation, and for cells the new text), then up to two more
    drawn at random; returns the bytes and whether every mutation was harmless."""
    harmless = True
    steps = [first] + [(draw(st.sampled_from(KINDS)), None) for _ in range(draw(st.integers(0, 2)))]
    for kind, text in steps:
        body = len(lines) - 1
        line = draw(st.integers(1, max(1, body)))
        if kind == "delete" and body > 1:
            del lines[line]
        elif kind == "duplicate":
            lines.insert(draw(st.integers(1, len(lines))), lines[line])
        elif kind == "swap":
            other = draw(st.integers(1, max(1, body)))
            lines[line], lines[other] = lines[other], lines[line]
        elif kind in ("cell", "place", "extra field", "cut row", "header"):
            harmless = False
            target = 0 if kind == "header" else line
            cells = next(csv.reader([lines[target].rstrip("\r\n")]), []) or [""]
            ending = lines[target][len(lines[target].rstrip("\r\n")) :] or "\n"
            index = draw(st.integers(0, len(cells) - 1))
            if kind == "cell":
                cells[index] = text if text is not None else draw(st.sampled_from(CELLS))
            elif kind == "place":
                cells[index] = draw(st.sampled_from(PLACES))
            elif kind == "extra field":
                cells.insert(index, draw(st.sampled_from(CELLS)))
            elif kind == "cut row":
                cells = cells[:index]
            else:
                other = draw(st.integers(0, len(cells) - 1))
                cells[index], cells[other] = cells[other], cells[index]
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="").writerow(cells)
            lines[target] = buffer.getvalue() + ending
        elif kind == "truncate":
            text_bytes = "".join(lines).encode("utf-8")
            return text_bytes[: draw(st.integers(0, len(text_bytes)))], False
        elif kind == "bytes":
            text_bytes = "".join(lines).encode("utf-8")
            at = draw(st.integers(0, len(text_bytes)))
            junk = draw(st.sampled_from(JUNK))
            return text_bytes[:at] + junk + text_bytes[at:], False
    return "".join(lines).encode("utf-8"), harmless


# Every kind of damage is the first mutation of some examples (so none goes untried), every
# changed-cell text too; the rest of each example is drawn.
FIRST = [(kind, None) for kind in dict.fromkeys(KINDS) if kind != "cell"] + [
    ("cell", text) for text in CELLS
]
FIRST_IDS = [kind if text is None else f"cell {text!r}" for kind, text in FIRST]


def check(
    tmp_path: Path, config, data: bytes, harmless: bool, count: Callable[[bytes, object], int]
):
    path = tmp_path / "mutated.csv"
    path.write_bytes(data)
    try:
        expected = count(data, config)
    except Refuse:
        expected = None
    try:
        loaded = load_dataset([path], config, use_cache=False)
    except DataError as error:
        assert "\n" not in str(error)
        assert str(error).startswith(str(path))
        assert not harmless, f"a harmless change was refused: {error}"
        return
    assert expected is not None, "loaded a file the independent count says must be refused"
    assert loaded.observations["value"].sum() == expected


def sliced(path: Path, lines: int) -> list[str]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8").splitlines(keepends=True)[: lines + 1]


@pytest.fixture(scope="module")
def bocu_lines(real) -> list[str]:
    return sliced(BOCU, 120)


@pytest.fixture(scope="module")
def street_lines(real) -> list[str]:
    return sliced(STREET, 200)


@pytest.fixture(scope="module")
def kaggle_lines(real) -> list[str]:
    return sliced(KAGGLE, 200)


@pytest.fixture(scope="module")
def homicide_lines(real) -> list[str]:
    return sliced(HOMICIDES, 200)


@pytest.fixture(scope="module")
def dashboard_lines(real) -> list[str]:
    return sliced(DASHBOARD, 200)


def test_the_independent_counts_agree_with_the_unmutated_slices(
    tmp_path, config, bocu_lines, street_lines, kaggle_lines, homicide_lines, dashboard_lines
):
    for lines, count in (
        (bocu_lines, mps_total),
        (street_lines, street_total),
        (kaggle_lines, kaggle_total),
        (homicide_lines, homicide_total),
        (dashboard_lines, dashboard_total),
    ):
        check(tmp_path, config, "".join(lines).encode("utf-8"), True, count)


@pytest.mark.parametrize("first", FIRST, ids=FIRST_IDS)
@SETTINGS
@given(data=st.data())
def test_a_mutated_mps_borough_file_loads_correctly_or_is_refused_in_one_line(
    tmp_path, config, bocu_lines, first, data
):
    mutated, harmless = mutate(data.draw, list(bocu_lines), first)
    check(tmp_path, config, mutated, harmless, mps_total)


@pytest.mark.parametrize("first", FIRST, ids=FIRST_IDS)
@SETTINGS
@given(data=st.data())
def test_a_mutated_street_file_loads_correctly_or_is_refused_in_one_line(
    tmp_path, config, street_lines, first, data
):
    mutated, harmless = mutate(data.draw, list(street_lines), first)
    check(tmp_path, config, mutated, harmless, street_total)


@pytest.mark.parametrize("first", FIRST, ids=FIRST_IDS)
@SETTINGS
@given(data=st.data())
def test_a_mutated_lsoa_file_loads_correctly_or_is_refused_in_one_line(
    tmp_path, config, kaggle_lines, first, data
):
    mutated, harmless = mutate(data.draw, list(kaggle_lines), first)
    check(tmp_path, config, mutated, harmless, kaggle_total)


@pytest.mark.parametrize("first", FIRST, ids=FIRST_IDS)
@SETTINGS
@given(data=st.data())
def test_a_mutated_homicide_file_loads_correctly_or_is_refused_in_one_line(
    tmp_path, config, homicide_lines, first, data
):
    # every line is a victim: a deleted or repeated line changes the total, and still loads
    mutated, harmless = mutate(data.draw, list(homicide_lines), first)
    check(tmp_path, config, mutated, harmless, homicide_total)


@pytest.mark.parametrize("first", FIRST, ids=FIRST_IDS)
@SETTINGS
@given(data=st.data())
def test_a_mutated_dashboard_file_loads_correctly_or_is_refused_in_one_line(
    tmp_path, config, dashboard_lines, first, data
):
    mutated, harmless = mutate(data.draw, list(dashboard_lines), first)
    check(tmp_path, config, mutated, harmless, dashboard_total)
