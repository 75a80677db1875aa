"""`ctengine import sentinel`: every row checked, all or nothing, once only, and counted by the
threshold check and the second-report prompt (issue 14)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from engine.access import Actor, Grant
from engine.clock import FixedClock
from engine.errors import InvalidInput
from engine.models import Report
from engine.models.people import Person, Place
from engine.person_reports import load_person_reports
from engine.sentinel_format import NAMES, open_lines
from engine.services.sentinel_import import Imported, import_sentinel
from engine.threshold import assess
from workflows.community_trigger.services.complaints import ComplaintIn, record_complaint

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "docs" / "sentinel-sample.csv"
HEADER = ",".join(NAMES)
FIRST = date(2025, 3, 1)


def row(n: int, **change: str) -> str:
    """Record n: person n // 10 reports incident n // 2 on a day in the year before today."""
    person = n // 10
    on = FIRST + timedelta(days=n % 360)
    values = {
        "reference": f"SEN-{n:07d}",
        "incident_reference": f"INC-{n // 2:07d}",
        "locality": ("leicester", "blaby", "melton")[n % 3],
        "incident_on": on.isoformat(),
        "reported_on": (on + timedelta(days=n % 5)).isoformat(),
        "agency": ("police", "council", "housing")[n % 3],
        "agency_reference": f"AG{n}",
        "complainant_name": f"Person {person}",
        "complainant_email": f"person{person}@example.org",
        "complainant_postcode": "",
        "complainant_key": "",
        "person_reference": f"PER-{person}" if n % 4 == 0 else "",
        "person_date_of_birth": "1980-01-02" if n % 4 == 0 else "",
        "place_reference": f"LOC-{n % 50}" if n % 5 == 0 else "",
        "place_label": f"Place {n % 50}" if n % 5 == 0 else "",
        "place_postcode": "",
        "place_uprn": "",
    } | change
    return ",".join(values[name] for name in NAMES)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def load(session: Session, clock: FixedClock, path: Path, **kwargs: object) -> Imported:
    return import_sentinel(session, open_lines(str(path)), clock=clock, **kwargs)  # type: ignore[arg-type]


def reports(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Report)).one()[0]  # type: ignore[call-overload]


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()[0]  # type: ignore[call-overload]


def test_the_sample_file_in_docs_loads_with_its_people_and_places(
    session: Session, clock: FixedClock
) -> None:
    result = load(session, clock, SAMPLE)
    assert result.bad == [] and result.rows == 5
    assert (result.added, result.people_added, result.places_added) == (5, 1, 2)
    assert reports(session) == 5
    stored = session.exec(select(Report).where(Report.sentinel_ref == "SEN-000101")).one()[0]
    person = session.get(Person, stored.person_id)
    place = session.get(Place, stored.place_id)
    assert stored.case_id is None and stored.channel == "sentinel"
    assert (stored.area_id, stored.locality_id, stored.agency) == ("llr", "leicester", "police")
    assert stored.incident_key == "sentinel:llr/INC-5001" and stored.reference == "LP-26-0041"
    assert person is not None and (person.name, person.sentinel_ref) == ("Amira Patel", "PER-77")
    assert person.date_of_birth == date(1984, 3, 12)
    assert place is not None and place.uprn == "100030581234" and place.postcode == "LE2 1AB"


