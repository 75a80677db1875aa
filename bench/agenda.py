"""Building a JAG meeting's agenda for a locality with 5,000 open JAG cases.

Acceptance (issue 14): "Building an agenda for a locality with 5,000 open JAG cases: at
most 10 times the time of the single query that reads those cases' ids (measured in the
same run)".

For each database this opens a fresh migrated database and bulk loads `--cases` open JAG
cases in Leicester (and `--cases / 2` in Melton, which the agenda must pass over): 1 in 20
still referred, 1 in 10 high risk, 1 in 5 due for review, 1 in 4 with two actions (one
overdue), a person on every case, 1 in 50 flagged as a repeat domestic-abuse victim; then
one meeting of the previous month whose minutes set actions still open (the carry-over).

Timed, interleaved, `--rounds` times each, every run in a new session:
- the ceiling: the one query that reads the ids of the locality's open JAG cases
  (`workflows.jag_case.agenda.open_case_ids_query`), all rows fetched;
- the figure: `agenda.propose` for the next meeting, which reads the live data (those
  cases, their overdue actions, the last meeting's carried actions, Community Trigger
  reviews, the subjects' names) and lays out the items in order.
Medians are compared. Building the agenda rows and the papers reminders (create_meeting)
is timed once as well and printed for information.

    .venv/bin/python bench/agenda.py                   # both databases, 5,000 cases
    .venv/bin/python bench/agenda.py --db sqlite --rounds 5

This prints numbers and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from _ceilings import record
from _common import PG_URL, chosen, fresh_database, load_line, machine_line, server_version
from sqlmodel import select

from engine import bulk
from engine.access import Actor, Grant
from engine.clock import FixedClock
from engine.db import make_session_factory
from engine.models import Case, CaseSubject, Person
from workflows.jag_case import agenda, meetings
from workflows.jag_case.meeting_models import (
    JagAgendaItem,
    JagDomesticAbuse,
    JagMeeting,
    JagMinute,
    JagMinuteAction,
)
from workflows.jag_case.models import JagAction, JagCase

RATIO_TARGET = 10.0
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
HELD_ON = date(2026, 3, 10)
CHUNK = 500


def _case(i: int, locality: str) -> Case:
    referred = i % 20 == 0
    return Case(
        reference=f"JAG-2026-{i + 1:06d}",
        area_id="llr",
        locality_id=locality,
        workflow_name="jag_case",
        workflow_version=1,
        state="referred" if referred else "active",
        channel="staff",
        submitted_at=NOW,
        updated_at=NOW,
        application_on=TODAY,
        consent_to_share=False,
        declaration=False,
        status_token_hash=f"{i:064x}",
        threshold_assessment={},
    )


def load(factory, cases: int) -> None:  # type: ignore[no-untyped-def]
    localities = ["leicester"] * cases + ["melton"] * (cases // 2)
    with factory() as s:
        for start in range(0, len(localities), CHUNK):
            part = list(enumerate(localities))[start : start + CHUNK]
            ids = bulk.insert_models_returning_ids(s, [_case(i, loc) for i, loc in part])
            people = bulk.insert_models_returning_ids(
                s,
                [
                    Person(
                        area_id="llr", name=f"Person {i}", match_key=f"person {i}|", created_at=NOW
                    )
                    for i, _ in part
                ],
            )
            rows, links, actions, flags = [], [], [], []
            for (i, _), case_id, person_id in zip(part, ids, people, strict=True):
                rows.append(
                    JagCase(
                        case_id=case_id,
                        subject_kind="victim",
                        referral_reason="Bench referral",
                        agencies=["Police"],
                        review_on=HELD_ON - timedelta(days=1)
                        if i % 5 == 2
                        else HELD_ON + timedelta(days=20),
                        risk_band="high" if i % 10 == 1 else "standard",
                    )
                )
                links.append(
                    CaseSubject(case_id=case_id, person_id=person_id, part="victim", added_at=NOW)
                )
                if i % 4 == 3:
                    for seq, due in (
                        (1, TODAY - timedelta(days=3)),
                        (2, HELD_ON + timedelta(days=30)),
                    ):
                        actions.append(
                            JagAction(
                                case_id=case_id,
                                seq=seq,
                                action="Bench action",
                                owner="Officer",
                                agency="Police",
                                due_on=due,
                                created_at=NOW,
                                updated_at=NOW,
                            )
                        )
                if i % 50 == 7:
                    flags.append(
                        JagDomesticAbuse(case_id=case_id, repeat_count=i % 13, updated_at=NOW)
                    )
            for batch in (rows, links, actions, flags):
                if batch:
                    bulk.insert_models(s, *batch)
        # Last month's meeting, whose minutes set actions that are still open (_carried).
        s.add(
            JagMeeting(
                area_id="llr",
                locality_id="leicester",
                held_on=date(2026, 2, 10),
                starts_at="10:00",
                length_minutes=120,
                place="City Hall",
                invited=["Police"],
                papers_due_on=date(2026, 2, 6),
                status="papers_sent",
                created_at=NOW,
            )
        )
        s.commit()
        s.connection().exec_driver_sql("ANALYZE")
        s.commit()


def _carried(factory) -> None:  # type: ignore[no-untyped-def]
    """Minute actions of last month's meeting on 1 in 10 Leicester cases with actions."""
    with factory() as s:
        last = s.exec(select(JagMeeting)).one()
        item = JagAgendaItem(
            meeting_id=last.id, position=1, kind="other_business", title="AOB", slot_minutes=10
        )
        s.add(item)
        s.flush()
        minute = JagMinute(meeting_id=last.id, item_id=item.id, decision="Agreed", recorded_at=NOW)
        s.add(minute)
        s.flush()
        cases = s.exec(
            select(JagAction.case_id).where(JagAction.seq == 2).order_by(JagAction.case_id)
        ).all()
        bulk.insert_models(
            s,
            *[
                JagMinuteAction(minute_id=minute.id, meeting_id=last.id, case_id=c, seq=2)
                for c in cases[::10]
            ],
        )
        s.commit()


