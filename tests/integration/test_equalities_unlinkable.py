"""Equalities answers cannot be joined back to their case (issue 16, hole 2).

Thirty applications are sent through the public form, each with its own pair of answers
(age, sex), so the test knows which answers came with which case. An attacker who can read
the whole database then tries every join the probe used: transaction ids (`xmin`), physical
row order (`ctid`, SQLite's `rowid` and storage order) and timing (which rows appeared
after which worker pass). None may do better than chance.

The bound. After the answers are released, every row of a batch shares one `xmin`, so the
nearest-`xmin` guess names one case for the whole batch: at most one right per batch. For
an order-based guess (the k-th row of a batch is the k-th case of that batch) the rows are
in a uniformly random order, so the number right is the number of fixed points of a random
permutation of each batch. Its exact distribution is counted from the rencontres numbers
D(n, k) = C(n, k) * derangements(n - k) (`fixed_point_tail` below); for the batches here
(6 and 24) the chance of 10 or more right out of 30 is about 6e-5, so a guess that gets 10
right is taken as better than chance, and a correct build fails this test about once in
15,000 runs. (Before this design the storage-order guess got all 30 right.) The attacks
are real: on PostgreSQL the held rows' `xmin` does point at their case until the worker's
next pass, and the test shows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from math import comb, factorial
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.services import equalities
from engine.settings import Settings
from tests.conftest import on_postgres
from tests.integration.test_public_flow import Visitor, fill_in_everything

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")

AGES = [code for code, _ in equalities.QUESTION_BY_FIELD["age"].options]
SEXES = ["female", "male", "prefer_not_to_say", ""]
BATCHES = [6, 24]
# Better than chance: at least this many of the thirty guessed right (see the docstring).
BETTER_THAN_CHANCE = 10


def derangements(n: int) -> int:
    return round(factorial(n) * sum((-1) ** i / factorial(i) for i in range(n + 1)))


def fixed_point_tail(batches: list[int], at_least: int) -> float:
    """P(total fixed points >= at_least) for independent uniform permutations of each batch."""
    dist = {0: 1.0}
    for n in batches:
        one = {k: comb(n, k) * derangements(n - k) / factorial(n) for k in range(n + 1)}
        joined: dict[int, float] = {}
        for a, p in dist.items():
            for b, q in one.items():
                joined[a + b] = joined.get(a + b, 0.0) + p * q
        dist = joined
    return sum(p for k, p in dist.items() if k >= at_least)


def test_the_stated_bound_is_what_the_numbers_give() -> None:
    assert fixed_point_tail(BATCHES, BETTER_THAN_CHANCE) < 1e-4
    assert fixed_point_tail(BATCHES, BETTER_THAN_CHANCE - 1) > 1e-4  # the smallest such
    assert fixed_point_tail(BATCHES, 0) == pytest.approx(1.0)
    assert fixed_point_tail([3], 3) == pytest.approx(1 / 6)


@pytest.fixture
def roomy_app(settings: Settings, clock: FixedClock, db_engine: Engine) -> FastAPI:
    from web.app import create_app

    # Thirty applications from one test client: every per-client limit is lifted (by name,
    # so a limit added later is lifted too).
    roomy = {
        name: "100000/hour"
        for name, value in settings.model_dump().items()
        if name.endswith("_rate_limit") and isinstance(value, str)
    }
    return create_app(settings.model_copy(update=roomy), clock=clock, engine=db_engine)


@pytest.fixture
def public(roomy_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(roomy_app, raise_server_exceptions=False) as client:
        yield client


def apply(client: TestClient, clock: FixedClock, n: int) -> tuple[str, str | None]:
    """Send application number n with its own answers; they are (age, sex)."""
    answers = (AGES[n % len(AGES)], SEXES[n // len(AGES) % len(SEXES)])
    visitor = Visitor(client)
    fill_in_everything(visitor, clock.today())
    # An address of its own: limits per recipient must not stand in the way either.
    visitor.next("/apply/contact-details?return=check", {"email": f"val{n}@example.org"})
    visitor.next("/apply/equalities?return=check", {"age": answers[0], "sex": answers[1]})
    visitor.next("/apply/check", {"declaration": "yes"})
    return answers[0], answers[1] or None  # a question left blank is stored as None


def cases(db: Engine) -> list[dict[str, Any]]:
    extra = ", xmin::text::bigint AS xid, ctid::text AS place" if on_postgres() else ""
    with db.connect() as conn:
        rows = conn.execute(text(f"SELECT id{extra} FROM case_record ORDER BY id")).all()
    return [dict(r._mapping) for r in rows]


def stored(db: Engine, table: str) -> list[dict[str, Any]]:
    """Rows as an attacker reads them: in storage order, with what the database exposes."""
    if on_postgres():
        sql = f"SELECT age, sex, xmin::text::bigint AS xid FROM {table} ORDER BY ctid"
    else:
        sql = f"SELECT age, sex FROM {table}"  # storage order: no ORDER BY
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql)).all()]


def by_order(rows: list[dict[str, Any]], truth: list[tuple[str, str | None]]) -> int:
    """Guess: the k-th stored row came with the k-th case. How many are right."""
    return sum((r["age"], r["sex"]) == truth[i] for i, r in enumerate(rows) if i < len(truth))


def by_nearest_xid(
    rows: list[dict[str, Any]], case_rows: list[dict[str, Any]], truth: list[tuple[str, str | None]]
) -> int:
    """Guess: each row came with the case whose transaction id is nearest its own."""
    right = 0
    for r in rows:
        nearest = min(range(len(case_rows)), key=lambda i: abs(case_rows[i]["xid"] - r["xid"]))
        right += (r["age"], r["sex"]) == truth[nearest]
    return right


def test_no_join_finds_the_case_of_a_released_answer(
    public: TestClient, clock: FixedClock, db_engine: Engine, session_factory: SessionFactory
) -> None:
    truth: list[tuple[str, str | None]] = []
    batches: list[list[dict[str, Any]]] = []
    seen: list[dict[str, Any]] = []

    def worker_pass() -> equalities.Release:
        with session_factory() as s:
            return equalities.release_due(s, clock=clock)

    truth += [apply(public, clock, n) for n in range(3)]
    held = stored(db_engine, "equalities_held")
    if on_postgres():
        # The attack is real: until the worker's pass, each held row's xmin is next to its case's.
        assert by_nearest_xid(held, cases(db_engine), truth) == 3
    assert worker_pass() == equalities.Release(released=0, waiting=3)
    held = stored(db_engine, "equalities_held")
    assert len(held) == 3
    if on_postgres():
        assert len({r["xid"] for r in held}) == 1, "rewritten together: one xmin"
        assert by_nearest_xid(held, cases(db_engine), truth) <= 1

    for group in (range(3, 6), range(6, 30)):
        truth += [apply(public, clock, n) for n in group]
        assert worker_pass().released == len(truth) - sum(len(b) for b in batches)
        now = stored(db_engine, "equalities_response")
        batches.append([r for r in now if r not in seen])  # timing: what this pass added
        seen = now
    assert [len(b) for b in batches] == BATCHES
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(DISTINCT email) FROM party")).scalar_one() == 30
    assert stored(db_engine, "equalities_held") == []

    released = stored(db_engine, "equalities_response")
    assert sorted(((r["age"], r["sex"]) for r in released), key=str) == sorted(truth, key=str)
    assert by_order(released, truth) < BETTER_THAN_CHANCE
    # Timing: the rows each pass added, in storage order, against the cases sent before it.
    timed = by_order(batches[0], truth[:6]) + by_order(batches[1], truth[6:])
    assert timed < BETTER_THAN_CHANCE
    if on_postgres():
        for batch in batches:
            assert len({r["xid"] for r in batch}) == 1, "a batch is one transaction"
        case_xids = {c["xid"] for c in cases(db_engine)}
        assert not case_xids & {r["xid"] for r in released}
        assert by_nearest_xid(released, cases(db_engine), truth) <= len(batches)
    else:
        for table in ("equalities_held", "equalities_response"):
            with pytest.raises(DBAPIError, match="rowid"), db_engine.connect() as conn:
                conn.execute(text(f"SELECT rowid FROM {table}"))


def test_small_cells_are_coarsened_to_the_quarter_then_the_whole_area() -> None:
    def row(locality: str, period: str) -> dict[str, str]:
        return {"locality_id": locality, "period": period}

    batch = [row("melton", "2026-03")] * 5 + [row("rutland", "2026-03")] * 2
    batch += [row("rutland", "2026-01")] * 3 + [row("blaby", "2026-05")]
    from collections import Counter

    cells = equalities.coarsened(batch, Counter())
    assert cells[:5] == [("melton", "2026-03")] * 5  # five: kept as they are
    assert cells[5:10] == [("rutland", "2026-Q1")] * 5  # 2 + 3 in Rutland's first quarter
    assert cells[10] == (None, "2026")  # one alone: the whole area's year
    # What is stored already counts: four Blaby answers in May make the fifth's cell five.
    assert equalities.coarsened([row("blaby", "2026-05")], Counter({("blaby", "2026-05"): 4})) == [
        ("blaby", "2026-05")
    ]


def test_answers_waiting_into_a_new_month_are_released_even_if_few(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        equalities.add_response(
            s,
            clock=clock,
            area_id="llr",
            locality_id="rutland",
            answers=equalities.EqualitiesIn(age="18_24"),
        )
        s.commit()
        assert equalities.release_due(s, clock=clock) == equalities.Release(0, 1)
        next_month = FixedClock(clock.now().replace(month=4, day=1))
        assert equalities.release_due(s, clock=next_month) == equalities.Release(1, 0)
        (row,) = (
            s.connection()
            .execute(text("SELECT locality_id, period, age FROM equalities_response"))
            .all()
        )
    assert tuple(row) == (None, "2026", "18_24")


def test_the_held_answers_are_written_after_the_case_not_with_it(
    public: TestClient, clock: FixedClock, db_engine: Engine
) -> None:
    if not on_postgres():
        pytest.skip("transaction ids are PostgreSQL's")
    apply(public, clock, 0)
    with db_engine.connect() as conn:
        case_xid = conn.execute(text("SELECT xmin::text::bigint FROM case_record")).scalar_one()
        held_xid = conn.execute(text("SELECT xmin::text::bigint FROM equalities_held")).scalar_one()
    assert held_xid != case_xid


def test_the_web_role_may_only_add_held_answers(db_engine: Engine) -> None:
    """The grants docs/personal-data.md gives, applied to two new roles and tried."""
    if not on_postgres():
        pytest.skip("roles and grants are PostgreSQL's")
    import uuid

    suffix = uuid.uuid4().hex[:8]
    web, worker = f"ct_web_{suffix}", f"ct_worker_{suffix}"
    with db_engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    statements = equalities.grant_statements(web_role=web, worker_role=worker, schema=schema)
    values = {"id": "a" * 32, "area_id": "llr", "locality_id": "melton", "period": "2026-03"}
    insert = text(
        "INSERT INTO equalities_held (id, area_id, locality_id, period)"
        " VALUES (:id, :area_id, :locality_id, :period)"
    )
    with db_engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {web}"))
        conn.execute(text(f"CREATE ROLE {worker}"))
        for sql in statements:
            conn.execute(text(sql))
    try:
        with db_engine.begin() as conn:
            conn.execute(text(f"SET LOCAL ROLE {web}"))
            conn.execute(insert, values)
        for sql in (
            "SELECT * FROM equalities_held",
            "SELECT * FROM equalities_response",
            "DELETE FROM equalities_held",
            "SELECT * FROM case_record",
        ):
            with pytest.raises(DBAPIError, match="permission denied"), db_engine.begin() as conn:
                conn.execute(text(f"SET LOCAL ROLE {web}"))
                conn.execute(text(sql))
        with db_engine.begin() as conn:
            conn.execute(text(f"SET LOCAL ROLE {worker}"))
            assert conn.execute(text("SELECT count(*) FROM equalities_held")).scalar_one() == 1
            conn.execute(text("DELETE FROM equalities_held"))
    finally:
        with db_engine.begin() as conn:
            for role in (web, worker):
                conn.execute(text(f"DROP OWNED BY {role}"))
                conn.execute(text(f"DROP ROLE {role}"))