def test_each_bad_row_is_reported_with_its_line_and_reason_and_nothing_loads(
    session: Session, clock: FixedClock, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "bad.csv",
        [
            row(1),
            row(2, reported_on="2026-13-01"),
            row(3, agency="fire"),
            row(4, reference="SEN-0000001"),
            row(5, complainant_email="", complainant_name="Someone"),
            row(6, incident_on="2026-02-10", reported_on="2026-02-01"),
            row(7, locality="atlantis", incident_on="2026-04-01", reported_on="2026-04-01"),
            '"SEN-9",too,few',
            row(9, place_reference="LOC-1", place_label="", place_uprn="12a"),
            row(10, complainant_key="email:not-hex", complainant_email=""),
        ],
    )
    result = load(session, clock, path)
    assert [str(b) for b in result.bad] == [
        "line 3: reported_on '2026-13-01' is not a date (use YYYY-MM-DD)",
        "line 4: agency 'fire' is not one of council, police, health, housing, other",
        "line 5: reference 'SEN-0000001' is also on line 2",
        "line 6: the complainant cannot be matched: give complainant_email, or "
        "complainant_name with complainant_postcode",
        "line 7: reported_on 2026-02-01 is before incident_on 2026-02-10",
        "line 8: locality 'atlantis' is not one of ours (e.g. leicester); incident_on "
        "2026-04-01 is in the future; reported_on 2026-04-01 is in the future",
        "line 9: has 3 fields where the header has 17",
        "line 10: place_uprn '12a' is not a number; place_reference needs place_label",
        "line 11: complainant_key is not a key this service exports",
    ]
    assert result.rows == 10 and not result.loaded
    assert reports(session) == 0 and count(session, Person) == 0 and count(session, Place) == 0


def test_a_file_without_a_required_column_is_refused_at_its_header(
    session: Session, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "short.csv"
    path.write_text("reference,locality,incident_on\nSEN-1,leicester,2026-01-01\n")
    with pytest.raises(InvalidInput, match="line 1: the header has no column reported_on, agency"):
        load(session, clock, path)


@pytest.mark.slow
def test_100000_rows_with_3_bad_load_nothing_then_fixed_load_all_then_again_add_nothing(
    session: Session, clock: FixedClock, tmp_path: Path
) -> None:
    lines = [row(n) for n in range(100_000)]
    good = list(lines)
    bad_lines = {17: "reported_on", 50_001: "agency", 99_998: "locality"}  # file line numbers
    for line, column in bad_lines.items():
        value = {"reported_on": "2026-02-30", "agency": "", "locality": "nowhere"}[column]
        lines[line - 2] = row(line - 2, **{column: value})
    result = load(session, clock, write(tmp_path / "bad.csv", lines))
    assert [b.line for b in result.bad] == sorted(bad_lines)
    assert result.rows == 100_000 and reports(session) == 0 and count(session, Person) == 0

    seen: list[tuple[str, int]] = []
    fixed = write(tmp_path / "fixed.csv", good)
    result = load(session, clock, fixed, progress=lambda stage, n: seen.append((stage, n)))
    assert result.bad == [] and result.added == 100_000 and result.already == 0
    assert (result.people_added, result.places_added) == (10_000, 10)
    assert reports(session) == 100_000 and count(session, Person) == 10_000
    assert ("checked", 50_000) in seen and seen[-1] == ("loaded", 100_000)

    again = load(session, clock, fixed)
    assert (again.added, again.already, again.people_added, again.people_updated) == (
        0,
        100_000,
        0,
        0,
    )
    assert reports(session) == 100_000 and count(session, Person) == 10_000


def test_a_dry_run_counts_what_would_be_added_and_stores_nothing(
    session: Session, clock: FixedClock
) -> None:
    result = load(session, clock, SAMPLE, dry_run=True)
    assert (result.added, result.people_added, result.places_added) == (5, 1, 2)
    assert reports(session) == 0 and count(session, Person) == 0


def test_a_person_imported_again_with_a_new_name_is_updated_not_added(
    session: Session, clock: FixedClock, tmp_path: Path
) -> None:
    load(session, clock, write(tmp_path / "a.csv", [row(0)]))
    result = load(session, clock, write(tmp_path / "b.csv", [row(20, person_reference="PER-0")]))
    assert (result.added, result.people_added, result.people_updated) == (1, 0, 1)
    people = session.exec(select(Person)).all()
    assert [(p[0].name, p[0].sentinel_ref) for p in people] == [("Person 2", "PER-0")]
    linked = session.exec(select(Report.person_id).where(Report.person_id.is_not(None))).all()  # type: ignore[union-attr]
    assert len(linked) == 2


def test_imported_reports_count_for_the_threshold_and_the_second_report_prompt(
    session: Session, clock: FixedClock, tmp_path: Path, staff_actor: Actor
) -> None:
    today = clock.today()
    lines = [
        row(n, complainant_email="Val@Example.org", incident_reference=f"I{n}",
            incident_on=(today - timedelta(days=40 - n)).isoformat(),
            reported_on=(today - timedelta(days=39 - n)).isoformat())
        for n in range(3)
    ]  # fmt: skip
    load(session, clock, write(tmp_path / "val.csv", lines))
    facts = load_person_reports(session, "email:" + _sha("val@example.org"), today)
    assert [f.incident for f in facts] == ["sentinel:llr/I0", "sentinel:llr/I1", "sentinel:llr/I2"]
    from engine import registry

    rules = registry.locality_area("leicester").threshold
    assert assess(facts, application_date=today, rules=rules).met
    complaint = ComplaintIn(
        locality="leicester",
        name="Val Victim",
        email="val@example.org",
        incident_on=today,
        reported_on=today,
        agency="council",
        description="Shouting again.",
    )
    recorded = record_complaint(session, clock=clock, complaint=complaint, actor=staff_actor)
    assert recorded.second_report
    assert recorded.earlier == [today - timedelta(days=d) for d in (39, 38, 37)]


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:40]


