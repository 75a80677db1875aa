"""Each workflow numbers its own references: PREFIX-YYYY-NNNNNN, one counter per prefix and
year (issue 13); the prefix is the workflow package's, not the area's."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text

from engine import references, registry
from engine.clock import FixedClock
from engine.db import SessionFactory
from tests.factories import application_body
from workflows.community_trigger.services.applications import ApplicationIn
from workflows.community_trigger.services.intake import prepare_application, write_application


def test_each_prefix_counts_on_its_own(session_factory: SessionFactory) -> None:
    made = []
    with session_factory() as session:
        for prefix, year in (("CT", 2026), ("JAG", 2026), ("CT", 2026), ("JAG", 2026)):
            made.append(references.next_reference(session, prefix, year))
        made.append(references.next_reference(session, "CT", 2027))
        session.commit()
    assert made == [
        "CT-2026-000001",
        "JAG-2026-000001",
        "CT-2026-000002",
        "JAG-2026-000002",
        "CT-2027-000001",
    ]
    with session_factory() as session:
        rows = session.execute(
            text("SELECT prefix, year, last_number FROM reference_counter ORDER BY 1, 2")
        ).all()
    assert [tuple(r) for r in rows] == [("CT", 2026, 2), ("CT", 2027, 1), ("JAG", 2026, 2)]


def test_an_application_takes_its_workflows_prefix(
    session_factory: SessionFactory, clock: FixedClock, monkeypatch
) -> None:
    package = registry.package("community_trigger")
    assert package.reference_prefix == "CT"
    # The package says the prefix: changed there, the next application carries it.
    monkeypatch.setitem(
        registry.packages(), "community_trigger", replace(package, reference_prefix="ASB")
    )
    app = ApplicationIn.model_validate(application_body(today=clock.today()))
    with session_factory() as session:
        reference = write_application(session, prepare_application(app, clock=clock)).reference
        session.commit()
    assert reference == f"ASB-{clock.today().year}-000001"
