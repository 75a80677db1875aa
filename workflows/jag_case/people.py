"""The people and places a JAG case is about, matched to the area's shared records
(engine.models.people) so a repeat victim, perpetrator or place shows on every case."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from engine.errors import InvalidInput
from engine.models import CaseSubject, Person, Place
from engine.people_match import case_subjects, person_key, place_key

PERSON_KINDS = ("victim", "perpetrator")
PLACE_KINDS = ("place", "problem")


def subject_errors(kind: str, subject: dict[str, Any], prefix: str = "subject") -> list[dict]:
    """What is missing from a subject: a person needs a name, a place or problem a label."""
    if kind in PERSON_KINDS and not str(subject.get("name") or "").strip():
        return [{"field": f"{prefix}.name", "message": "Enter the person's name"}]
    if kind in PLACE_KINDS and not str(subject.get("label") or "").strip():
        what = "place" if kind == "place" else "problem's location"
        return [{"field": f"{prefix}.label", "message": f"Enter the {what}"}]
    return []


def link_subject(
    session: Session,
    *,
    case_id: int,
    area_id: str,
    kind: str,
    subject: dict[str, Any],
    now: datetime,
) -> CaseSubject:
    """Find the area's record of the person or place (or make one) and link it to the case."""
    if kind in PERSON_KINDS:
        person = _person(session, area_id, subject, now)
        link = CaseSubject(case_id=case_id, person_id=person.id, part=kind, added_at=now)
    else:
        place = _place(session, area_id, subject, now)
        link = CaseSubject(case_id=case_id, place_id=place.id, part=kind, added_at=now)
    same = (
        CaseSubject.person_id == link.person_id
        if link.person_id is not None
        else CaseSubject.place_id == link.place_id
    )
    exists = session.exec(
        select(CaseSubject.id).where(CaseSubject.case_id == case_id, CaseSubject.part == kind, same)
    ).first()
    if exists is not None:
        raise InvalidInput("That person or place is already on this case.", field="data.name")
    session.add(link)
    session.flush()
    return link


def _person(session: Session, area_id: str, subject: dict[str, Any], now: datetime) -> Person:
    name = str(subject["name"]).strip()
    dob = subject.get("date_of_birth")
    if isinstance(dob, str):
        dob = date.fromisoformat(dob) if dob else None
    key = person_key(name, dob)
    found = session.exec(
        select(Person)
        .where(Person.area_id == area_id, Person.match_key == key)
        .order_by(col(Person.id))
    ).first()
    if found is not None:
        return found
    person = Person(area_id=area_id, name=name, date_of_birth=dob, match_key=key, created_at=now)
    session.add(person)
    session.flush()
    return person


def _place(session: Session, area_id: str, subject: dict[str, Any], now: datetime) -> Place:
    label = str(subject["label"]).strip()
    postcode = (str(subject.get("postcode") or "").strip().upper()) or None
    key = place_key(label, postcode)
    found = session.exec(
        select(Place)
        .where(Place.area_id == area_id, Place.match_key == key)
        .order_by(col(Place.id))
    ).first()
    if found is not None:
        return found
    place = Place(area_id=area_id, label=label, postcode=postcode, match_key=key, created_at=now)
    session.add(place)
    session.flush()
    return place


def subjects_of(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The case's people and places, in the order they were added."""
    out = []
    for link, person, place in case_subjects(session, case_id):
        if person is not None:
            out.append(
                {
                    "part": link.part,
                    "person": person.id,
                    "name": person.name,
                    "date_of_birth": person.date_of_birth.isoformat()
                    if person.date_of_birth
                    else None,
                }
            )
        elif place is not None:
            out.append(
                {
                    "part": link.part,
                    "place": place.id,
                    "label": place.label,
                    "postcode": place.postcode,
                }
            )
    return out


def person_on_case(session: Session, case_id: int, part: str, person_id: int | None) -> int | None:
    """The given person if they are on the case in that part; with none given, the case's
    first person in that part (None if it has none)."""
    stmt = select(CaseSubject.person_id).where(
        CaseSubject.case_id == case_id,
        CaseSubject.part == part,
        col(CaseSubject.person_id).is_not(None),
    )
    if person_id is not None:
        stmt = stmt.where(CaseSubject.person_id == person_id)
    return session.exec(stmt.order_by(col(CaseSubject.id))).first()


def on_other_cases(session: Session, person_id: int, part: str, case_id: int) -> bool:
    """Whether the person is on another case in the same part (a repeat victim)."""
    found = session.exec(
        select(CaseSubject.id).where(
            CaseSubject.person_id == person_id,
            CaseSubject.part == part,
            CaseSubject.case_id != case_id,
        )
    ).first()
    return found is not None