@pytest.fixture
def staff_actor() -> Actor:
    return Actor(user_id=None, label="a contact", grants=(Grant("contact", "llr", "leicester"),))


def test_imported_reports_are_anonymised_with_the_complaint_register_and_stay_out(
    session: Session, clock: FixedClock, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from engine.services import retention

    path = write(tmp_path / "old.csv", [row(0), row(1)])  # reported in March 2025
    load(session, clock, path)
    # The register keeps complaints 24 months after the report: nothing is due yet...
    assert retention.apply_schedule(session, clock=clock).imported == 0
    later = FixedClock(datetime(2027, 3, 10, 12, tzinfo=UTC))
    assert retention.apply_schedule(session, clock=later).imported == 2
    kept = session.exec(select(Report).order_by(Report.id)).all()
    assert [
        (r[0].complainant_key, r[0].reporter, r[0].reference, r[0].person_id) for r in kept
    ] == [("anonymised", None, None, None)] * 2
    assert kept[0][0].place_id is not None and kept[0][0].sentinel_ref == "SEN-0000000"
    # ...and the same file again does not bring the people's reports back.
    assert load(session, later, path).added == 0
    assert retention.apply_schedule(session, clock=later).imported == 0


def test_a_person_imported_then_referred_to_the_jag_is_one_record(
    session: Session, clock: FixedClock, tmp_path: Path
) -> None:
    """Sentinel and a JAG referral fold a name the same way ("O'Brien", "Zoë"): the person
    imported is the person referred, one record with both cases' history on it."""
    from tests.jag_helpers import make_jag_staff
    from workflows.jag_case.services import refer

    person = {"person_reference": "PER-9", "person_date_of_birth": "1980-01-02"}
    zoe = row(0, complainant_name="Zoë O'Brien", **person)
    load(session, clock, write(tmp_path / "a.csv", [zoe]))
    [imported] = [p[0] for p in session.exec(select(Person)).all()]
    staff = make_jag_staff(session, clock)
    refer(
        session,
        clock=clock,
        actor=staff["partner"].actor,
        area_id="llr",
        locality_id="leicester",
        subject_kind="victim",
        subject={"name": "zoe  OBRIEN", "date_of_birth": "1980-01-02"},
        reason="Targeted by neighbours.",
        agencies=["Police"],
    )
    people = [p[0] for p in session.exec(select(Person)).all()]
    assert [p.id for p in people] == [imported.id]
