"""The API token check: one statement per request, the same actor as before, and revoked
tokens and deactivated users refused (issue 15)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, delete, event, update
from sqlmodel import Session

from engine.access import load_actor
from engine.clock import FixedClock
from engine.errors import NotAuthenticated
from engine.models import ApiToken, RoleGrant, User
from engine.services.staff import actor_for_token, token_hash
from tests.factories import make_staff


def test_a_token_gives_its_users_actor_in_one_statement(
    session: Session, clock: FixedClock, db_engine: Engine
) -> None:
    staff = make_staff(session, clock)
    seen: list[str] = []

    def count(_c, _cur, statement, _p, _ctx, _many):  # type: ignore[no-untyped-def]
        seen.append(statement)

    for member in (staff["jag_chair"], staff["manager"], staff["melton_jag_chair"]):
        session.rollback()
        seen.clear()
        event.listen(db_engine, "before_cursor_execute", count)
        try:
            actor = actor_for_token(session, member.token, clock=clock)
        finally:
            event.remove(db_engine, "before_cursor_execute", count)
        assert [s for s in seen if not s.lstrip().upper().startswith("BEGIN")] == seen[-1:]
        assert len(seen) >= 1 and "api_token" in seen[-1]
        assert actor == member.actor


def test_a_user_without_grants_still_signs_in_with_no_roles(
    session: Session, clock: FixedClock
) -> None:
    staff = make_staff(session, clock)
    user = session.get(User, staff["csp_chair"].actor.user_id)
    assert user is not None
    session.exec(delete(RoleGrant).where(RoleGrant.user_id == user.id))  # type: ignore[call-overload]
    session.commit()
    actor = actor_for_token(session, staff["csp_chair"].token, clock=clock)
    assert actor.user_id == user.id and actor.grants == ()
    assert actor == load_actor(session, user)


@pytest.mark.parametrize("what", ["revoked", "inactive", "unknown"])
def test_a_dead_token_is_refused(session: Session, clock: FixedClock, what: str) -> None:
    staff = make_staff(session, clock)
    token = staff["contact"].token
    if what == "revoked":
        session.exec(  # type: ignore[call-overload]
            update(ApiToken).where(ApiToken.token_hash == token_hash(token)).values(revoked=True)
        )
    elif what == "inactive":
        session.exec(  # type: ignore[call-overload]
            update(User).where(User.id == staff["contact"].actor.user_id).values(active=False)
        )
    else:
        token = token + "x"
    session.commit()
    with pytest.raises(NotAuthenticated):
        actor_for_token(session, token, clock=clock)
