"""Staff sign-in: Argon2 passwords, TOTP second factor, lockout and server-side sessions."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlmodel import Session, col, delete, select

from engine.access import Actor, Grant
from engine.clock import Clock
from engine.errors import InvalidInput, NotAuthenticated, NotFound
from engine.models import RoleGrant, SignInThrottle, StaffSession, User

MAX_FAILURES = 5
# After MAX_FAILURES wrong attempts from one client for one e-mail address, each further
# wrong attempt doubles the wait, from FIRST_WAIT up to LOCKOUT; a quiet day forgets them.
FIRST_WAIT = timedelta(minutes=1)
LOCKOUT = timedelta(minutes=15)
FORGET_FAILURES_AFTER = timedelta(days=1)
IDLE_TIMEOUT = timedelta(minutes=30)
# However much a session is used, it ends this long after sign-in.
ABSOLUTE_LIFETIME = timedelta(hours=12)
TOTP_STEP_SECONDS = 30
TOUCH_EVERY = timedelta(minutes=1)  # how often use writes the idle timeout forward
# The gap between password and code: long enough to open an authenticator app.
SECOND_FACTOR_WINDOW = timedelta(minutes=5)
MIN_PASSWORD_LENGTH = 12
ISSUER = "ctengine LLR"
WRONG = "Enter a correct email address and password."
WRONG_CODE = "Enter a correct security code."

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Compared against when the email is unknown, so a miss takes as long as a wrong
    password. Made on first use, not at import: hashing costs a third of a second, which
    every process importing this module (the worker too) would otherwise pay at start-up."""
    return _hasher.hash("not-a-real-password")


class LockedOut(NotAuthenticated):
    """Too many wrong attempts: the account waits before it accepts another."""


@dataclass(frozen=True)
class Enrolment:
    """What set_password did: with `enrolment_due`, the user sets up their authenticator
    app from a QR code at their next sign-in, and nobody else needs to see the secret."""

    email: str
    password: str
    totp_secret: str
    otpauth_uri: str
    enrolment_due: bool = False


@dataclass(frozen=True)
class TotpSetUp:
    """What the enrolment page shows: the set-up key and the URI its QR code carries."""

    email: str
    totp_secret: str
    otpauth_uri: str


def set_password(
    session: Session,
    *,
    clock: Clock,
    email: str,
    password: str | None = None,
    new_totp: bool = False,
) -> Enrolment:
    """Set (or generate) a password; give the user a TOTP secret if they have none.

    With `new_totp` the old authenticator stops working and the user enrols again, from a
    QR code, when they next sign in. A first secret given without it is the caller's to
    hand over (the demo data prints it).
    """
    user = _user(session, email)
    if user is None:
        raise NotFound(f"No user with email {email}.")
    done = give_password(session, user, password=password, new_totp=new_totp)
    session.commit()
    return done


def give_password(
    session: Session, user: User, *, password: str | None = None, new_totp: bool = False
) -> Enrolment:
    """set_password's change in the caller's transaction (the caller commits): the admin
    pages write it with their audit row."""
    password = password if password is not None else secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    user.password_hash = _hasher.hash(password)
    if new_totp or not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
    if new_totp:
        user.totp_enrolment_due = True
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    # The old authenticator (or whoever holds it) keeps no way in: end every session.
    if new_totp:
        end_user_sessions(session, user)
    return Enrolment(
        user.email, password, user.totp_secret, otpauth_uri(user), user.totp_enrolment_due
    )


def new_authenticator(session: Session, user: User) -> None:
    """`set-password --new-totp` without a new password (the caller commits): the old app
    stops working, every session ends, and the user sets up an app at their next sign-in."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enrolment_due = True
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    end_user_sessions(session, user)


def end_user_sessions(session: Session, user: User) -> None:
    """Sign the user out everywhere (the caller commits)."""
    session.exec(delete(StaffSession).where(col(StaffSession.user_id) == user.id))


def has_totp(session: Session, *, email: str) -> bool:
    """Whether the user already has an authenticator set up (or one handed to them)."""
    user = _user(session, email)
    return user is not None and bool(user.totp_secret) and not user.totp_enrolment_due


def pending_enrolment(session: Session, *, clock: Clock, pending_token: str) -> TotpSetUp | None:
    """For a browser between password and code: the set-up to show, if the user must enrol.

    Only a live, not yet signed-in session of a user whose enrolment is due gets the secret.
    """
    row = _live_session(session, pending_token, clock.now())
    if row is None or row.verified:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.totp_enrolment_due or not user.totp_secret:
        return None
    return TotpSetUp(user.email, user.totp_secret, otpauth_uri(user))


def otpauth_uri(user: User) -> str:
    """What an authenticator app scans (or has typed in) to produce this user's codes."""
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(name=user.email, issuer_name=ISSUER)


