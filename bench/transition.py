"""What one trigger costs beside one bare commit, on SQLite and PostgreSQL.

Targets (issue 15): a trigger with its commit costs at most 1.5x one bare commit of a one-row
update on the same database, and less than SpiffWorkflow's persisted step in the same run.

For each database this opens a fresh migrated database, adds a contact for Leicester and
submits N applications. Then, case by case, it times

  bare     a new session, `UPDATE case_record SET updated_at = ... WHERE id = ...`, commit
  trigger  a new session, `engine.machine.fire_trigger(..., trigger="acknowledge")`, which
           commits inside
  jag      the same for a JAG case event (`add_action` on an accepted JAG case: the action
           row, its own deadline, the audit row and the case's version), beside them in the
           same run

  replay   the exact statements that trigger ran (captured with a `before_cursor_execute`
           listener), sent by the raw driver in one transaction to a twin database set up
           the same way (same ids), so each meets the rows it met the first time
  spiff    SpiffWorkflow's persisted step (bench/peers/spiff_step.py), when the optional
           `peers` dependencies are installed; otherwise a line says it was skipped

on the same engine from `engine.db.make_engine`, so both pay the same commit (on SQLite:
WAL, synchronous=FULL, BEGIN IMMEDIATE; on PostgreSQL: the server's fsync). The two are
interleaved, alternating which goes first, so drift in the machine's load hits both alike.
Times include opening and closing the session, as a request would. The clock moves on a
second before every operation, so each UPDATE writes a new value: SQLite skips writing a row
whose new content is identical to the old, and a commit with nothing written never reaches
the disk, which would make the bare commit look cheaper than any real one.

    .venv/bin/python bench/transition.py                 # both databases, 500 cases each
    .venv/bin/python bench/transition.py --db sqlite --iterations 100
    .venv/bin/python bench/transition.py --quick

This prints numbers and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from _ceilings import (
    capture,
    raw_postgres,
    raw_sqlite,
    record,
    replay_postgres,
    replay_sqlite,
)
from _common import (
    PG_URL,
    Database,
    chosen,
    durability,
    fresh_database,
    load_line,
    machine_line,
    server_version,
    stats_ms,
)
from peers import spiff_step
from sqlalchemy import func, update
from sqlmodel import select

from engine.access import Actor, load_actor
from engine.clock import FixedClock
from engine.db import SessionFactory, make_session_factory
from engine.machine import fire_trigger
from engine.models import Case, User
from engine.services.applications import ApplicationIn
from engine.services.intake import submit_application
from engine.services.staff import add_user
from workflows.jag_case.models import JagAction
from workflows.jag_case.services import refer

CEILING = 1.5
TRIGGER = "acknowledge"
JAG_TRIGGER = "add_action"
# Monday 2 March 2026, 10:00 UTC, as in the tests.
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def application(today: date, n: int) -> ApplicationIn:
    """A victim's application with three incidents, each reported to the police next day."""
    incidents = []
    for i in range(3):
        happened = today - timedelta(days=20 + 7 * i)
        incidents.append(
            {
                "date": happened.isoformat(),
                "description": f"Incident {i + 1}: shouting at night.",
                "reports": [
                    {
                        "agency": "police",
                        "reported_date": (happened + timedelta(days=1)).isoformat(),
                        "reference": f"PR{n}-{i + 1}",
                    }
                ],
            }
        )
    return ApplicationIn.model_validate(
        {
            "locality": "leicester",
            "consent_to_share": True,
            "declaration": True,
            "applicant": {
                "name": f"Victim {n}",
                "email": f"victim{n}@example.org",
                "role": "victim",
            },
            "incidents": incidents,
        }
    )


def set_up(factory: SessionFactory, clock: FixedClock, count: int) -> tuple[Actor, list[Any]]:
    """A Leicester contact, and `count` submitted cases as (reference, id)."""
    with factory() as session:
        add_user(
            session,
            clock=clock,
            email="contact@example.org",
            name="Casey Contact",
            role="contact",
            locality="leicester",
        )
        user = session.exec(select(User).where(User.email == "contact@example.org")).one()
        actor = load_actor(session, user)
    cases = []
    for n in range(count):
        with factory() as session:
            app = application(clock.today(), n)
            done = submit_application(session, clock=clock, application=app)
        cases.append((done.reference, done.case_id))
    return actor, cases


