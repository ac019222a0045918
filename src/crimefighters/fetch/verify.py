"""Checks a downloaded body must pass before it may replace the previous copy.

A server that is down often still answers ``200 OK`` with an HTML error or login page; a proxy
may cut a body short. So, first the quick checks as the body arrives: the content type must fit
what was asked for, HTML is refused whatever its label, a CSV must have rows and a complete last
row, and JSON must parse and have the shape the endpoint documents (dates included, to the
character). Then the last word: ``loader_verdict`` loads the staged file with the real loader
(``crimefighters.data``, nothing below it), so a file the app would refuse (an unknown header,
a missing or repeated month, an unknown borough, "n/a" in a count) is never installed, and the
format the loader detects must be the one the source is configured for."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crimefighters.errors import CrimefightersError

if TYPE_CHECKING:
    from crimefighters.config.models import Config

CSV_TYPES = {
    "text/csv",
    "application/csv",
    "application/x-csv",
    "text/comma-separated-values",
    "text/plain",
    "application/octet-stream",
    "binary/octet-stream",  # some S3-style stores
    "application/vnd.ms-excel",  # what many servers call .csv
}
JSON_TYPES = {"application/json", "text/json", "text/plain"}


class ContentProblem(Exception):
    """The body is not what was asked for."""


def check_content_type(kind: str, content_type: str | None) -> None:
    if not content_type:
        return  # not stated: the body checks decide
    media = content_type.split(";", 1)[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml"):
        raise ContentProblem(
            f"the server sent an HTML page ({media}), not {kind.upper()}: probably an error "
            "or sign-in page"
        )
    allowed = CSV_TYPES if kind == "csv" else JSON_TYPES
    if media not in allowed and not (kind == "json" and media.endswith("+json")):
        raise ContentProblem(f"unexpected content type {media!r} for a {kind.upper()} file")


def _head(path: Path, size: int = 65536) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def _tail(path: Path, size: int = 65536) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        end = handle.tell()
        handle.seek(max(0, end - size))
        return handle.read()


def looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml"))


def _not_empty_or_html(path: Path) -> bytes:
    head = _head(path)
    if not head.strip():
        raise ContentProblem("the server sent an empty file")
    if looks_like_html(head):
        raise ContentProblem("the server sent an HTML page, not data: probably an error page")
    return head


def csv_check() -> Callable[[Path], None]:
    """A quick check, before the loader: a CSV with rows that is not cut short. Which format it
    is, and whether every row is sound, is the loader's word (``loader_verdict``)."""

    def check(path: Path) -> None:
        _check_last_row(path, _not_empty_or_html(path))

    return check


def _check_last_row(path: Path, head: bytes) -> None:
    """A body cut short without a Content-Length to tell shows as a short last row or, when
    cut inside the last field, as a missing final line break (every published MPS file ends
    with one)."""
    first, _, rest = head.partition(b"\n")
    if not rest.strip():
        raise ContentProblem("the file has a header but no rows")
    header_line = first.rstrip(b"\r").decode("utf-8-sig", errors="replace")
    width = len(next(csv.reader([header_line])))
    tail = _tail(path)
    if not tail.endswith(b"\n"):
        raise ContentProblem("the file does not end with a line break: it is cut short")
    tail = tail.rstrip(b"\r\n")
    last_line = tail.rsplit(b"\n", 1)[-1].rstrip(b"\r").decode("utf-8", errors="replace")
    rows = list(csv.reader(io.StringIO(last_line)))
    if rows and len(rows[0]) != width:
        raise ContentProblem(
            f"the last row has {len(rows[0])} fields, the header {width}: the file is cut short"
        )


def _load_json(path: Path) -> Any:
    _not_empty_or_html(path)
    try:
        return json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ContentProblem(f"not valid JSON ({exc})") from None


def _records(value: Any, what: str, required: tuple[str, ...]) -> list[dict]:
    if not isinstance(value, list):
        raise ContentProblem(f"expected a JSON list of {what}; got {type(value).__name__}")
    for index, item in enumerate(value):
        if not isinstance(item, dict) or any(key not in item for key in required):
            raise ContentProblem(
                f"item {index} is not a data.police.uk {what[:-1]} (expected keys {list(required)})"
            )
    return value


_DAY = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def validate_shape(shape: str, value: Any) -> None:
    """Raise ContentProblem unless ``value`` has the documented shape of the endpoint.

    Dates are checked to the character: a month name from the server becomes part of a path
    (``police_uk/<force>/<month>/``), so ``"/tmp/ab"`` or ``"../.."`` must never get through."""
    if shape == "crime-last-updated":
        date = value.get("date") if isinstance(value, dict) else None
        # The API documents an ISO date ("the day is not relevant"); allow a time after it
        if not isinstance(date, str) or not _DAY.fullmatch(date.split("T", 1)[0]):
            raise ContentProblem(
                f'expected {{"date": "YYYY-MM-DD"}} from crime-last-updated; got {_short(value)}'
            )
    elif shape == "crimes-street-dates":
        for index, item in enumerate(_records(value, "months", ("date",))):
            date = item["date"]
            if not isinstance(date, str) or not _MONTH.fullmatch(date):
                raise ContentProblem(
                    f"crimes-street-dates item {index}: expected a month YYYY-MM; got {_short(date)}"
                )
    elif shape in ("crimes-street", "crimes-no-location"):
        _records(value, "crimes", ("id", "category", "month"))
    elif shape == "outcomes-at-location":
        records = _records(value, "outcomes", ("category", "crime"))
        for index, item in enumerate(records):
            if not isinstance(item["crime"], dict) or "id" not in item["crime"]:
                raise ContentProblem(f"outcome {index} has no crime id")
    else:
        raise ValueError(shape)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def json_check(shape: str) -> Callable[[Path], None]:
    def check(path: Path) -> None:
        validate_shape(shape, _load_json(path))

    return check


def read_json(path: Path) -> Any:
    return json.loads(path.read_bytes())


# --- the loader's own verdict ------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    format: str  # the loader's name for the format it detected, e.g. "mps_borough_upper"
    release: date | None  # the last month the file covers; None for a file with no rows


def loader_verdict(path: Path, config: Config, use_cache: bool = True) -> Verdict:
    """Load ``path`` exactly as the app loads a data folder (``crimefighters.data``). Raises
    ``ContentProblem`` with the loader's one line when the loader refuses the file.

    Any exception counts as a refusal: the file came from the network, and a loader that
    crashes on it must not leave it in the data folder for the next ``scan`` to crash on."""
    from crimefighters.data import load_dataset

    try:
        dataset = load_dataset([path], config, use_cache=use_cache)
    except CrimefightersError as exc:
        raise ContentProblem(str(exc)) from None
    except Exception as exc:
        raise ContentProblem(
            f"{path}: the loader could not read it ({type(exc).__name__}: {exc})"
        ) from None
    [report] = dataset.report.files
    return Verdict(report.format, report.last_month)