def check_password(
    session: Session, *, clock: Clock, email: str, password: str, client: str = ""
) -> str:
    """First factor: returns a pending session token that only the second factor can use.

    Wrong attempts are counted per e-mail address and client whether or not the address is
    an account, so the answers (and the waits) never tell which addresses are staff, and
    nobody elsewhere can make a member of staff wait.
    """
    key = throttle_key(email, client)
    _refuse_if_waiting(session, key, clock.now())
    user = _user(session, email)
    if user is None or not user.active or not user.password_hash:
        _hasher_verify(_dummy_hash(), password)
        _count_failure(session, key, clock.now())
        raise NotAuthenticated(WRONG)
    if not _hasher_verify(user.password_hash, password):
        _count_failure(session, key, clock.now())
        raise NotAuthenticated(WRONG)
    if not user.totp_secret:
        raise NotAuthenticated("Your account has no security code set up. Ask an administrator.")
    return _new_session(session, user, verified=False, now=clock.now(), ttl=SECOND_FACTOR_WINDOW)


def check_code(
    session: Session, *, clock: Clock, pending_token: str, code: str, client: str = ""
) -> str:
    """Second factor: a correct TOTP code swaps the pending session for a signed-in one.

    Each code is used once: the step it belongs to must be later than the last one that
    signed this user in, so a code seen over a shoulder or in a log cannot be replayed.
    """
    now = clock.now()
    row = _live_session(session, pending_token, now)
    if row is None or row.verified:
        raise NotAuthenticated("Your sign-in has timed out. Sign in again.")
    user = session.get(User, row.user_id)
    assert user is not None
    key = throttle_key(user.email, client)
    _refuse_if_waiting(session, key, now)
    step = _code_step(user.totp_secret or "", code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        _count_failure(session, key, now)
        raise NotAuthenticated(WRONG_CODE)
    session.delete(row)  # a fresh id after sign-in: no session fixation
    session.exec(delete(SignInThrottle).where(col(SignInThrottle.id) == key))
    user.totp_last_step = step
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    # The first correct code proves the authenticator app is set up: enrolment is done.
    user.totp_enrolment_due = False
    session.add(user)
    return _new_session(session, user, verified=True, now=now, ttl=IDLE_TIMEOUT)


def session_actor(
    session: Session, *, clock: Clock, token: str, keep_reading: bool = False
) -> Actor:
    """The signed-in actor for a session cookie; use pushes the idle timeout back.

    One statement reads the session, its user and the user's grants. The push is written
    at most once per TOUCH_EVERY: a page view is then a read, not a write (no commit, and on
    SQLite no write lock), and the idle timeout is still met to within that minute. The
    push gets a transaction of its own (the read may be a snapshot, which must not write).

    With `keep_reading` the read transaction is left open for the page to go on reading in
    (one connection per request); otherwise it ends here, before a service opens its own.
    """
    now = clock.now()
    sid = session_id(token) if token else ""
    rows = session.connection().execute(_SIGNED_IN, {"sid": sid}).all() if sid else []
    first = rows[0] if rows else None
    if first is None or first.expires_at <= now or not first.verified or not first.active:
        raise NotAuthenticated("Sign in to continue.")
    ends = first.created_at + ABSOLUTE_LIFETIME
    if ends <= now:
        raise NotAuthenticated("Sign in to continue.")
    grants = tuple(Grant(r.role, r.area_id, r.locality_id) for r in rows if r.role is not None)
    actor = Actor(user_id=first.user_id, label=first.name, grants=grants)
    if first.expires_at < min(now + IDLE_TIMEOUT, ends) - TOUCH_EVERY:
        session.rollback()
        pushed = min(now + IDLE_TIMEOUT, ends)
        session.connection().execute(_TOUCH, {"sid": sid, "expires_at": pushed})
        session.commit()
    elif not keep_reading:
        session.rollback()  # end the read: the page opens its own transaction
    return actor


_SESSIONS, _USERS, _GRANTS = (
    StaffSession.__table__,  # type: ignore[attr-defined]
    User.__table__,  # type: ignore[attr-defined]
    RoleGrant.__table__,  # type: ignore[attr-defined]
)
# A signed-in session with its user and every grant the user holds (one row per grant, or
# one row with no grant): built once, so a request pays only for running it.
_SIGNED_IN = (
    sa_select(
        _SESSIONS.c.expires_at,
        _SESSIONS.c.created_at,
        _SESSIONS.c.verified,
        _USERS.c.id.label("user_id"),
        _USERS.c.name,
        _USERS.c.active,
        _GRANTS.c.role,
        _GRANTS.c.area_id,
        _GRANTS.c.locality_id,
    )
    .select_from(
        _SESSIONS.join(_USERS, _USERS.c.id == _SESSIONS.c.user_id).outerjoin(
            _GRANTS, _GRANTS.c.user_id == _USERS.c.id
        )
    )
    .where(_SESSIONS.c.id == bindparam("sid"))
    .order_by(_GRANTS.c.id)
)
_TOUCH = (
    sa_update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("sid"))
    .values(expires_at=bindparam("expires_at"))
)


