"""The Sentinel CSV export as `ctengine import sentinel` reads it: its columns and the check
of every row. docs/sentinel-import.md describes the columns for people; docs/sentinel-sample.csv
is a file in this format. Nothing here touches the database.

One row is one Sentinel record: a report of an incident to an agency, by a complainant, with
the person and place Sentinel linked it to. Each row is checked on its own (and its reference
against the rows before it); a row with problems gives one line naming every problem.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from engine import registry
from engine.case_reports import complainant_key
from engine.errors import InvalidInput
from engine.people_match import person_key, place_key
from engine.services.applications import AGENCIES

# (column, required, what it holds): the order docs/sentinel-import.md lists them in.
COLUMNS: tuple[tuple[str, bool, str], ...] = (
    ("reference", True, "Sentinel's reference for this record; unique; a re-import skips it"),
    ("incident_reference", False, "Sentinel's incident: records sharing it count as one incident"),
    ("locality", True, "the locality's id, e.g. leicester, blaby, charnwood"),
    ("incident_on", True, "the day the incident happened, YYYY-MM-DD"),
    ("reported_on", True, "the day it was reported to the agency, YYYY-MM-DD"),
    ("agency", True, "who it was reported to: " + ", ".join(AGENCIES)),
    ("agency_reference", False, "the agency's own reference for the report"),
    ("complainant_name", False, "the person who reported it"),
    ("complainant_email", False, "their email address"),
    ("complainant_postcode", False, "their postcode"),
    ("complainant_key", False, "the key an export of this service gives (email:... or person:...)"),
    ("person_reference", False, "Sentinel's reference for the complainant as a person"),
    ("person_date_of_birth", False, "their date of birth, YYYY-MM-DD"),
    ("place_reference", False, "Sentinel's reference for the place of the incident"),
    ("place_label", False, "the place: an address or a description; needed with its reference"),
    ("place_postcode", False, "the place's postcode"),
    ("place_uprn", False, "the place's Unique Property Reference Number (digits)"),
)
NAMES = tuple(name for name, _, _ in COLUMNS)
REQUIRED = tuple(name for name, required, _ in COLUMNS if required)
REFERENCE_MAX = 60  # "sentinel:<area>/<reference>" fits the 80 characters of incident_key
CHANNEL = "sentinel"
# The keys engine.case_reports gives; "case:<reference>..." for a person known only on a case.
_KEY = re.compile(r"(email|person):[0-9a-f]{40}|case:[A-Za-z0-9/:_-]{1,100}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_POSTCODE = re.compile(r"[A-Za-z0-9 ]{2,10}")
_LIMITS = {
    "agency_reference": 80,
    "complainant_name": 200,
    "complainant_email": 254,
    "person_reference": REFERENCE_MAX,
    "place_reference": REFERENCE_MAX,
    "place_label": 300,
    "place_uprn": 12,
}


@dataclass(frozen=True)
class Record:
    """One good row, ready to store (dates as YYYY-MM-DD text, which both databases take)."""

    line: int
    reference: str
    area_id: str
    locality_id: str
    incident_key: str
    complainant_key: str
    incident_on: str
    reported_on: str
    agency: str
    agency_reference: str | None
    name: str | None
    person: tuple[str, str, date | None, str] | None  # (reference, name, born, match key)
    place: tuple[str, str, str | None, str | None, str] | None  # (ref, label, pc, uprn, key)


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Checked:
    records: list[Record]
    bad: list[BadRow]
    ignored_columns: tuple[str, ...]


def read(
    lines: Iterable[str], *, today: date, progress: Callable[[int], None] | None = None
) -> Checked:
    """Check every row of a Sentinel CSV export (its lines, header first)."""
    reader = csv.reader(iter(lines))
    header = _header(next(reader, None))
    index = {name: header.index(name) for name in NAMES if name in header}
    localities = _localities()
    seen: dict[str, int] = {}
    out = Checked([], [], tuple(h for h in header if h not in NAMES))
    start = reader.line_num + 1
    for count, row in enumerate(reader, start=1):
        if row:
            _one(row, start, len(header), index, localities, today, seen, out)
        start = reader.line_num + 1
        if progress and count % 10_000 == 0:
            progress(count)
    return out


def _header(row: list[str] | None) -> list[str]:
    if not row:
        raise InvalidInput("The file is empty: it needs a header line naming the columns.")
    header = [h.strip().lower() for h in row]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise InvalidInput(f"line 1: the header has no column {', '.join(missing)}.")
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise InvalidInput(f"line 1: the header names {', '.join(twice)} more than once.")
    return header


def _localities() -> dict[str, str]:
    return {lid: aid for aid in registry.area_ids() for lid in registry.area(aid).localities}


def _day(value: str, column: str, problems: list[str]) -> str:
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            date.fromisoformat(value)
            return value
        except ValueError:
            pass
    problems.append(f"{column} {value!r} is not a date (use YYYY-MM-DD)")
    return ""


def _one(  # noqa: C901  one check after another, in the columns' order
    row: list[str],
    line: int,
    width: int,
    index: dict[str, int],
    localities: dict[str, str],
    today: date,
    seen: dict[str, int],
    out: Checked,
) -> None:
    if len(row) != width:
        out.bad.append(BadRow(line, f"has {len(row)} fields where the header has {width}"))
        return
    v = {name: row[i].strip() for name, i in index.items()}
    problems: list[str] = []
    for name in REQUIRED:
        if not v[name]:
            problems.append(f"{name} is empty")
    for name, limit in _LIMITS.items():
        if len(v.get(name, "")) > limit:
            problems.append(f"{name} is longer than {limit} characters")
    ref, incident = v["reference"], v.get("incident_reference") or v["reference"]
    if len(ref) > REFERENCE_MAX or len(incident) > REFERENCE_MAX:
        problems.append(f"a reference is longer than {REFERENCE_MAX} characters")
    if ref in seen:
        problems.append(f"reference {ref!r} is also on line {seen[ref]}")
    elif ref:
        seen[ref] = line
    area_id = localities.get(v["locality"], "")
    if v["locality"] and not area_id:
        problems.append(f"locality {v['locality']!r} is not one of ours (e.g. leicester)")
    incident_on = _day(v["incident_on"], "incident_on", problems) if v["incident_on"] else ""
    reported_on = _day(v["reported_on"], "reported_on", problems) if v["reported_on"] else ""
    if incident_on and incident_on > today.isoformat():
        problems.append(f"incident_on {incident_on} is in the future")
    if reported_on and reported_on > today.isoformat():
        problems.append(f"reported_on {reported_on} is in the future")
    if incident_on and reported_on and reported_on < incident_on:
        problems.append(f"reported_on {reported_on} is before incident_on {incident_on}")
    if v["agency"] and v["agency"].lower() not in AGENCIES:
        problems.append(f"agency {v['agency']!r} is not one of {', '.join(AGENCIES)}")
    key = _complainant(v, problems)
    person = _person(v, problems)
    place = _place(v, problems)
    if problems:
        out.bad.append(BadRow(line, "; ".join(problems)))
        return
    out.records.append(
        Record(
            line=line,
            reference=ref,
            area_id=area_id,
            locality_id=v["locality"],
            incident_key=f"sentinel:{area_id}/{incident}",
            complainant_key=key,
            incident_on=incident_on,
            reported_on=reported_on,
            agency=v["agency"].lower(),
            agency_reference=v.get("agency_reference") or None,
            name=v.get("complainant_name") or None,
            person=person,
            place=place,
        )
    )


def _complainant(v: dict[str, str], problems: list[str]) -> str:
    email, given = v.get("complainant_email", ""), v.get("complainant_key", "")
    if email and not _EMAIL.fullmatch(email):
        problems.append(f"complainant_email {email!r} is not an email address")
        return ""
    postcode = v.get("complainant_postcode", "")
    if postcode and not _POSTCODE.fullmatch(postcode):
        problems.append(f"complainant_postcode {postcode!r} is not a postcode")
        return ""
    key = complainant_key(email=email, name=v.get("complainant_name"), postcode=postcode)
    if key is None and given:
        if not _KEY.fullmatch(given):
            problems.append("complainant_key is not a key this service exports")
        key = given
    if key is None:
        problems.append(
            "the complainant cannot be matched: give complainant_email, or complainant_name "
            "with complainant_postcode"
        )
    return key or ""


def _person(v: dict[str, str], problems: list[str]) -> tuple[str, str, date | None, str] | None:
    ref, name = v.get("person_reference", ""), v.get("complainant_name", "")
    born_text = v.get("person_date_of_birth", "")
    born = _day(born_text, "person_date_of_birth", problems) if born_text else ""
    if not ref:
        return None
    if not name:
        problems.append("person_reference needs complainant_name")
        return None
    born_on = date.fromisoformat(born) if born else None
    return ref, name, born_on, person_key(name, born_on)


def _place(
    v: dict[str, str], problems: list[str]
) -> tuple[str, str, str | None, str | None, str] | None:
    ref, label = v.get("place_reference", ""), v.get("place_label", "")
    postcode, uprn = v.get("place_postcode", ""), v.get("place_uprn", "")
    if postcode and not _POSTCODE.fullmatch(postcode):
        problems.append(f"place_postcode {postcode!r} is not a postcode")
    if uprn and not uprn.isdigit():
        problems.append(f"place_uprn {uprn!r} is not a number")
    if not ref:
        return None
    if not label:
        problems.append("place_reference needs place_label")
        return None
    return ref, label, postcode.upper() or None, uprn or None, place_key(label, postcode)


def open_lines(path: str) -> Iterator[str]:
    """The file's lines as text (a spreadsheet's byte order mark is dropped)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        try:
            yield from f
        except UnicodeDecodeError:
            raise InvalidInput(
                "The file is not UTF-8 text: save it from the spreadsheet as 'CSV UTF-8'."
            ) from None