def set_up_jag(factory: SessionFactory, clock: FixedClock, count: int) -> list[str]:
    """`count` JAG cases referred and accepted in Leicester, by its JAG chair."""
    with factory() as session:
        add_user(
            session,
            clock=clock,
            email="jag@example.org",
            name="Jo Chair",
            role="jag_chair",
            locality="leicester",
        )
        user = session.exec(select(User).where(User.email == "jag@example.org")).one()
        chair = load_actor(session, user)
    refs = []
    for n in range(count):
        with factory() as session:
            case = refer(
                session,
                clock=clock,
                actor=chair,
                area_id="llr",
                locality_id="leicester",
                subject_kind="victim",
                subject={"name": f"Victim {n}", "date_of_birth": "1970-01-01"},
                reason="Targeted harassment.",
                agencies=["Police"],
            )
            fire_trigger(
                session,
                clock=clock,
                case_ref=case.reference,
                trigger="accept",
                data={},
                actor=chair,
                expected_version=1,
            )
            refs.append(case.reference)
    return refs


def jag_action(today: date) -> dict[str, Any]:
    return {
        "action": "Visit the victim with a housing officer",
        "owner": "PC Hall",
        "agency": "Police",
        "due_on": (today + timedelta(days=14)).isoformat(),
    }


def timed(action: Callable[[Any], None], arg: Any) -> float:
    start = time.perf_counter()
    action(arg)
    return time.perf_counter() - start


def run(db: Database, twin: Database, iterations: int, warmup: int) -> dict[str, Any]:
    clock = FixedClock(START)
    factory = make_session_factory(db.engine)
    started = time.perf_counter()
    actor, cases = set_up(factory, clock, iterations + warmup)
    jag_refs = set_up_jag(factory, clock, iterations + warmup)
    with factory() as session:
        chair = load_actor(
            session, session.exec(select(User).where(User.email == "jag@example.org")).one()
        )
    setup_s = time.perf_counter() - started
    twin_cases = set_up(make_session_factory(twin.engine), FixedClock(START), len(cases))[1]
    if [c[1] for c in twin_cases] != [c[1] for c in cases]:
        raise RuntimeError("the twin database's case ids differ: the replay would miss")
    raw = raw_sqlite(twin.path) if twin.kind == "sqlite" else raw_postgres(twin.url, twin.schema)
    replay = replay_sqlite if twin.kind == "sqlite" else replay_postgres
    peer = spiff_step.available()
    if peer:
        spiff_step.set_up(db.engine, len(cases))
    before = load_line()

    def bare(case_id: int) -> None:
        clock.advance(seconds=1)
        with factory() as session:
            session.execute(
                update(Case)
                .where(Case.id == case_id)  # type: ignore[arg-type]
                .values(updated_at=clock.now())
            )
            session.commit()

    last: list[Any] = [None]  # the statements of the latest trigger

    def trigger(reference: str) -> None:
        clock.advance(seconds=1)
        with capture(db.engine) as last[0], factory() as session:
            fire_trigger(
                session,
                clock=clock,
                case_ref=reference,
                trigger=TRIGGER,
                data=None,
                actor=actor,
                expected_version=1,
            )

    def jag(reference: str) -> None:
        clock.advance(seconds=1)
        with factory() as session:
            fire_trigger(
                session,
                clock=clock,
                case_ref=reference,
                trigger=JAG_TRIGGER,
                data=jag_action(clock.today()),
                actor=chair,
                expected_version=2,
            )

    bare_s: list[float] = []
    trigger_s: list[float] = []
    jag_s: list[float] = []
    replay_s: list[float] = []
    spiff_s: list[float] = []
    statements = 0
    for i, (reference, case_id) in enumerate(cases):
        # Each goes first in turn, so drift in the machine's load hits all three alike.
        steps = [("b", bare, case_id), ("t", trigger, reference), ("j", jag, jag_refs[i])]
        turn = steps[i % 3 :] + steps[: i % 3]
        took = {key: timed(action, arg) for key, action, arg in turn}
        b, t, j = took["b"], took["t"], took["j"]
        captured = last[0]
        r = replay(raw, captured)
        p = spiff_step.timed_step(db.engine, case_id, i + 1) if peer else 0.0
        if i >= warmup:
            bare_s.append(b)
            trigger_s.append(t)
            jag_s.append(j)
            replay_s.append(r)
            spiff_s.append(p)
            statements = len(captured.statements)
    raw.close()

    with factory() as session:
        moved = session.exec(
            select(func.count()).select_from(Case).where(Case.state == "acknowledged")
        ).one()
    if moved != len(cases):
        raise RuntimeError(f"expected {len(cases)} acknowledged cases, found {moved}")
    with factory() as session:
        actions = session.exec(select(func.count()).select_from(JagAction)).one()
    if actions != len(jag_refs):
        raise RuntimeError(f"expected {len(jag_refs)} JAG actions, found {actions}")
    return {
        "setup_s": setup_s,
        "bare": stats_ms(bare_s),
        "trigger": stats_ms(trigger_s),
        "jag": stats_ms(jag_s),
        "replay": stats_ms(replay_s),
        "spiff": stats_ms(spiff_s) if peer else None,
        "statements": statements,
        "load": f"{before} before timing, {load_line()} after",
    }


