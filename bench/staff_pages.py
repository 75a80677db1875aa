"""The staff pages under load: "My work", a case page and Find a case, with 50,000 cases.

Acceptance (issue 5): "with 50,000 cases and 5 million reports loaded, 'My work' and a case
page each answer with p99 <= 200 ms at 16 connections on PostgreSQL, and sustain >= 3% of a
bare Starlette endpoint's rate measured in the same run."

    .venv/bin/python bench/staff_pages.py [--seconds 10] [--connections 16] [--reuse]
    .venv/bin/python bench/staff_pages.py --cases 2000 --reports 100000 --seconds 3   # quick
    .venv/bin/python bench/staff_pages.py --drop        # remove the schema --reuse kept

PostgreSQL only (`--pg-url`, else DATABASE_URL when it names PostgreSQL, else the local test
database). The data, in a schema of its own (`bench_<random>`, dropped at the end; with
`--reuse` a fixed `bench_staff_pages`, kept between runs and loaded only once):

- migrated with `engine.migrate.upgrade`; the demo organisation and users
  (`workflows.community_trigger.services.demo`): LLR's nine localities, a contact, JAG
  chair and CSP chair of Leicester, an appeal chair of Melton, a manager and an admin,
  and the five demo cases;
- 17 template cases, each driven through the real engine (`submit_application`, then
  `record_event` as the right person, on a fixed clock) to one point of the process: every
  open state, and closed by each route (resolved after monitoring, threshold not met and
  the appeal window passed, withdrawn, rejected, appeal not upheld);
- `--cases` copies of those templates (default 50,000), written with COPY: each copy has its
  template's party, incidents, reports, audit events, deadlines and recommendations, its own
  reference, locality (spread evenly over the nine), applicant and complainant key, and every
  date moved by a whole number of weeks (weekdays stay weekdays). About 97% are closed
  history; the open 3% have their latest event in the last six weeks, so their deadlines
  fall from about six weeks overdue to four weeks ahead;
- caseless agency reports (INSERT ... SELECT generate_series, report indexes built after)
  up to `--reports` in all (default 5,000,000): 8 per person over two years, and the first
  people are the cases' applicants (same complainant key), so each case's person also has
  agency reports. Then VACUUM ANALYZE.

The app (`web.app.create_app` with these settings) and a bare Starlette "hello" app each run
in uvicorn processes of their own (`--workers`, default 1, always the same number for both;
no access log) on a free 127.0.0.1 port.
Signed-in staff sessions are made through `engine.services.auth` (password, then a TOTP code
from the user's secret), one per connection, and sent as the session cookie. Then, from this
process, `--connections` keep-alive HTTP/1.1 clients (asyncio) load one server at a time.
First GET / on hello for `--seconds` (the load generator's own rate). Then six pages, each
measured for `--seconds` right after a `--seconds` run of the empty signed-in page with the
same sessions (its ceiling; other work on the machine comes and goes, so each page is
compared with the ceiling measured next to it), and after a 2 s warm-up of its own:

1. GET /staff ("My work") as the JAG chair of Leicester, and as the manager;
2. GET /staff/cases/<reference> as the JAG chair (200 Leicester references, half of them
   open) and as the manager (200 references from all localities), each connection walking
   the list from its own starting point;
3. GET /staff/cases ("Find a case", issue 10) as the JAG chair (their locality's newest 50)
   and as the manager walking 123 searches (a surname, a first name and the start of a
   surname, a surname and postcode district, a whole reference, its start and its number;
   overdue by next deadline, page 3 by reference, one state). The copies' applicants have
   24 x 40 first names and surnames, Leicester postcodes and street addresses, and their
   search words are copied into case_search_term as intake writes them.

For each page: its rate, p50 and p99, and the verdicts: rate / the rate of the empty signed-in
page (same sign-in check, staff layout and one query; `add_empty_page`, measured on the same
server with the same sessions just before the page) against the 50% floor, p99 against the
200 ms ceiling, and every answer a 200. The hello run comes first and shows the load
generator is not the bottleneck: it must reach 5x the fastest page's rate. This prints
numbers and asserts nothing; the exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _ceilings import record  # noqa: E402
from _common import (  # noqa: E402
    PG_URL,
    free_port,
    hello_app,
    http_get,
    http_load,
    load_line,
    machine_line,
    start_process_server,
    stats_ms,
    stop_server,
)

from engine.models.case import PLAN_ON_NEXT_SWEEP  # noqa: E402  (a sentinel, not a date)

RATE_FLOOR = 0.50  # of the empty signed-in page's rate, measured just before (issue 15)
EMPTY_PATH = "/staff/bench-empty"
# The load generator must reach this multiple of the fastest page's rate on a trivial server,
# or the figures measure the client rather than the app.
CLIENT_HEADROOM = 5.0
P99_CEILING_MS = 200.0
REUSED_SCHEMA = "bench_staff_pages"
OPEN_SHARE = 0.03
REPORTS_PER_PERSON = 8
REPORT_SPAN_DAYS = 730
# Templates are made on a fixed clock (a Monday), well before any copy's dates.
TEMPLATE_START = datetime(2022, 1, 10, 10, 0, tzinfo=UTC)
SECRET = os.environ.get("BENCH_SECRET") or secrets.token_hex(16)
CHAIR_EMAIL = "jag.chair@example.org"
MANAGER_EMAIL = "manager@example.org"


# --- the templates: one case per point of the process, made by the real engine ----------


@dataclass(frozen=True)
class Step:
    after_days: int
    event: str
    actor: str  # a key of DEMO_ACTORS
    data: Callable[[date], dict[str, Any]] | None = None


DEMO_ACTORS = {
    "contact": "contact@example.org",
    "chair": "jag.chair@example.org",
    "csp": "csp.chair@example.org",
    "appeal": "appeal.chair@example.org",
}


def _reasons(text: str) -> Callable[[date], dict[str, Any]]:
    return lambda _today: {"reasons": text}


def _meeting(today: date) -> dict[str, Any]:
    return {
        "held_on": today.isoformat(),
        "attendees": ["Police", "Council ASB team", "Housing provider", "Victim"],
        "victim_involvement": "attend",
    }


def _report(today: date) -> dict[str, Any]:
    return {
        "findings": "Agencies dealt with each report alone and nobody saw the pattern.",
        "agency_summaries": {
            "police": "Three calls logged, one visit.",
            "council": "Noise diary sent, not returned.",
            "housing": "Warning letter to the neighbour.",
        },
        "recommendations": [
            {
                "recipient_body": body,
                "action": action,
                "owner": owner,
                "due_on": (today + timedelta(days=28 * (n + 1))).isoformat(),
            }
            for n, (body, action, owner) in enumerate(
                (
                    ("Police", "Name one officer as the single point of contact.", "PC Smith"),
                    ("Council", "Install noise monitoring for four weeks.", "ASB officer"),
                    ("Housing", "Consider a tenancy enforcement step.", "Housing manager"),
                )
            )
        ],
    }


THRESHOLD_MET = Step(4, "threshold_met", "chair", _reasons("Three incidents, all reported."))
NOT_MET = Step(4, "threshold_not_met", "chair", _reasons("One incident in six months."))
ACK = Step(1, "acknowledge", "contact")
TO_RESPONSE = (
    ACK,
    THRESHOLD_MET,
    Step(10, "review_meeting_held", "chair", _meeting),
    Step(5, "jag_report_recorded", "chair", _report),
    Step(4, "response_issued", "csp", lambda _t: {"summary": "The agencies will act together."}),
)
TO_MONITORING = (*TO_RESPONSE, Step(42, "monitoring_started", "contact"))
RESOLVED = tuple(
    Step(14, "recommendation_updated", "contact", lambda _t, n=n: _done(n)) for n in (1, 2, 3)
)
APPEAL = (
    Step(3, "appeal_lodged", "contact", lambda _t: _appeal()),
    Step(
        1,
        "appeal_papers_sent",
        "contact",
        lambda _t: {"appeal_chair_email": "appeal.chair@example.org"},
    ),
)


def _done(n: int) -> dict[str, Any]:
    return {"recommendation": n, "status": "done", "note": "Done and checked with the victim."}


def _appeal() -> dict[str, Any]:
    return {"ground": "facts_not_considered", "details": "The housing reports were left out."}


def _closed(reason: str) -> Step:
    return Step(
        2, "case_closed", "contact", lambda _t: {"closure_reason": reason, "explanation": "Done."}
    )


# (name, weight, incidents, steps): weights are shares within open or within closed cases.
OPEN_TEMPLATES = (
    ("submitted", 10, 3, ()),
    ("acknowledged", 14, 4, (ACK,)),
    ("review_scheduled", 14, 3, (ACK, THRESHOLD_MET)),
    ("under_review", 14, 5, TO_RESPONSE[:3]),
    ("response_drafted", 10, 3, TO_RESPONSE[:4]),
    ("response_issued", 8, 3, TO_RESPONSE),
    ("monitoring", 14, 4, TO_MONITORING + RESOLVED[:1]),
    ("threshold_not_met", 8, 1, (ACK, NOT_MET)),
    (
        "rejected",
        2,
        3,
        (
            ACK,
            Step(
                3,
                "application_rejected",
                "chair",
                lambda _t: {"ground": "vexatious", "reasons": "Same complaint, fourth time."},
            ),
        ),
    ),
    ("appeal_lodged", 2, 1, (ACK, NOT_MET, APPEAL[0])),
    ("appeal_papers_sent", 2, 1, (ACK, NOT_MET, *APPEAL)),
    (
        "under_review_again",
        2,
        1,
        (
            ACK,
            NOT_MET,
            *APPEAL,
            Step(10, "appeal_upheld", "appeal", _reasons("The facts were not all considered.")),
        ),
    ),
)
CLOSED_TEMPLATES = (
    ("closed_resolved", 50, 4, (*TO_MONITORING, *RESOLVED, _closed("resolved"))),
    ("closed_not_met", 25, 1, (ACK, NOT_MET, Step(42, "case_closed", "contact", None))),
    (
        "closed_withdrawn",
        12,
        3,
        (ACK, Step(3, "withdrawn", "contact", lambda _t: {"reason": "Moved house."})),
    ),
    (
        "closed_appeal_not_upheld",
        6,
        1,
        (
            ACK,
            NOT_MET,
            *APPEAL,
            Step(12, "appeal_not_upheld", "appeal", _reasons("The decision was sound.")),
        ),
    ),
    (
        "closed_no_further_incidents",
        7,
        3,
        (*TO_MONITORING, *RESOLVED, _closed("no_further_incidents")),
    ),
)


def _closing_data(event: str, step: Step, today: date) -> dict[str, Any] | None:
    if step.data is not None:
        return step.data(today)
    if event == "case_closed":
        return {"closure_reason": "appeal_window_passed", "explanation": "No appeal came."}
    return None


def make_templates(factory: Any) -> dict[str, int]:
    """Each template case, driven through the engine; their ids by template name."""
    from sqlmodel import select

    from engine.access import load_actor
    from engine.clock import FixedClock
    from engine.models import User
    from engine.services.cases import record_event
    from workflows.community_trigger.services.intake import submit_application

    ids = {}
    for n, (name, _w, incidents, steps) in enumerate(OPEN_TEMPLATES + CLOSED_TEMPLATES):
        clock = FixedClock(TEMPLATE_START + timedelta(days=7 * n))
        with factory() as session:
            actors = {
                key: load_actor(session, session.exec(select(User).where(User.email == e)).one())
                for key, e in DEMO_ACTORS.items()
            }
            done = submit_application(
                session, clock=clock, application=_application(n, incidents, clock.today())
            )
            version = 1
            for step in steps:
                clock.advance(days=step.after_days)
                case = record_event(
                    session,
                    clock=clock,
                    case_ref=done.reference,
                    event=step.event,
                    data=_closing_data(step.event, step, clock.today()),
                    actor=actors[step.actor],
                    expected_version=version,
                )
                version = case.version
            ids[name] = done.case_id
    return ids


def _application(n: int, incidents: int, today: date) -> Any:
    from workflows.community_trigger.services.applications import ApplicationIn

    agencies = ("police", "council", "housing")
    return ApplicationIn.model_validate(
        {
            "locality": "leicester",
            "consent_to_share": True,
            "declaration": True,
            "applicant": {
                "name": f"Template Applicant {n}",
                "email": f"template{n}@example.org",
                "phone": "0116 000 0000",
                "address": "1 High Street, Leicester",
                "postcode": "LE1 1AA",
                "role": "victim",
            },
            "involvement": "attend",
            "impact": "I cannot sleep and my children are frightened to go outside.",
            "vulnerabilities": "Long-term illness.",
            "outcome_wanted": "I want the noise and the threats to stop.",
            "incidents": [
                {
                    "date": (today - timedelta(days=8 + 12 * i)).isoformat(),
                    "place": "Outside my front door",
                    "description": f"Shouting, banging on the door and threats, incident {i + 1}.",
                    "reports": [
                        {
                            "agency": agencies[(i + j) % 3],
                            "reported_date": (today - timedelta(days=7 + 12 * i - j)).isoformat(),
                            "reference": f"REF{i}{j}",
                        }
                        for j in range(1 + i % 2)
                    ],
                }
                for i in range(incidents)
            ],
        }
    )


# --- the copies -------------------------------------------------------------------------


COPIED = (
    "case_record",
    "ct_case",
    "party",
    "incident",
    "report",
    "audit_event",
    "deadline",
    "recommendation",
)
# Tables keyed by the case's own id (a workflow's detail row), not by an id of their own.
BY_CASE = ("ct_case",)


FIRST_NAMES = (
    "Amira Ben Chloe Dev Ewa Femi Grace Hari Imran Jade Kofi Lena Mo Nia Olek Priya Rhys "
    "Sana Tom Uma Vik Wes Yusuf Zoe"
).split()
SURNAMES = (
    "Patel Smith Khan Jones Kaur Brown Mistry Taylor Ahmed Wilson Singh Evans Begum Clarke "
    "Nowak Walker Hussain Wright Parmar Green Ali Hughes Chauhan Edwards Mahmood Hall Lee "
    "Robinson Shah Wood Sharma Turner Bhatt Hill Ozturk Cooper Gill Ward Nair Morris"
).split()
STREETS = ("Oak Road", "Mill Lane", "Church Street", "Elm Close", "Station Road", "High Street")


def bench_name(n: int) -> str:
    """A copy's applicant: 24 x 40 first names and surnames, so a name matches hundreds."""
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {SURNAMES[(n // 7) % len(SURNAMES)]}"


def bench_postcode(n: int) -> str:
    return f"LE{1 + n % 19} {n % 10}{'ABDEFGHJ'[n % 8]}{'LNPQRSTU'[(n // 8) % 8]}"


def person_key(p: int) -> str:
    """Person p's complainant key; the SQL in CASELESS_INSERT computes the same."""
    return (
        "email:"
        + hashlib.md5(str(p).encode()).hexdigest()
        + hashlib.md5(f"x{p}".encode()).hexdigest()[:8]
    )


def copy_cases(engine: Any, template_ids: dict[str, int], cases: int, today: date) -> int:
    """Write `cases` copies of the templates (COPY on PostgreSQL, batched INSERTs on
    SQLite); returns how many reports they have."""
    from sqlalchemy import MetaData, select

    from engine import case_search, registry

    as_json = engine.dialect.name == "postgresql"  # COPY takes JSON as text
    if as_json:
        meta = MetaData()
        meta.reflect(engine, only=COPIED)
    else:  # the models' own types: SQLite's reflected ones lose the time zone
        from sqlmodel import SQLModel

        meta = SQLModel.metadata
    tables = {name: meta.tables[name] for name in COPIED}
    localities = sorted(registry.area("llr").localities)
    rows: dict[str, dict[int, list[dict[str, Any]]]] = {name: {} for name in COPIED}
    with engine.connect() as conn:
        for name, table in tables.items():
            key = table.c.id if name == "case_record" else table.c.case_id
            order = table.c.case_id if name in BY_CASE else table.c.id
            query = select(table).where(key.in_(template_ids.values())).order_by(order)
            for row in conn.execute(query).mappings():
                rows[name].setdefault(row["id" if name == "case_record" else "case_id"], []).append(
                    dict(row)
                )
        next_ids = {
            name: int(
                conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) + 1 FROM {name}").scalar_one()
            )
            for name in COPIED
            if name not in BY_CASE
        }
    last_event = {
        tid: max(a["occurred_at"] for a in rows["audit_event"][tid])
        for tid in template_ids.values()
    }
    rng = random.Random(5)
    open_names = [t[0] for t in OPEN_TEMPLATES]
    open_weights = [t[1] for t in OPEN_TEMPLATES]
    closed_names = [t[0] for t in CLOSED_TEMPLATES]
    closed_weights = [t[1] for t in CLOSED_TEMPLATES]
    out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in COPIED}
    columns = {name: [c.name for c in tables[name].columns] for name in COPIED}
    terms: list[tuple[str, int]] = []  # case_search_term rows: the words /staff/cases finds

    def out_party(written: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
        return dict(zip(columns["party"], written["party"][-1], strict=True))

    for n in range(cases):
        is_open = rng.random() < OPEN_SHARE
        name = rng.choices(
            *((open_names, open_weights) if is_open else (closed_names, closed_weights))
        )[0]
        tid = template_ids[name]
        # Open cases: latest event in the last six weeks; closed: any time in five years.
        back_days = rng.randrange(0, 42) if is_open else rng.randrange(60, 5 * 365)
        weeks = (today - timedelta(days=back_days) - last_event[tid].date()).days // 7
        shift = timedelta(weeks=weeks)
        template_case = rows["case_record"][tid][0]
        template_detail = rows["ct_case"][tid][0]
        locality = localities[n % len(localities)]
        if template_detail["appeal_chair_id"] is not None and locality == "melton":
            locality = "leicester"  # the appeal chair is from Melton: never their own cases
        submitted = template_case["submitted_at"] + shift
        reference = f"CT-{submitted.year}-{500000 + n:06d}"
        case_id = next_ids["case_record"] + n
        changes = {
            "case_record": {
                "id": case_id,
                "reference": reference,
                "locality_id": locality,
            },
            "ct_case": {
                "case_id": case_id,
                "status_token_hash": hashlib.sha256(f"bench-{n}".encode()).hexdigest(),
            },
        }
        for name in ("case_record", "ct_case"):
            template = template_case if name == "case_record" else template_detail
            out[name].append(_shifted(template, changes[name], shift, columns[name], as_json))
        for party in rows["party"].get(tid, []):
            out["party"].append(
                _shifted(
                    party,
                    {
                        "id": next_ids["party"],
                        "case_id": case_id,
                        "name": bench_name(n),
                        "email": f"person{n}@example.org",
                        "postcode": bench_postcode(n),
                        "address": f"{1 + n % 97} {STREETS[n % len(STREETS)]}",
                    },
                    shift,
                    columns["party"],
                    as_json,
                )
            )
            next_ids["party"] += 1
            terms.extend(
                (row["term"], case_id) for row in case_search.term_rows(case_id, [out_party(out)])
            )
        incident_ids = {}
        for incident in rows["incident"].get(tid, []):
            incident_ids[incident["id"]] = next_ids["incident"]
            out["incident"].append(
                _shifted(
                    incident,
                    {"id": next_ids["incident"], "case_id": case_id},
                    shift,
                    columns["incident"],
                    as_json,
                )
            )
            next_ids["incident"] += 1
        for report in rows["report"].get(tid, []):
            seq = report["incident_key"].rsplit("/", 1)[-1]
            out["report"].append(
                _shifted(
                    report,
                    {
                        "id": next_ids["report"],
                        "case_id": case_id,
                        "incident_id": incident_ids.get(report["incident_id"]),
                        "incident_key": f"{reference}/{seq}",
                        "complainant_key": person_key(n),
                    },
                    shift,
                    columns["report"],
                    as_json,
                )
            )
            next_ids["report"] += 1
        for name in ("audit_event", "deadline", "recommendation"):
            for row in rows[name].get(tid, []):
                out[name].append(
                    _shifted(
                        row,
                        {"id": next_ids[name], "case_id": case_id},
                        shift,
                        columns[name],
                        as_json,
                    )
                )
                next_ids[name] += 1
    if not as_json:
        _insert_copies(engine, columns, out, terms)
        return len(out["report"])
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        with pg.cursor() as cur:
            for name in COPIED:
                cols = ", ".join(columns[name])
                with cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
                    for row in out[name]:
                        copy.write_row(row)
                if name in BY_CASE:
                    continue
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
            with cur.copy("COPY case_search_term (term, case_id) FROM STDIN") as copy:
                for row in terms:
                    copy.write_row(row)
            # Each copied deadline's schedule: open ones planned at the next sweep.
            cur.execute(
                "INSERT INTO deadline_schedule (deadline_id, next_action_on)"
                " SELECT d.id, CASE WHEN d.status = 'open' THEN DATE '2000-01-01' END"
                " FROM deadline d LEFT JOIN deadline_schedule s ON s.deadline_id = d.id"
                " WHERE s.deadline_id IS NULL"
            )
        pg.commit()
    finally:
        raw.close()
    return len(out["report"])


def _insert_copies(
    engine: Any,
    columns: dict[str, list[str]],
    out: dict[str, list[tuple[Any, ...]]],
    terms: list[tuple[str, int]],
) -> None:
    """The copies written with the models' own column types (SQLite has no COPY)."""
    from sqlalchemy import insert
    from sqlmodel import SQLModel

    tables = SQLModel.metadata.tables
    with engine.begin() as conn:
        for name in COPIED:
            for start in range(0, len(out[name]), 500):
                chunk = out[name][start : start + 500]
                rows = [dict(zip(columns[name], r, strict=True)) for r in chunk]
                conn.execute(insert(tables[name]), rows)
        if terms:
            conn.execute(
                insert(tables["case_search_term"]), [{"term": t, "case_id": c} for t, c in terms]
            )
        conn.exec_driver_sql(
            "INSERT INTO deadline_schedule (deadline_id, next_action_on)"
            " SELECT d.id, CASE WHEN d.status = 'open' THEN '2000-01-01' END"
            " FROM deadline d LEFT JOIN deadline_schedule s ON s.deadline_id = d.id"
            " WHERE s.deadline_id IS NULL"
        )


def _shifted(
    row: dict[str, Any],
    changes: dict[str, Any],
    shift: timedelta,
    columns: list[str],
    as_json: bool = True,
) -> tuple[Any, ...]:
    values = []
    for c in columns:
        v = changes[c] if c in changes else row[c]
        if c not in changes and isinstance(v, date) and v != PLAN_ON_NEXT_SWEEP:
            v = v + shift
        elif as_json and isinstance(v, dict | list):
            v = json.dumps(v)
        values.append(v)
    return tuple(values)


# The caseless agency reports: person p's k-th report, p from 0, spread over two years.
_DAY = f"((p * 2654435761 + :k * 40503) % 1000003) % {REPORT_SPAN_DAYS}"
_LATE = "((p * 31 + :k * 17) % 30)"
CASELESS_INSERT = f"""
INSERT INTO report (case_id, incident_id, incident_key, complainant_key, incident_on,
                    reported_on, agency, reference, channel, officer)
SELECT NULL, NULL,
       'imp:' || p || '/' || :k,
       'email:' || md5(p::text) || substr(md5('x' || p::text), 1, 8),
       CAST(:first AS date) + CAST({_DAY} AS integer) - CAST({_LATE} AS integer),
       CAST(:first AS date) + CAST({_DAY} AS integer),
       CASE (p + :k) % 3 WHEN 0 THEN 'police' WHEN 1 THEN 'council' ELSE 'housing' END,
       'S' || p || '-' || :k, 'phone', NULL
FROM generate_series(CAST(0 AS bigint), CAST(:last AS bigint)) AS p
"""


def load_caseless(engine: Any, count: int, today: date) -> None:
    """`count` caseless reports, with the report table's indexes built after the rows."""
    from sqlalchemy import text

    first = today - timedelta(days=REPORT_SPAN_DAYS)
    with engine.begin() as conn:
        indexes = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'report' AND indexname NOT LIKE '%%pkey'"
        ).all()
        for name, _definition in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        for k in range(REPORTS_PER_PERSON):
            # Reports numbered p * 8 + k below `count`.
            last = (count - 1 - k) // REPORTS_PER_PERSON
            if last >= 0:
                conn.execute(text(CASELESS_INSERT), {"k": k, "first": first, "last": last})
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            conn.exec_driver_sql(definition)


def analyse(engine: Any) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")


# --- the database ------------------------------------------------------------------------


@dataclass
class Loaded:
    schema: str
    seconds: float
    reused: bool


def _marker(cases: int, reports: int) -> str:
    return f"ctengine staff_pages bench: {cases} cases, {reports} reports, loaded"


def prepare(pg_url: str, schema: str, cases: int, reports: int, reuse: bool) -> Loaded:
    from sqlalchemy import text

    from engine.clock import SystemClock
    from engine.db import make_engine, make_session_factory
    from engine.migrate import upgrade
    from workflows.community_trigger.services.demo import load_demo_data

    admin = make_engine(pg_url, pool_size=1)
    with admin.begin() as conn:
        found = conn.execute(
            text(
                "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = :s"
            ),
            {"s": schema},
        ).first()
        if reuse and found is not None and found[0] == _marker(cases, reports):
            admin.dispose()
            engine = make_engine(pg_url, schema=schema)
            upgrade(engine)  # migrations added since the data was loaded
            engine.dispose()
            return Loaded(schema, 0.0, True)
        if found is not None:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    began = time.perf_counter()
    engine = make_engine(pg_url, schema=schema)
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        clock = SystemClock()
        with factory() as session:
            load_demo_data(session, clock=clock)
        step = time.perf_counter()
        template_ids = make_templates(factory)
        made, n = time.perf_counter() - step, len(template_ids)
        print(f"   migrate, demo data {step - began:.1f} s, {n} templates {made:.1f} s")
        step = time.perf_counter()
        own = copy_cases(engine, template_ids, cases, clock.today())
        print(f"   {cases:,} cases with their rows (COPY): {time.perf_counter() - step:.1f} s")
        step = time.perf_counter()
        with engine.connect() as conn:
            existing = int(conn.exec_driver_sql("SELECT count(*) FROM report").scalar_one())
        load_caseless(engine, max(0, reports - existing), clock.today())
        print(
            f"   {max(0, reports - existing):,} caseless reports beside the cases' {own:,}"
            f" (INSERT ... SELECT, indexes after): {time.perf_counter() - step:.1f} s"
        )
        step = time.perf_counter()
        analyse(engine)
        print(f"   VACUUM ANALYZE: {time.perf_counter() - step:.1f} s")
        with engine.begin() as conn:
            conn.execute(text(f"COMMENT ON SCHEMA \"{schema}\" IS '{_marker(cases, reports)}'"))
    finally:
        engine.dispose()
    return Loaded(schema, time.perf_counter() - began, False)


def drop_schema(pg_url: str, schema: str) -> None:
    from sqlalchemy import text

    from engine.db import make_engine

    admin = make_engine(pg_url, pool_size=1)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def describe(pg_url: str, schema: str) -> dict[str, Any]:
    """Row counts, and what the JAG chair's queue and the case lists look like."""
    from engine.db import make_engine

    engine = make_engine(pg_url, schema=schema)
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        for name in COPIED:
            out[name] = int(conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one())
        out["open_cases"] = int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM case_record WHERE state <> 'closed'"
            ).scalar_one()
        )
        out["size"] = conn.exec_driver_sql(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))::bigint) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
            "AND c.relkind = 'r'"
        ).scalar_one()
        rng = random.Random(11)
        leicester_open = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT reference FROM case_record WHERE locality_id = 'leicester' "
                "AND state <> 'closed' ORDER BY reference"
            )
        ]
        leicester_closed = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT reference FROM case_record WHERE locality_id = 'leicester' "
                "AND state = 'closed' ORDER BY reference"
            )
        ]
        everywhere = [
            r[0]
            for r in conn.exec_driver_sql("SELECT reference FROM case_record ORDER BY reference")
        ]
        out["queue"] = _chair_queue(engine)
    engine.dispose()
    chair_refs = rng.sample(leicester_open, min(100, len(leicester_open))) + rng.sample(
        leicester_closed, min(100, len(leicester_closed))
    )
    rng.shuffle(chair_refs)
    out["chair_refs"] = chair_refs
    out["manager_refs"] = rng.sample(everywhere, min(200, len(everywhere)))
    out["searches"] = case_searches(rng, everywhere)
    return out


