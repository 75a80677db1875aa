"""Fixtures shared by the security tests: the staff of every role, with tokens."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from engine.clock import FixedClock
from tests.factories import make_staff


@pytest.fixture
def staff(session: Session, clock: FixedClock):  # type: ignore[no-untyped-def]
    return make_staff(session, clock)
