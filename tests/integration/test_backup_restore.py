"""`ctengine db backup` and `db restore`: a backup restored into an empty database holds
every case, audit row and outbox row."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from engine.clock import FixedClock
from engine.db import SessionFactory, make_engine
from engine.models import AuditEvent, Case, OutboxMessage
from engine.sweeps import sweep_deadlines
from notifications.outbox import dispatch_once
from tests.conftest import PG_URL, on_postgres
from tests.factories import make_case, make_staff
from tests.integration.test_channels_smtp import free_port
from tests.integration.test_outbox import RecordingChannel
from tests.integration.test_reliability import CTENGINE, _env


def _everything(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return {
            "cases": [
                tuple(r)
                for r in conn.execute(
                    select(Case.reference, Case.state, Case.version).order_by(Case.id)
                )
            ],
            "audit": [
                tuple(r)
                for r in conn.execute(
                    select(
                        AuditEvent.id, AuditEvent.case_id, AuditEvent.trigger, AuditEvent.to_state
                    ).order_by(AuditEvent.id)
                )
            ],
            "outbox": [
                tuple(r)
                for r in conn.execute(
                    select(
                        OutboxMessage.id, OutboxMessage.idempotency_key, OutboxMessage.status
                    ).order_by(OutboxMessage.id)
                )
            ],
        }


@pytest.fixture
def empty_target(tmp_path: Path, _template: dict[str, str]) -> Iterator[tuple[str, Engine]]:
    """An empty database: a new SQLite file, or a new PostgreSQL database."""
    if not on_postgres():
        url = f"sqlite:///{tmp_path / 'restored.db'}"
        yield url, make_engine(url)
        return
    name = f"ct_restore_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url, schema=_template["schema"])
    yield url, engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_restored_into_an_empty_database_has_every_case_audit_and_outbox_row(
    db_engine: Engine,
    _template: dict[str, str],
    session_factory: SessionFactory,
    clock: FixedClock,
    tmp_path: Path,
    empty_target: tuple[str, Engine],
) -> None:
    with session_factory() as s:
        make_staff(s, clock)
        for n in range(3):
            make_case(s, clock, email=f"person{n}@example.org")
    sweep_deadlines(session_factory, clock=clock)
    dispatch_once(session_factory, channel=RecordingChannel(), clock=clock, worker="w1")
    clock.advance(days=3)
    sweep_deadlines(session_factory, clock=clock)  # escalations: some sent, some pending
    before = _everything(db_engine)
    assert len(before["cases"]) == 3 and len(before["audit"]) >= 3
    assert {"sent", "pending"} <= {row[2] for row in before["outbox"]}

    env = _env(db_engine, _template, free_port(), tmp_path)
    out = tmp_path / "ctengine.backup"
    run = subprocess.run(
        [str(CTENGINE), "db", "backup", "--out", str(out)],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert out.stat().st_size > 0

    url, target = empty_target
    env["CTENGINE_DATABASE_URL"] = url
    restore = [str(CTENGINE), "db", "restore", str(out)]
    done = subprocess.run(restore, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _everything(target) == before

    again = subprocess.run(restore, env=env, capture_output=True, timeout=120)
    assert again.returncode == 2 and b"empty" in again.stderr  # never over a live database
    assert _everything(target) == before