def case_searches(rng: random.Random, references: list[str]) -> list[str]:
    """/staff/cases as staff use it: a name, a surname and postcode district, a reference
    (whole, its start, its number), an overdue list by next deadline, page 3 of a sort."""
    queries = []
    for _ in range(20):
        n = rng.randrange(50_000)
        first, surname = bench_name(n).lower().split()
        ref = rng.choice(references)
        queries += [
            f"q={surname}",
            f"q={first}+{surname[:3]}",
            f"q={surname}+{bench_postcode(n).split()[0].lower()}",
            f"q={ref}",
            f"q={ref[:10]}",
            f"q={int(ref[-6:])}",
        ]
    queries += ["overdue=yes&sort=deadline", "sort=reference&page=3", "state=monitoring"]
    return [f"/staff/cases?{q}" for q in queries]


def _chair_queue(engine: Any) -> str:
    """How long the JAG chair's "My work" is, by how urgent."""
    from collections import Counter

    from sqlmodel import select

    from engine.access import load_actor
    from engine.clock import SystemClock
    from engine.db import make_session_factory
    from engine.models import User
    from engine.worklists import my_work

    with make_session_factory(engine)() as session:
        user = session.exec(select(User).where(User.email == CHAIR_EMAIL)).one()
        items = my_work(session, actor=load_actor(session, user), today=SystemClock().today())
    rag = Counter(i["rag"] for i in items)
    return f"{len(items)} items ({rag['red']} overdue, {rag['amber']} due soon)"