def run(kind: str, cases: int, rounds: int) -> None:
    with fresh_database(kind, PG_URL) as db:
        print(f"\n## {server_version(db)}: {cases:,} open JAG cases in Leicester")
        factory = make_session_factory(db.engine)
        began = time.perf_counter()
        load(factory, cases)
        _carried(factory)
        print(f"  loaded in {time.perf_counter() - began:.1f} s")
        meeting = JagMeeting(
            id=None,
            area_id="llr",
            locality_id="leicester",
            held_on=HELD_ON,
            starts_at="10:00",
            length_minutes=120,
            place="City Hall",
            invited=["Police"],
            papers_due_on=date(2026, 3, 6),
            created_at=NOW,
        )
        ids_query = agenda.open_case_ids_query("llr", "leicester")
        query_times, build_times, items = [], [], 0
        for _ in range(rounds):
            with factory() as s:
                t = time.perf_counter()
                found = s.exec(ids_query).all()
                query_times.append(time.perf_counter() - t)
            with factory() as s:
                t = time.perf_counter()
                items = len(agenda.propose(s, meeting))
                build_times.append(time.perf_counter() - t)
        assert len(found) == cases, len(found)
        q, b = statistics.median(query_times), statistics.median(build_times)
        print(
            f"  ids query: median {q * 1000:.2f} ms; "
            f"agenda: median {b * 1000:.2f} ms, {items:,} items"
        )
        chair = Actor(
            user_id=None, label="bench chair", grants=(Grant("jag_chair", "llr", "leicester"),)
        )
        with factory() as s:
            t = time.perf_counter()
            meetings.create_meeting(
                s,
                clock=FixedClock(NOW),
                actor=chair,
                area_id="llr",
                locality_id="leicester",
                held_on=HELD_ON,
            )
            print(
                f"  create_meeting (agenda rows and papers reminders written): "
                f"{(time.perf_counter() - t) * 1000:.1f} ms, once"
            )
        record(
            "agenda.py",
            f"build agenda, {cases:,} open cases ({kind})",
            b * 1000,
            "ms",
            "ids query",
            q * 1000,
            b / q,
            f"ratio <= {RATIO_TARGET:.0f}",
            b / q <= RATIO_TARGET,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(machine_line())
    print(load_line())
    for kind in chosen(args.db):
        run(kind, args.cases, args.rounds)


if __name__ == "__main__":
    main()
