"""Case export (issue 14): every case a manager may read, as CSV, from the engine, the
manager's page and back in through the Sentinel import."""

from __future__ import annotations

import csv
import io
import shutil
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from engine.access import Actor, Grant
from engine.clock import FixedClock
from engine.db import make_engine, make_session_factory
from engine.errors import InvalidInput, NotAllowed
from engine.migrate import upgrade
from engine.models import Report
from engine.services.case_export import BASE_COLUMNS, export_cases
from engine.services.org import sync_areas
from engine.services.sentinel_import import import_sentinel
from tests.conftest import on_postgres
from tests.factories import make_case
from tests.integration.test_staff_managers import signed_in
from tests.integration.test_staff_managers import staff as staff  # the fixture

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
AREA_MANAGER = Actor(None, "area manager", (Grant("manager", "llr", None),))
MELTON_MANAGER = Actor(None, "melton manager", (Grant("manager", "llr", "melton"),))
SHARED = ("incident_on", "reported_on", "agency", "agency_reference", "complainant_key")


def as_csv(session: Session, actor: Actor, clock: FixedClock, **kwargs: Any) -> list[dict]:
    export = export_cases(session, actor=actor, today=clock.today(), **{"since": None} | kwargs)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(export.headings)
    writer.writerows(["" if v is None else v for v in row] for row in export.rows)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_a_manager_exports_the_cases_of_the_localities_they_manage(
    session: Session, clock: FixedClock
) -> None:
    leicester = make_case(session, clock, email="a@example.org").reference
    melton = make_case(session, clock, email="b@example.org", locality="melton").reference
    every = as_csv(session, AREA_MANAGER, clock)
    assert [r["reference"] for r in every] == [leicester, melton]
    row = every[0]
    assert list(row)[: len(BASE_COLUMNS)] == list(BASE_COLUMNS)
    where = (row["workflow"], row["area"], row["locality"])
    assert where == ("community_trigger", "llr", "leicester")
    assert row["received_on"] == clock.today().isoformat() and row["closed_on"] == ""
    assert row["agency"] == "police" and row["agency_reference"] == "PR1"
    assert row["complainant_key"].startswith("email:")
    # The Community Trigger's own columns, through its package's export hook.
    assert row["application_on"] == clock.today().isoformat() and row["hate_incident"] == "no"
    assert row["threshold_met"] in ("yes", "no")
    assert not any("ethnic" in c or "equalit" in c or "religion" in c for c in row)
    assert [r["reference"] for r in as_csv(session, MELTON_MANAGER, clock)] == [melton]


def test_since_keeps_the_cases_changed_on_or_after_the_day(
    session: Session, clock: FixedClock
) -> None:
    old = make_case(session, clock, email="a@example.org").reference
    clock.advance(days=10)
    new = make_case(session, clock, email="b@example.org").reference
    since = clock.today() - timedelta(days=1)
    assert [r["reference"] for r in as_csv(session, AREA_MANAGER, clock, since=since)] == [new]
    assert len(as_csv(session, AREA_MANAGER, clock)) == 2 and old


def test_only_managers_export_and_not_from_the_future(session: Session, clock: FixedClock) -> None:
    contact = Actor(None, "contact", (Grant("contact", "llr", "leicester"),))
    with pytest.raises(NotAllowed):
        export_cases(session, actor=contact, since=None, today=clock.today())
    with pytest.raises(InvalidInput, match="today or in the past"):
        export_cases(
            session, actor=AREA_MANAGER, since=clock.today() + timedelta(1), today=clock.today()
        )


