"""Staff users, their role grants per locality, and API tokens (stored hashed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(sa_column=utc_column())
    # Browser sign-in: an Argon2 hash, a TOTP secret, and the lockout counters.
    password_hash: str | None = Field(default=None, max_length=200)
    totp_secret: str | None = Field(default=None, max_length=64)
    # True after an admin issues a new TOTP secret: the next sign-in shows the QR code and
    # the first correct code confirms the authenticator app before a session is granted.
    totp_enrolment_due: bool = Field(default=False)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_login_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # The last TOTP time step a code was accepted for: each code signs in once only.
    totp_last_step: int | None = Field(default=None, sa_type=BigInteger)


class RoleGrant(SQLModel, table=True):
    """A role held in one locality, or across the whole area when locality_id is empty."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "role", "area_id", "locality_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    role: str = Field(max_length=40)
    area_id: str = Field(foreign_key="area.id", max_length=40)
    locality_id: str | None = Field(default=None, foreign_key="locality.id", max_length=60)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=utc_column())
    revoked: bool = False
    # None for tokens made before expiry existed: they last the default term from creation.
    expires_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class StaffSession(SQLModel, table=True):
    """A signed-in browser; the id is a hash of the cookie, never the cookie itself."""

    __tablename__ = "staff_session"
    __table_args__ = (Index("ix_staff_session_expires_at", "expires_at"),)
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    # False until the second factor is given: a password alone opens no staff page.
    verified: bool = False
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())


class SignInThrottle(SQLModel, table=True):
    """Wrong sign-in attempts per e-mail address and client, for staff and unknown addresses
    alike (so the answer never tells which addresses are accounts). The key is a hash: the
    table does not list the addresses people tried."""

    __tablename__ = "sign_in_throttle"
    __table_args__ = (Index("ix_sign_in_throttle_updated_at", "updated_at"),)
    id: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    wait_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    updated_at: datetime = Field(sa_column=utc_column())
