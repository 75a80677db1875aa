"""Personal data stays out of the logs, even when the database refuses a statement."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from engine import logs
from engine.db import Timeouts, make_engine
from engine.models import User

EMAIL = "val.secret+case@example.org"


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    out = io.StringIO()
    logs.configure(stream=out)
    yield out
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    logging.getLogger("uvicorn.access").disabled = False


def test_a_database_error_about_an_applicant_logs_no_personal_data(
    db_engine: Engine, _template: dict[str, str], log_text: io.StringIO
) -> None:
    url = db_engine.url.render_as_string(hide_password=False)
    engine = make_engine(url, schema=_template.get("schema"), timeouts=Timeouts())
    row = {
        "email": EMAIL,
        "name": "Val Victim, 07700 900123, LE1 6ZG",
        "created_at": _now(),
        "active": True,
        "totp_enrolment_due": False,
        "failed_logins": 0,
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(User), [row])
            conn.execute(insert(User), [row])  # the address is taken: the database refuses
    except IntegrityError:
        logging.getLogger("ctengine.test").exception("could not add user %s", EMAIL)
    finally:
        engine.dispose()
    text = log_text.getvalue()
    assert "IntegrityError" in text  # the error itself is logged
    assert "[email]" in text
    for secret in (EMAIL, "val.secret", "07700 900123", "LE1 6ZG", "Val Victim"):
        assert secret not in text, secret


def test_the_filter_takes_out_addresses_phone_numbers_and_postcodes() -> None:
    said = logs.redact("to val@example.org on +44 7700 900123 or 0116 496 0000 at le1 6zg")
    assert said == "to [email] on [phone] or [phone] at [postcode]"
    assert logs.redact("case CT-2026-000123 step remind_2") == "case CT-2026-000123 step remind_2"


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from engine.clock import FixedClock

    return FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC)).now()