@pytest.fixture
def empty_engine(_template: dict[str, str], tmp_path: Path) -> Iterator[Engine]:
    """A second database, migrated and holding only the areas' organisation."""
    if on_postgres():
        schema = f"ct_empty_{uuid.uuid4().hex[:10]}"
        admin = make_engine(_template["url"])
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(_template["url"], schema=schema)
        upgrade(engine)
    else:
        shutil.copyfile(_template["path"], tmp_path / "empty.db")
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with make_session_factory(engine)() as s:
        sync_areas(s)
    yield engine
    engine.dispose()
    if on_postgres():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_an_export_imported_into_an_empty_database_keeps_the_fields_both_share(
    session: Session, clock: FixedClock, empty_engine: Engine
) -> None:
    for n, locality in enumerate(("leicester", "melton", "blaby")):
        make_case(session, clock, email=f"p{n}@example.org", locality=locality)
    make_case(session, clock, email="p0@example.org", days_ago=60)
    exported = as_csv(session, AREA_MANAGER, clock)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(exported[0]))
    writer.writeheader()
    writer.writerows(exported)
    with make_session_factory(empty_engine)() as other:
        result = import_sentinel(other, io.StringIO(out.getvalue()), clock=clock)
        assert result.bad == [] and result.added == 4
        assert "state" in result.ignored_columns
        stored = {r.sentinel_ref: r for r in other.exec(select(Report)).all()}
    assert set(stored) == {row["reference"] for row in exported}
    for row in exported:
        report = stored[row["reference"]]
        assert report.locality_id == row["locality"]
        got = {
            "incident_on": report.incident_on.isoformat(),
            "reported_on": report.reported_on.isoformat(),
            "agency": report.agency,
            "agency_reference": report.reference,
            "complainant_key": report.complainant_key,
        }
        assert got == {k: row[k] for k in SHARED}
    # The same person's two cases are one complainant in the other database too.
    keys = [stored[r["reference"]].complainant_key for r in exported]
    assert keys[0] == keys[3] and len(set(keys)) == 3


def test_the_manager_page_downloads_the_csv_and_explains_a_bad_date(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    ref = make_case(session, clock, email="a@example.org").reference
    manager = signed_in(app, session, clock, staff["manager"].email)
    page = manager.get("/staff/export")
    assert "Export cases" in page.text and 'action="/staff/export/cases.csv"' in page.text
    download = manager.get("/staff/export/cases.csv?since-day=1&since-month=3&since-year=2026")
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [r["reference"] for r in rows] == [ref]
    bad = manager.get("/staff/export/cases.csv?since-day=31&since-month=2&since-year=2026", 422)
    assert "There is a problem" in bad.text and "Enter a real date to export from" in bad.text
    melton = signed_in(app, session, clock, "melton.manager@example.org")
    assert list(csv.DictReader(io.StringIO(melton.get("/staff/export/cases.csv").text))) == []
    contact = signed_in(app, session, clock, staff["contact"].email)
    contact.get("/staff/export/cases.csv", 403)
    contact.get("/staff/export", 403)


def test_a_workflow_package_adds_its_own_columns_through_the_export_hook(
    session: Session, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a JAG package will do: its columns join the heading, filled for its cases only."""
    from dataclasses import replace

    from engine import registry

    ref = make_case(session, clock).reference
    asked: list[list[int]] = []

    def values(_session: Session, case_ids: list[int]) -> dict[int, dict[str, Any]]:
        asked.append(case_ids)
        return {
            i: {"risk": "high", "stage": "warning letter", "other": "not a column"}
            for i in case_ids
        }

    ct = registry.packages()["community_trigger"]
    jag = replace(ct, definition=replace(ct.definition, name="jag_case"),
                  export_columns=("risk", "stage"), export_values=values)  # fmt: skip
    monkeypatch.setattr(registry, "packages", lambda: {"community_trigger": ct, "jag_case": jag})
    rows = as_csv(session, AREA_MANAGER, clock)
    assert list(rows[0])[-2:] == ["risk", "stage"] and "other" not in rows[0]
    assert rows[0]["reference"] == ref and (rows[0]["risk"], rows[0]["stage"]) == ("", "")
    assert asked == []  # no JAG case: the hook is not called
    monkeypatch.setattr(
        registry, "packages", lambda: {"community_trigger": replace(ct, export_values=values,
                                       export_columns=("risk", "stage"))}
    )  # fmt: skip
    rows = as_csv(session, AREA_MANAGER, clock)
    assert (rows[0]["risk"], rows[0]["stage"]) == ("high", "warning letter") and len(asked) == 1
