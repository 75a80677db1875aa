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
from typing import Any

from engine import registry
from engine.errors import InvalidInput
from engine.people_match import person_key, place_key
from engine.person_reports import complainant_key
from engine.threshold import AGENCIES

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
# The keys engine.person_reports.complainant_key gives; "case:<reference>..." for a person
# known only on a case.
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


@dataclass(slots=True)
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
    checker = _Checker(header, today)
    out = Checked([], [], tuple(h for h in header if h not in NAMES))
    good, bad = out.records.append, out.bad.append
    start = reader.line_num + 1
    for count, row in enumerate(reader, start=1):
        if row:
            checked = checker.check(row, start)
            (good if type(checked) is Record else bad)(checked)  # type: ignore[operator]
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


_REQUIRED_AT = tuple((NAMES.index(n), n) for n in REQUIRED)
_LIMIT_AT = tuple((NAMES.index(n), n, limit) for n, limit in _LIMITS.items())


class _Checker:
    """The check of one row after another; what rows share (dates, people, keys) is worked
    out once and remembered."""

    def __init__(self, header: list[str], today: date) -> None:
        self.positions = [header.index(n) if n in header else -1 for n in NAMES]
        self.width = len(header)
        self.localities = {
            lid: aid for aid in registry.area_ids() for lid in registry.area(aid).localities
        }
        self.today = today.isoformat()
        self.seen: dict[str, int] = {}
        self.days: set[str] = set()
        self.keys: dict[tuple[str, ...], tuple[str, str | None]] = {}
        self.people: dict[tuple[str, str, str], Any] = {}
        self.places: dict[tuple[str, ...], Any] = {}

    def check(self, row: list[str], line: int) -> Record | BadRow:  # noqa: C901
        if len(row) != self.width:
            return BadRow(line, f"has {len(row)} fields where the header has {self.width}")
        vals = [row[i].strip() if i >= 0 else "" for i in self.positions]
        ref, incident, locality, incident_on, reported_on, agency = vals[:6]
        problems: list[str] = []
        if not (ref and locality and incident_on and reported_on and agency):
            problems += [f"{name} is empty" for i, name in _REQUIRED_AT if not vals[i]]
        for i, name, limit in _LIMIT_AT:
            if len(vals[i]) > limit:
                problems.append(f"{name} is longer than {limit} characters")
        incident = incident or ref
        if len(ref) > REFERENCE_MAX or len(incident) > REFERENCE_MAX:
            problems.append(f"a reference is longer than {REFERENCE_MAX} characters")
        if ref in self.seen:
            problems.append(f"reference {ref!r} is also on line {self.seen[ref]}")
        elif ref:
            self.seen[ref] = line
        area_id = self.localities.get(locality, "")
        if locality and not area_id:
            problems.append(f"locality {locality!r} is not one of ours (e.g. leicester)")
        if incident_on and not self._day(incident_on):
            problems.append(f"incident_on {incident_on!r} is not a date (use YYYY-MM-DD)")
            incident_on = ""
        if reported_on and not self._day(reported_on):
            problems.append(f"reported_on {reported_on!r} is not a date (use YYYY-MM-DD)")
            reported_on = ""
        if incident_on > self.today:
            problems.append(f"incident_on {incident_on} is in the future")
        if reported_on > self.today:
            problems.append(f"reported_on {reported_on} is in the future")
        if incident_on and reported_on and reported_on < incident_on:
            problems.append(f"reported_on {reported_on} is before incident_on {incident_on}")
        agency = agency.lower()
        if agency and agency not in AGENCIES:
            problems.append(f"agency {vals[5]!r} is not one of {', '.join(AGENCIES)}")
        key, problem = self._complainant(vals[7], vals[8], vals[9], vals[10])
        if problem:
            problems.append(problem)
        person = self._person(vals[11], vals[7], vals[12], problems)
        place = self._place(vals[13], vals[14], vals[15], vals[16], problems)
        if problems:
            return BadRow(line, "; ".join(problems))
        return Record(
            line,
            ref,
            area_id,
            locality,
            f"sentinel:{area_id}/{incident}",
            key,
            incident_on,
            reported_on,
            agency,
            vals[6] or None,
            vals[7] or None,
            person,
            place,
        )

    def _day(self, value: str) -> bool:
        if value in self.days:
            return True
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                date.fromisoformat(value)
            except ValueError:
                return False
            self.days.add(value)
            return True
        return False

    def _complainant(
        self, name: str, email: str, postcode: str, given: str
    ) -> tuple[str, str | None]:
        wanted = (name, email, postcode, given)
        found = self.keys.get(wanted)
        if found is None:
            found = self.keys[wanted] = _complainant(name, email, postcode, given)
        return found

    def _person(
        self, ref: str, name: str, born: str, problems: list[str]
    ) -> tuple[str, str, date | None, str] | None:
        if born and not self._day(born):
            problems.append(f"person_date_of_birth {born!r} is not a date (use YYYY-MM-DD)")
            born = ""
        if not ref:
            return None
        if not name:
            problems.append("person_reference needs complainant_name")
            return None
        wanted = (ref, name, born)
        found = self.people.get(wanted)
        if found is None:
            born_on = date.fromisoformat(born) if born else None
            found = self.people[wanted] = (ref, name, born_on, person_key(name, born_on))
        return found  # type: ignore[no-any-return]

    def _place(
        self, ref: str, label: str, postcode: str, uprn: str, problems: list[str]
    ) -> tuple[str, str, str | None, str | None, str] | None:
        if postcode and not _POSTCODE.fullmatch(postcode):
            problems.append(f"place_postcode {postcode!r} is not a postcode")
        if uprn and not uprn.isdigit():
            problems.append(f"place_uprn {uprn!r} is not a number")
        if not ref:
            return None
        if not label:
            problems.append("place_reference needs place_label")
            return None
        wanted = (ref, label, postcode, uprn)
        found = self.places.get(wanted)
        if found is None:
            key = place_key(label, postcode)
            found = self.places[wanted] = (ref, label, postcode.upper() or None, uprn or None, key)
        return found  # type: ignore[no-any-return]


def _complainant(name: str, email: str, postcode: str, given: str) -> tuple[str, str | None]:
    """The complainant key, or the problem that stops one being made."""
    if email and not _EMAIL.fullmatch(email):
        return "", f"complainant_email {email!r} is not an email address"
    if postcode and not _POSTCODE.fullmatch(postcode):
        return "", f"complainant_postcode {postcode!r} is not a postcode"
    key = complainant_key(email=email, name=name, postcode=postcode)
    if key is None and given:
        if not _KEY.fullmatch(given):
            return "", "complainant_key is not a key this service exports"
        key = given
    if key is None:
        return "", (
            "the complainant cannot be matched: give complainant_email, or complainant_name "
            "with complainant_postcode"
        )
    return key, None


def open_lines(path: str) -> Iterator[str]:
    """The file's lines as text (a spreadsheet's byte order mark is dropped)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        try:
            yield from f
        except UnicodeDecodeError:
            raise InvalidInput(
                "The file is not UTF-8 text: save it from the spreadsheet as 'CSV UTF-8'."
            ) from None
