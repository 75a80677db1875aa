"""Structural checks on every workflow definition and area file."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine import registry
from engine.definitions import TransitionDef
from engine.registry import parse_area
from notifications.render import template_names

WORKFLOWS = registry.workflow_names()


@pytest.mark.parametrize("name", WORKFLOWS)
def test_every_workflow_is_structurally_sound(name: str) -> None:
    assert registry.check_workflow(registry.workflow(name)) == []


@pytest.mark.parametrize("name", WORKFLOWS)
def test_every_message_a_workflow_queues_has_a_template(name: str) -> None:
    wf = registry.workflow(name)
    assert {m.message for m in wf.messages} <= template_names()


@pytest.mark.parametrize("name", WORKFLOWS)
def test_every_deadline_rule_has_a_timescale_in_every_area(name: str) -> None:
    wf = registry.workflow(name)
    for area_id in registry.area_ids():
        area = registry.area(area_id)
        for rule in wf.deadlines:
            for locality in area.localities:
                assert area.timescale(rule.timescale, locality).amount >= 1


def test_a_transition_without_roles_is_reported() -> None:
    wf = registry.workflow("community_trigger")
    broken = TransitionDef("acknowledge", ("submitted",), "acknowledged", (), "x")
    problems = registry.check_workflow(replace(wf, transitions=(*wf.transitions, broken)))
    assert "transition 'acknowledge' names no role (deny by default)" in problems


def test_an_unknown_guard_and_an_unreachable_state_are_reported() -> None:
    wf = registry.workflow("community_trigger")
    kept = tuple(t for t in wf.transitions if t.trigger != "appeal_papers_sent")
    bad = TransitionDef(
        "acknowledge", ("submitted",), "acknowledged", ("contact",), "x", ("no_such_guard",)
    )
    problems = registry.check_workflow(replace(wf, transitions=(*kept, bad)))
    assert "transition 'acknowledge' has unknown guard 'no_such_guard'" in problems
    assert "state 'appeal_papers_sent' cannot be reached" in problems


def test_llr_ships_the_nine_localities_with_fixed_ids() -> None:
    area = registry.area("llr")
    assert sorted(area.localities) == sorted(
        [
            "blaby",
            "charnwood",
            "harborough",
            "hinckley-and-bosworth",
            "melton",
            "north-west-leicestershire",
            "oadby-and-wigston",
            "leicester",
            "rutland",
        ]
    )
    # Blaby and Hinckley & Bosworth share one CSP.
    assert (
        area.localities["blaby"].partnership == area.localities["hinckley-and-bosworth"].partnership
    )


def test_llr_timescales_are_the_documented_defaults() -> None:
    area = registry.area("llr")
    got = {name: (t.amount, t.unit) for name, t in area.timescales.items()}
    assert got == {
        "acknowledgement": (1, "working_days"),
        "threshold_decision": (14, "calendar_days"),
        "review_outcome": (28, "calendar_days"),
        "appeal_window": (20, "working_days"),
        "appeal_papers": (1, "working_days"),
        "appeal_decision": (20, "working_days"),
    }
    assert area.threshold.incidents == 3 and area.threshold.complainants == 3


def _raw_area(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "id": "x",
        "name": "X",
        "timescales": {"a": {"amount": 1, "unit": "working_days"}},
        "partnerships": {"p": {"name": "P"}},
        "localities": {"l": {"name": "L", "partnership": "p"}},
    }
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"threshold": {"incidents": 4}}, "3"),
        ({"timescales": {"a": {"amount": 1, "unit": "fortnights"}}}, "unit"),
        ({"timescales": {"a": {"amount": 0, "unit": "working_days"}}}, "at least 1"),
        ({"localities": {"l": {"name": "L", "partnership": "nope"}}}, "unknown partnership"),
    ],
    ids=["threshold_above_the_act", "unknown_unit", "zero_days", "unknown_partnership"],
)
def test_a_bad_area_file_is_refused_with_a_reason(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_area(_raw_area(**changes))
