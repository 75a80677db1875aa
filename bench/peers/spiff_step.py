"""SpiffWorkflow's persisted step: the peer ceiling for one of our workflow steps.

One step here is what a service built on SpiffWorkflow does per event: in a new session, read
the case's serialized workflow (version-checked), deserialize it, run its one ready manual
task, serialize it, write it back with the version bumped, add an audit row, commit. The
workflow is a chain of manual tasks named like the Community Trigger's stages. Needs the
optional `peers` dependencies (`pip install -e '.[peers]'`); `available()` says if they are.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, text

STAGES = ("received", "acknowledged", "threshold", "meeting", "response", "closed")


def available() -> bool:
    try:
        import SpiffWorkflow  # noqa: F401
    except ImportError:
        return False
    return True


def _spec() -> Any:
    from SpiffWorkflow.specs.Simple import Simple
    from SpiffWorkflow.specs.WorkflowSpec import WorkflowSpec

    spec = WorkflowSpec("community_trigger", addstart=True)
    previous = spec.start
    for name in STAGES:
        task = Simple(spec, name)
        task.manual = True
        previous.connect(task)
        previous = task
    return spec


def _ready_workflow(serializer: Any) -> str:
    from SpiffWorkflow.util.task import TaskState
    from SpiffWorkflow.workflow import Workflow

    workflow = Workflow(_spec())
    for task in workflow.get_tasks(state=TaskState.READY):
        task.run()  # past Start: the workflow waits at "received", as a new case does
    return workflow.serialize(serializer)


def set_up(engine: Engine, count: int) -> None:
    """`count` workflows waiting at their first manual task, in tables of their own."""
    from SpiffWorkflow.serializer.json import JSONSerializer

    state = _ready_workflow(JSONSerializer())
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS peer_spiff_audit"))
        conn.execute(text("DROP TABLE IF EXISTS peer_spiff_case"))
        conn.execute(
            text(
                "CREATE TABLE peer_spiff_case (id INTEGER PRIMARY KEY, version INTEGER NOT NULL,"
                " state TEXT NOT NULL)"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE peer_spiff_audit (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL"
                " REFERENCES peer_spiff_case (id), task TEXT NOT NULL, at DOUBLE PRECISION)"
            )
        )
        conn.execute(
            text("INSERT INTO peer_spiff_case (id, version, state) VALUES (:id, 1, :state)"),
            [{"id": n + 1, "state": state} for n in range(count)],
        )


def step(engine: Engine, case_id: int, audit_id: int) -> str:
    """One persisted step on case `case_id`; returns the task it ran."""
    from SpiffWorkflow.serializer.json import JSONSerializer
    from SpiffWorkflow.util.task import TaskState
    from SpiffWorkflow.workflow import Workflow

    serializer = JSONSerializer()
    with engine.begin() as conn:
        version, state = conn.execute(
            text("SELECT version, state FROM peer_spiff_case WHERE id = :id"), {"id": case_id}
        ).one()
        workflow = Workflow.deserialize(serializer, state)
        task = workflow.get_tasks(state=TaskState.READY)[0]
        task.run()
        changed = conn.execute(
            text(
                "UPDATE peer_spiff_case SET state = :state, version = version + 1"
                " WHERE id = :id AND version = :version"
            ),
            {"state": workflow.serialize(serializer), "id": case_id, "version": version},
        ).rowcount
        if changed != 1:
            raise RuntimeError("the peer's version check failed")
        conn.execute(
            text("INSERT INTO peer_spiff_audit (id, case_id, task, at) VALUES (:a, :c, :t, :at)"),
            {"a": audit_id, "c": case_id, "t": task.task_spec.name, "at": time.time()},
        )
    return str(task.task_spec.name)


def timed_step(engine: Engine, case_id: int, audit_id: int) -> float:
    began = time.perf_counter()
    step(engine, case_id, audit_id)
    return time.perf_counter() - began