def sign_in(pg_url: str, schema: str, email: str, count: int) -> list[str]:
    """`count` signed-in sessions for the user: password, then a code from their secret."""
    import pyotp
    from sqlmodel import select, update

    from engine.clock import SystemClock
    from engine.db import make_engine, make_session_factory
    from engine.models import User
    from engine.services import auth
    from workflows.community_trigger.services.demo import DEMO_PASSWORD

    engine = make_engine(pg_url, schema=schema)
    clock = SystemClock()
    tokens = []
    with make_session_factory(engine)() as session:
        secret = session.exec(select(User.totp_secret).where(User.email == email)).one()
        for _ in range(count):
            # A TOTP code signs in once; the bench signs one user in many times within a
            # step, so it forgets the last step used (a bench shortcut, never in the app).
            session.exec(update(User).where(User.email == email).values(totp_last_step=None))
            session.commit()
            pending = auth.check_password(session, clock=clock, email=email, password=DEMO_PASSWORD)
            code = pyotp.TOTP(secret or "").now()
            tokens.append(auth.check_code(session, clock=clock, pending_token=pending, code=code))
    engine.dispose()
    return tokens


# --- the servers (this script with --serve) ----------------------------------------------


def serve(kind: str, port: int, pg_url: str, schema: str, workers: int) -> None:
    """Serve the app or hello with `workers` uvicorn processes (both always get the same)."""
    import uvicorn

    os.environ.update(BENCH_PG_URL=pg_url, BENCH_SCHEMA=schema)
    uvicorn.run(
        f"staff_pages:{'hello_factory' if kind == 'hello' else 'app_factory'}",
        factory=True,
        app_dir=str(Path(__file__).resolve().parent),
        workers=workers,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


def hello_factory() -> Any:
    return hello_app()


def app_factory() -> Any:
    from engine.settings import Settings
    from web.app import create_app

    settings = Settings(
        database_url=os.environ["BENCH_PG_URL"],
        database_schema=os.environ["BENCH_SCHEMA"],
        secret_key=os.environ["BENCH_SECRET"],
    )
    app = create_app(settings)
    add_empty_page(app)
    return app


EMPTY_TEMPLATE = """{% extends "staff/base.html" %}
{% block title %}Empty{% endblock %}
{% block content %}<h1 class="govuk-heading-l">Empty</h1>
<p class="govuk-body">{{ count }}</p>{% endblock %}"""


def add_empty_page(app: Any) -> None:
    """The ceiling for staff pages: the same sign-in check, the same staff layout and one
    query (the user's own row), and nothing else. Only in this script's server."""
    from jinja2 import ChoiceLoader, DictLoader
    from sqlalchemy import text
    from starlette.requests import Request
    from starlette.responses import Response

    from web.deps import SessionDep, SignedInStaff
    from web.staff.routes import render

    env = app.state.templates
    env.loader = ChoiceLoader([DictLoader({"bench/empty.html": EMPTY_TEMPLATE}), env.loader])
    one = text("SELECT count(*) FROM app_user WHERE id = :id")

    def empty(request: Request, actor: SignedInStaff, session: SessionDep) -> Response:
        count = session.execute(one, {"id": actor.user_id}).scalar_one()
        return render(request, "bench/empty.html", {"actor": actor, "count": count})

    # This module's annotations are strings (from __future__) naming imports made above in
    # this function, which FastAPI cannot resolve from the module: give it the objects.
    empty.__annotations__ = {
        "request": Request,
        "actor": SignedInStaff,
        "session": SessionDep,
        "return": Response,
    }
    app.add_api_route(EMPTY_PATH, empty, methods=["GET"], include_in_schema=False)
    # First, ahead of any catch-all mount the app ends with.
    app.router.routes.insert(0, app.router.routes.pop())


def start(kind: str, workers: int, pg_url: str = "", schema: str = "") -> tuple[Any, int]:
    port = free_port()
    args = [sys.executable, __file__, "--serve", kind, "--port", str(port)]
    args += ["--pg-url", pg_url or PG_URL, "--schema", schema or "-", "--workers", str(workers)]
    return start_process_server(args, port, {"BENCH_SECRET": SECRET}), port


# --- the measurements --------------------------------------------------------------------


@dataclass
class Page:
    label: str
    run: Any

    def line(self) -> str:
        s = stats_ms(self.run.latencies)
        size = self.run.bytes_received / max(1, len(self.run.latencies)) / 1024
        return (
            f"  {self.label:44} {self.run.rate:8.1f} req/s  p50 {s.median:6.1f} ms"
            f"  p99 {s.p99:6.1f} ms  {size:5.1f} KiB  statuses {dict(self.run.statuses)}"
        )


def requests_for(paths: list[str], tokens: list[str]) -> Callable[[int], bytes]:
    """Connection i uses session i and walks `paths` from its own starting point."""
    browsers = [secrets.token_urlsafe(32) for _ in tokens]
    position = [i * max(1, len(paths) // len(tokens)) for i in range(len(tokens))]

    def next_request(i: int) -> bytes:
        path = paths[position[i] % len(paths)]
        position[i] += 1
        return http_get(path, f"ct_staff={tokens[i]}; ct_session={browsers[i]}")

    return next_request


def measure(args: argparse.Namespace, schema: str, data: dict[str, Any]) -> bool:
    """Each page right after its own hello run: other work on the machine comes and goes,
    so a page is compared with the baseline measured next to it, not minutes before."""
    seconds, connections = args.seconds, args.connections
    chair = sign_in(args.pg_url, schema, CHAIR_EMAIL, connections)
    manager = sign_in(args.pg_url, schema, MANAGER_EMAIL, connections)
    plan = (
        ("My work: JAG chair (Leicester)", ["/staff"], chair),
        ("My work: manager", ["/staff"], manager),
        (
            "case page: JAG chair, 200 Leicester cases",
            [f"/staff/cases/{r}" for r in data["chair_refs"]],
            chair,
        ),
        (
            "case page: manager, 200 cases anywhere",
            [f"/staff/cases/{r}" for r in data["manager_refs"]],
            manager,
        ),
        ("find a case: JAG chair, newest first", ["/staff/cases"], chair),
        ("find a case: manager, 123 searches", data["searches"], manager),
    )
    hello_request = http_get("/")
    pairs = []
    hello_proc, hello_port = start("hello", args.workers)
    try:
        http_load(hello_port, lambda _i: hello_request, seconds=2.0, connections=connections)
        hello = http_load(
            hello_port, lambda _i: hello_request, seconds=seconds, connections=connections
        )
    finally:
        stop_server(hello_proc)
    app_proc, app_port = start("ctengine", args.workers, args.pg_url, schema)
    try:
        for label, paths, tokens in plan:
            empty_requests = requests_for([EMPTY_PATH], tokens)
            http_load(app_port, empty_requests, seconds=1.0, connections=connections)
            empty = http_load(app_port, empty_requests, seconds=seconds, connections=connections)
            requests = requests_for(paths, tokens)
            http_load(app_port, requests, seconds=2.0, connections=connections)  # warm up
            run = http_load(app_port, requests, seconds=seconds, connections=connections)
            pairs.append((Page("  empty signed-in page just before", empty), Page(label, run)))
    finally:
        stop_server(app_proc)
    return report_pages(Page("load generator vs bare Starlette GET /", hello), pairs)


def report_pages(hello: Page, pairs: list[tuple[Page, Page]]) -> bool:
    print(hello.line())
    fastest = max(max(e.run.rate, p.run.rate) for e, p in pairs)
    headroom = hello.run.rate / fastest
    print(
        f"  the load generator drives {hello.run.rate:,.0f} req/s against a trivial server,"
        f" {headroom:.1f}x the fastest page here: "
        + ("not the bottleneck" if headroom >= CLIENT_HEADROOM else "MAY BE the bottleneck")
    )
    for empty, page in pairs:
        print(empty.line())
        print(page.line())
    print(
        f"  targets: >= {RATE_FLOOR:.0%} of the empty signed-in page's rate measured just"
        f" before, p99 <= {P99_CEILING_MS:.0f} ms, every answer 200"
    )
    ok = True
    for empty, page in pairs:
        s = stats_ms(page.run.latencies)
        ratio = page.run.rate / empty.run.rate
        rate_ok, p99_ok = ratio >= RATE_FLOOR, s.p99 <= P99_CEILING_MS
        all_200 = set(page.run.statuses) == {200} and set(empty.run.statuses) == {200}
        ok = ok and rate_ok and p99_ok and all_200
        print(
            f"  {page.label:44} rate {ratio:6.1%} of the empty page vs floor {RATE_FLOOR:.0%};"
            f" p99 {s.p99:7.1f} ms vs ceiling {P99_CEILING_MS:.0f} ms"
            + ("" if all_200 else "; NOT ALL 200")
        )
        name = "staff_pages.py postgres"
        record(
            name,
            f"{page.label} rate",
            page.run.rate,
            "req/s",
            "empty signed-in page",
            empty.run.rate,
            ratio,
            f">= {RATE_FLOOR:.0%}",
            rate_ok and all_200,
        )
        record(
            name,
            f"{page.label} p99",
            s.p99,
            "ms",
            "limit",
            P99_CEILING_MS,
            s.p99 / P99_CEILING_MS,
            f"<= {P99_CEILING_MS:.0f} ms",
            p99_ok,
        )
    return ok


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--reports", type=int, default=5_000_000)
    parser.add_argument(
        "--reuse", action="store_true", help=f"load once into {REUSED_SCHEMA!r} and keep it"
    )
    parser.add_argument("--drop", action="store_true", help=f"drop {REUSED_SCHEMA!r} and stop")
    parser.add_argument(
        "--load-only", action="store_true", help=f"with --reuse: load {REUSED_SCHEMA!r} and stop"
    )
    default_url = os.environ.get("DATABASE_URL", "")
    parser.add_argument(
        "--pg-url", default=default_url if default_url.startswith("postgresql") else PG_URL
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes for the app and, always the same number, for hello",
    )
    parser.add_argument("--serve", choices=("hello", "ctengine"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--schema", default="-", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.pg_url, args.schema, args.workers)
        return 0
    if args.drop:
        drop_schema(args.pg_url, REUSED_SCHEMA)
        print(f"dropped schema {REUSED_SCHEMA}")
        return 0
    print(machine_line())
    print(load_line())
    schema = REUSED_SCHEMA if args.reuse else f"bench_{secrets.token_hex(6)}"
    try:
        print(f"1. data in schema {schema}")
        loaded = prepare(args.pg_url, schema, args.cases, args.reports, args.reuse)
        if loaded.reused:
            print("   reused the data loaded by an earlier run (--reuse)")
        else:
            print(f"   loaded in {loaded.seconds:.0f} s")
        data = describe(args.pg_url, schema)
        counts = ", ".join(f"{name} {data[name]:,}" for name in COPIED)
        print(f"   {counts}; {data['open_cases']:,} open cases; {data['size']} on disk")
        print(f"   the Leicester JAG chair's My work: {data['queue']}")
        if args.load_only:
            return 0
        print(
            f"2. {args.connections} connections, {args.seconds:.0f} s each after a 2 s warm-up;"
            f" app and hello each served by {args.workers} uvicorn worker process(es)"
        )
        ok = measure(args, schema, data)
    finally:
        if not args.reuse:
            drop_schema(args.pg_url, schema)
    print(load_line())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