def end_session(session: Session, *, token: str) -> None:
    session.exec(delete(StaffSession).where(col(StaffSession.id) == session_id(token)))
    session.commit()


def purge_sessions(session: Session, *, clock: Clock) -> int:
    """Remove expired sessions; returns how many went."""
    result = session.exec(delete(StaffSession).where(col(StaffSession.expires_at) < clock.now()))
    session.commit()
    return int(result.rowcount or 0)


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def _hasher_verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _code_step(secret: str, code: str, now: datetime) -> int | None:
    """The TOTP time step the code belongs to, or None when it is not a current code."""
    digits = "".join(code.split())
    # isascii too: str.isdigit accepts other scripts' digits, which no authenticator sends.
    if not secret or len(digits) != 6 or not (digits.isascii() and digits.isdigit()):
        return None
    totp, current = pyotp.TOTP(secret), int(now.timestamp()) // TOTP_STEP_SECONDS
    # One step either side forgives a phone clock that is a little out.
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), digits):
            return step
    return None


def throttle_key(email: str, client: str) -> str:
    """The sign-in throttle's row for an e-mail address tried from one client (a hash)."""
    return hashlib.sha256(f"{email.strip().lower()}\n{client}".encode()).hexdigest()


def _refuse_if_waiting(session: Session, key: str, now: datetime) -> None:
    row = session.get(SignInThrottle, key)
    if row is not None and row.wait_until is not None and row.wait_until > now:
        minutes = max(1, int((row.wait_until - now).total_seconds() // 60) + 1)
        session.rollback()
        raise LockedOut(f"Too many wrong attempts. Try again in {minutes} minutes.")


def _count_failure(session: Session, key: str, now: datetime) -> None:
    """One more wrong attempt; from the MAX_FAILURES-th on, each one doubles the wait."""
    row = session.get(SignInThrottle, key, with_for_update=True)
    if row is None or row.updated_at < now - FORGET_FAILURES_AFTER:
        row = row or SignInThrottle(id=key, updated_at=now)
        row.failures, row.wait_until = 0, None
    row.failures += 1
    row.updated_at = now
    if row.failures >= MAX_FAILURES:
        wait = FIRST_WAIT * 2 ** (row.failures - MAX_FAILURES)
        row.wait_until = now + min(wait, LOCKOUT)
    session.add(row)
    session.commit()


def purge_throttle(session: Session, *, clock: Clock) -> int:
    """Forget wrong attempts nobody has repeated for a day (for a periodic sweep)."""
    cutoff = clock.now() - FORGET_FAILURES_AFTER
    result = session.exec(delete(SignInThrottle).where(col(SignInThrottle.updated_at) < cutoff))
    session.commit()
    return int(result.rowcount or 0)


def _new_session(
    session: Session, user: User, *, verified: bool, now: datetime, ttl: timedelta
) -> str:
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(
        StaffSession(
            id=session_id(token),
            user_id=user.id,
            verified=verified,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.commit()
    return token


def _live_session(session: Session, token: str, now: datetime) -> StaffSession | None:
    row = session.get(StaffSession, session_id(token)) if token else None
    return row if row is not None and row.expires_at > now else None
