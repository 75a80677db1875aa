"""Hostile input across the public pages, the API and the staff pages (issue 16): oversized
and deep bodies, wrong types, Unicode edge cases, script, SQL and CSV formulas in text
fields, forged and replayed tokens, path and id tampering, spoofed client addresses.

Every attempt must get a 4xx (never a 5xx) and leave the row count of every table as it was.
Attempts are grouped (one world per group, built once) and run on the suite's database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, literal, select, union_all
from sqlalchemy import func as sa_func
from sqlmodel import Session, SQLModel

from engine.clock import FixedClock
from engine.settings import Settings
from tests.factories import application_body, make_case, make_staff
from tests.integration.test_public_flow import Visitor
from tests.integration.test_staff_login import browser_for

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img_onerror": '"><img src=x onerror=alert(1)>',
    "sql_or": "' OR '1'='1' --",
    "sql_drop": "x'); DROP TABLE case_record; --",
    "csv_formula": '=HYPERLINK("http://evil.example","x")',
    "csv_plus": "+cmd|' /C calc'!A0",
    "nul": "a\x00b",
    "rtl_override": "\u202egnp.exe",
    "zero_width": "\u200b\u200c\u200d\ufeff",
    "combining": "e" + "\u0301" * 500,
    "emoji": "\U0001f4a9" * 50,
    "huge": "x" * 100_000,
    "path": "../../../../etc/passwd",
    "template": "{{7*7}}${7*7}",
    "lone_surrogate": "\ud800",
}
Send = Callable[[], Any]
JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


def q(value: str) -> str:
    """Percent-encoded as a browser (or a tool) would send it; a lone surrogate goes as the
    bytes of its invalid UTF-8."""
    return quote(value, safe="", errors="surrogatepass")


def jpost(client: Any, url: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    """POST a JSON body; json.dumps escapes what httpx would refuse (a lone surrogate)."""
    return client.post(url, content=json.dumps(body), headers={**JSON, **(headers or {})})


def form(fields: dict[str, str]) -> dict[str, Any]:
    """A form body as raw bytes (so any character can be sent), for client.post(**form(...))."""
    body = "&".join(f"{q(k)}={q(v)}" for k, v in fields.items())
    return {"content": body.encode(), "headers": FORM, "follow_redirects": False}


@dataclass(frozen=True)
class Attempt:
    name: str
    send: Send


def row_counts(engine: Engine) -> dict[str, int]:
    """The row count of every table, in one statement."""
    tables = SQLModel.metadata.sorted_tables
    query = union_all(
        *(
            select(literal(t.name).label("table_name"), sa_func.count().label("rows")).select_from(
                t
            )
            for t in tables
        )
    )
    with engine.connect() as conn:
        return {name: int(rows) for name, rows in conn.execute(query)}


@pytest.fixture
def world(
    settings: Settings, clock: FixedClock, db_engine: Engine, session: Session
) -> Iterator[dict[str, Any]]:
    """The app (limits raised so that validation, not the limits, answers), a case, staff,
    a signed-in JAG chair and a public visitor with answers started."""
    from fastapi.testclient import TestClient

    from web.app import create_app

    roomy = settings.model_copy(
        update={
            "submit_rate_limit": "10000/hour",
            "check_rate_limit": "10000/hour",
            "answers_rate_limit": "10000/hour",
        }
    )
    app = create_app(roomy, clock=clock, engine=db_engine)
    staff = make_staff(session, clock)
    done = make_case(session, clock)
    jag = browser_for(app, session, clock, staff["jag_chair"].email)
    session.commit()
    jag.sign_in()
    public = TestClient(app, raise_server_exceptions=False)
    visitor = Visitor(public)
    visitor.post("/apply/who", {"role": "victim"})
    yield {
        "app": app,
        "staff": staff,
        "ref": done.reference,
        "token": done.status_token,
        "jag": jag,
        "public": public,
        "visitor": visitor,
        "api": TestClient(app, raise_server_exceptions=False),
        "today": clock.today(),
    }
    public.close()
    jag.client.close()


# --- the attempts, per group --------------------------------------------------------------


def _set(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


def api_applications(w: dict[str, Any]) -> list[Attempt]:
    api, today = w["api"], w["today"]
    post = lambda body: lambda: jpost(api, "/api/v1/applications", body)  # noqa: E731
    attempts = []
    constrained = [
        ("locality",),
        ("applicant", "email"),
        ("applicant", "role"),
        ("contact_preference",),
        ("incidents", 0, "date"),
        ("incidents", 0, "reports", 0, "agency"),
        ("incidents", 0, "reports", 0, "reported_date"),
    ]
    for field in constrained:
        for label, value in HOSTILE.items():
            body = _set(application_body(today=today), field, value)
            attempts.append(Attempt(f"{'.'.join(map(str, field))}={label}", post(body)))
    # Free text takes any words (escaped when shown), so each goes with a missing consent.
    free = [("applicant", "name"), ("incidents", 0, "description"), ("impact",)]
    for field in free:
        for label, value in HOSTILE.items():
            body = application_body(today=today)
            body.pop("consent_to_share")
            body = _set(body, field, value) if field[0] != "impact" else {**body, "impact": value}
            attempts.append(Attempt(f"no-consent+{'.'.join(map(str, field))}={label}", post(body)))
    wrong_types = {
        "locality_int": {"locality": 123},
        "incidents_str": {"incidents": "three"},
        "incidents_empty": {"incidents": []},
        "consent_str": {"consent_to_share": "maybe"},
        "applicant_list": {"applicant": ["Val"]},
        "extra_field": {"is_admin": True},
        "too_many_incidents": {
            "incidents": application_body(today=today, incidents=51)["incidents"]
        },
    }
    for label, change in wrong_types.items():
        attempts.append(Attempt(f"type:{label}", post({**application_body(today=today), **change})))
    raw = {
        "deep": '{"locality": ' + "[" * 5000 + "]" * 5000 + "}",
        "huge": json.dumps({"locality": "x" * 2_000_000}),
        "not_json": "{'locality': ",
        "bad_utf8": b"\xff\xfe\xfd",
        "array": "[]",
        "null": "null",
    }
    for label, content in raw.items():
        send = lambda c=content: api.post("/api/v1/applications", content=c, headers=JSON)  # noqa: E731
        attempts.append(Attempt(f"raw:{label}", send))
    attempts.append(
        Attempt("form_not_json", lambda: api.post("/api/v1/applications", data={"locality": "x"}))
    )
    return attempts


def api_checks_and_staff(w: dict[str, Any]) -> list[Attempt]:
    api, today, ref = w["api"], w["today"], w["ref"]
    bearer = {"authorization": f"Bearer {w['staff']['jag_chair'].token}"}
    attempts = []
    for label, value in HOSTILE.items():
        body = {"area": value, "application_date": today.isoformat(), "reports": []}
        attempts.append(
            Attempt(f"check.area={label}", lambda b=body: jpost(api, "/api/v1/threshold-check", b))
        )
        report = {
            "incident": "a",
            "incident_date": value,
            "reported_date": today.isoformat(),
            "agency": "police",
        }
        body = {"area": "llr", "application_date": today.isoformat(), "reports": [report]}
        attempts.append(
            Attempt(f"check.date={label}", lambda b=body: jpost(api, "/api/v1/threshold-check", b))
        )
        event = {"event": value, "version": 1, "data": {}}
        attempts.append(
            Attempt(
                f"event.name={label}",
                lambda e=event: jpost(api, f"/api/v1/cases/{ref}/events", e, bearer),
            )
        )
        event = {"event": "acknowledge", "version": 1, "data": {"reasons": value, "x": value}}
        attempts.append(
            Attempt(
                f"event.data={label}",
                lambda e=event: jpost(api, f"/api/v1/cases/{ref}/events", e, bearer),
            )
        )
    tokens = {
        "forged": "ct_" + "A" * 43,
        "empty": "",
        "unicode": "ct_\u202e\u200b",
        "sql": "' OR 1=1 --",
        "status_token": w["token"],
        "huge": "ct_" + "x" * 5000,
    }
    for label, token in tokens.items():
        headers = {"authorization": f"Bearer {token}".encode()}
        attempts.append(
            Attempt(f"bearer:{label}", lambda h=headers: api.get(f"/api/v1/cases/{ref}", headers=h))
        )
        attempts.append(
            Attempt(
                f"bearer-post:{label}",
                lambda h=headers: api.post(
                    f"/api/v1/cases/{ref}/events",
                    json={"event": "acknowledge", "version": 1},
                    headers=h,
                ),
            )
        )
    ids = [
        "CT-2026-000001'--",
        "..%2f..%2fetc",
        "CT-9999-999999",
        "%00",
        "a" * 300,
        "CT-2026-" + "9" * 20,
    ]
    for label in ids:
        attempts.append(
            Attempt(
                f"case-id:{label[:20]}",
                lambda r=label: api.get(f"/api/v1/cases/{q(r)}", headers=bearer),
            )
        )
    version_types = {
        "string": "1",
        "float": 1.5,
        "negative": -1,
        "huge": 2**70,
        "bool": True,
        "null": None,
    }
    for label, version in version_types.items():
        body = {"event": "acknowledge", "version": version, "data": {}}
        attempts.append(
            Attempt(
                f"version:{label}",
                lambda b=body: jpost(api, f"/api/v1/cases/{ref}/events", b, bearer),
            )
        )
    attempts.append(
        Attempt(
            "stale_version",
            lambda: api.post(
                f"/api/v1/cases/{ref}/events",
                json={"event": "acknowledge", "version": 99, "data": {}},
                headers=bearer,
            ),
        )
    )
    attempts.append(Attempt("trace", lambda: api.request("TRACE", f"/api/v1/cases/{ref}")))
    attempts.append(
        Attempt("huge_header", lambda: api.get("/api/v1/work", headers={"x-big": "a" * 40_000}))
    )
    return attempts


def public_pages(w: dict[str, Any]) -> list[Attempt]:
    public, visitor = w["public"], w["visitor"]
    attempts = []
    token = visitor.csrf()
    for label, value in HOSTILE.items():
        attempts.append(
            Attempt(
                f"who.role={label}",
                lambda v=value: public.post("/apply/who", **form({"csrf_token": token, "role": v})),
            )
        )
        attempts.append(
            Attempt(
                f"no-csrf.name={label}",
                lambda v=value: public.post("/apply/your-name", **form({"name": v})),
            )
        )
        attempts.append(
            Attempt(
                f"forged-csrf={label}",
                lambda v=value: public.post(
                    "/apply/your-name",
                    **form({"csrf_token": v, "name": "Val"}),
                ),
            )
        )
        attempts.append(
            Attempt(
                f"status={label}",
                lambda v=value: public.get(f"/status/{q(v)[:3000]}", follow_redirects=False),
            )
        )
    paths = [
        "/static/../../pyproject.toml",
        "/assets/..%2f..%2fpyproject.toml",
        "/apply/incidents/99999999999999999999",
        "/apply/incidents/-1",
        "/apply/%00",
        "/apply/%ED%A0%80",
        "/status/" + "A" * 43,
        "/check/incidents/" + "9" * 30,
        "/staff/../api/v1/work",
    ]
    for path in paths:
        attempts.append(
            Attempt(f"path:{path[:30]}", lambda p=path: public.get(p, follow_redirects=False))
        )
    attempts.append(
        Attempt(
            "file_field",
            lambda: public.post(
                "/apply/who",
                data={"csrf_token": token},
                files={"role": ("x", b"victim")},
                follow_redirects=False,
            ),
        )
    )
    attempts.append(Attempt("replayed_csrf_other_browser", lambda: _other_browser_post(w, token)))
    attempts.append(
        Attempt(
            "huge_form",
            lambda: public.post(
                "/apply/your-name",
                **form({"csrf_token": token, "name": "x" * 2_000_000}),
            ),
        )
    )
    return attempts


def _other_browser_post(w: dict[str, Any], token: str) -> Any:
    from fastapi.testclient import TestClient

    with TestClient(w["app"], raise_server_exceptions=False) as other:
        other.get("/apply/who")
        return other.post("/apply/who", **form({"csrf_token": token, "role": "victim"}))


def staff_pages(w: dict[str, Any]) -> list[Attempt]:
    jag, ref = w["jag"], w["ref"]
    client = jag.client
    attempts = []
    for label, value in HOSTILE.items():
        attempts.append(
            Attempt(
                f"event-no-csrf={label}",
                lambda v=value: client.post(
                    f"/staff/cases/{ref}/events/acknowledge",
                    **form({"reasons": v, "version": "1"}),
                ),
            )
        )
        attempts.append(
            Attempt(
                f"event-name={label}",
                lambda v=value: client.post(
                    f"/staff/cases/{ref}/events/{q(v)[:3000]}",
                    **form({"csrf_token": jag.csrf, "version": "1"}),
                ),
            )
        )
        attempts.append(
            Attempt(
                f"complaint-locality={label}",
                lambda v=value: client.post(
                    "/staff/complaints/new",
                    **form({"csrf_token": jag.csrf, "locality": v, "name": "A", "summary": v}),
                ),
            )
        )
        attempts.append(
            Attempt(
                f"case-ref={label}",
                lambda v=value: client.get(f"/staff/cases/{q(v)[:3000]}", follow_redirects=False),
            )
        )
    ids = [str(2**63), "9" * 20, "-1", "0", "1e9", "0x10"]
    for label in ids:
        attempts.append(
            Attempt(
                f"doc-id={label}",
                lambda i=label: client.get(
                    f"/staff/cases/{ref}/documents/{i}", follow_redirects=False
                ),
            )
        )
        attempts.append(
            Attempt(
                f"complaint-id={label}",
                lambda i=label: client.get(f"/staff/complaints/{i}", follow_redirects=False),
            )
        )
        attempts.append(
            Attempt(
                f"retry-id={label}",
                lambda i=label: client.post(
                    f"/staff/dead-letters/{i}/retry",
                    **form({"csrf_token": jag.csrf}),
                ),
            )
        )
    versions = ["1 OR 1=1", "-1", "99999999999999999999", "", "\x00"]
    for label in versions:
        attempts.append(
            Attempt(
                f"stale-version={label!r}",
                lambda v=label: client.post(
                    f"/staff/cases/{ref}/events/acknowledge",
                    **form({"csrf_token": jag.csrf, "version": v}),
                ),
            )
        )
    attempts.append(
        Attempt(
            "manager_page_as_jag", lambda: client.get("/staff/dead-letters", follow_redirects=False)
        )
    )
    attempts.append(
        Attempt(
            "reminders_as_jag",
            lambda: client.get(f"/staff/cases/{ref}/reminders", follow_redirects=False),
        )
    )
    return attempts


def spoofed_addresses(w: dict[str, Any]) -> list[Attempt]:
    """Rotating X-Forwarded-For does not escape the per-client limit (no trusted proxies)."""
    api, today = w["api"], w["today"]
    limits = w["app"].state.rate_limits
    limits._rules["submit"] = limits._rules["submit"].__class__(1, 1, "hour")  # one per hour
    body = application_body(today=today, incidents=0)  # invalid too: nothing stored either way
    first = Attempt("spent", lambda: jpost(api, "/api/v1/applications", body))
    rest = [
        Attempt(
            f"xff={ip}",
            lambda ip=ip: api.post(
                "/api/v1/applications",
                json=application_body(today=today),
                headers={"x-forwarded-for": ip, "x-real-ip": ip, "forwarded": f"for={ip}"},
            ),
        )
        for ip in (
            "10.0.0.1",
            "1.2.3.4",
            "::1",
            "127.0.0.1",
            "203.0.113.9, 10.0.0.2",
            "unknown",
            "' OR 1=1",
        )
    ]
    return [first, *rest]


GROUPS = {
    "api_applications": api_applications,
    "api_checks_and_staff": api_checks_and_staff,
    "public_pages": public_pages,
    "staff_pages": staff_pages,
    "spoofed_addresses": spoofed_addresses,
}


def test_there_are_at_least_150_attempts(world: dict[str, Any]) -> None:
    total = sum(len(build(world)) for build in GROUPS.values())
    assert total >= 150, total


@pytest.mark.parametrize("group", list(GROUPS))
def test_hostile_input_gets_a_4xx_and_changes_no_table(
    world: dict[str, Any], db_engine: Engine, group: str
) -> None:
    failures = []
    for attempt in GROUPS[group](world):
        before = row_counts(db_engine)
        response = attempt.send()
        after = row_counts(db_engine)
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        if not 400 <= response.status_code < 500 or changed:
            failures.append((attempt.name, response.status_code, changed))
    assert not failures, failures