def report(db: Database, result: dict[str, Any], iterations: int, warmup: int) -> None:
    bare, trig = result["bare"], result["trigger"]
    ratio = trig.median / bare.median
    verdict = "within" if ratio <= CEILING else "OVER"
    print(f"\n== {db.kind}: {server_version(db)}")
    print(f"   {durability(db)}")
    print(
        f"   {iterations} cases timed after {warmup} warm-up; set-up (submit "
        f"{iterations + warmup} applications) took {result['setup_s']:.1f} s"
    )
    jag = result["jag"]
    rows = [
        ("bare commit (1-row UPDATE)", bare),
        (f"fire_trigger({TRIGGER})", trig),
        (f"fire_trigger({JAG_TRIGGER}), JAG", jag),
    ]
    rows.append((f"replay, raw driver ({result['statements']} stmts)", result["replay"]))
    if result["spiff"] is not None:
        rows.append(("SpiffWorkflow persisted step", result["spiff"]))
    print(f"   {'operation':<34}{'n':>6}{'median ms':>12}{'p95 ms':>10}{'mean ms':>10}")
    for label, s in rows:
        print(f"   {label:<34}{s.n:>6}{s.median:>12.3f}{s.p95:>10.3f}{s.mean:>10.3f}")
    print(
        f"   ratio trigger/bare (median): {ratio:.2f}x   ceiling {CEILING:.1f}x   -> {verdict}"
        f"   (p95 ratio {trig.p95 / bare.p95:.2f}x, for context)"
    )
    print(f"   ratio JAG {JAG_TRIGGER}/bare (median): {jag.median / bare.median:.2f}x")
    print(f"   {result['load']}")
    name = f"transition.py {db.kind}"
    record(
        name,
        "JAG workflow step, median",
        jag.median,
        "ms",
        "bare commit",
        bare.median,
        jag.median / bare.median,
        f"<= {CEILING}x",
        jag.median / bare.median <= CEILING,
    )
    record(
        name,
        "workflow step, median",
        trig.median,
        "ms",
        "bare commit",
        bare.median,
        ratio,
        f"<= {CEILING}x",
        ratio <= CEILING,
    )
    rep = result["replay"].median
    record(
        name,
        "workflow step, median",
        trig.median,
        "ms",
        "raw replay of its SQL",
        rep,
        trig.median / rep,
        "(ceiling: no target)",
        None,
    )
    if result["spiff"] is None:
        print("   SpiffWorkflow peer skipped: not installed (pip install -e '.[peers]')")
        return
    peer = result["spiff"].median
    record(
        name,
        "workflow step, median",
        trig.median,
        "ms",
        "SpiffWorkflow step",
        peer,
        trig.median / peer,
        "< 1.0x",
        trig.median < peer,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--iterations", type=int, default=500, help="cases timed per database")
    parser.add_argument("--warmup", type=int, default=20, help="untimed cases first")
    parser.add_argument("--quick", action="store_true", help="50 cases, 5 warm-up")
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    if args.quick:
        args.iterations, args.warmup = 50, 5
    print(f"bench/transition.py: trigger + commit vs bare commit. {machine_line()}")
    summary = []
    for kind in chosen(args.db):
        with fresh_database(kind, args.pg_url) as db, fresh_database(kind, args.pg_url) as twin:
            result = run(db, twin, args.iterations, args.warmup)
            report(db, result, args.iterations, args.warmup)
            summary.append((kind, result["trigger"].median / result["bare"].median))
    print("\nsummary: " + "; ".join(f"{k} {r:.2f}x (ceiling {CEILING:.1f}x)" for k, r in summary))


if __name__ == "__main__":
    main()
