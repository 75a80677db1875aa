"""Structural checks on every workflow definition and area file."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine import registry
from engine.definitions import MessageRule, TransitionDef
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
            if rule.timescale is None:  # due on each item's own date: no timescale to find
                continue
            for locality in area.localities:
                assert area.timescale(rule.timescale, locality).amount >= 1


@pytest.mark.parametrize("name", WORKFLOWS)
def test_every_reminder_and_escalation_message_has_a_template(name: str) -> None:
    wf = registry.workflow(name)
    for area_id in registry.area_ids():
        settings = registry.area(area_id).reminders
        for rule in wf.deadlines:
            policy = settings.policy(rule.name)
            used = {policy.remind_message, policy.escalate_message, policy.applicant_message}
            assert used <= template_names(), (area_id, rule.name)


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
        "jag_papers": (3, "working_days"),
    }
    assert "3 days before the meeting" in area.timescales["jag_papers"].source
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


def _with_rule(**changes: object) -> list[str]:
    wf = registry.workflow("community_trigger")
    rule = replace(next(r for r in wf.deadlines if r.name == "jag_papers"), **changes)
    kept = tuple(r for r in wf.deadlines if r.name != "jag_papers")
    return registry.check_workflow(replace(wf, deadlines=(*kept, rule)))


def test_an_anchor_the_opening_event_does_not_require_as_a_date_is_reported() -> None:
    problems = _with_rule(anchor="attendees")
    assert (
        "deadline 'jag_papers' counts from 'attendees', which event 'review_meeting_arranged' "
        "does not require as a date"
    ) in problems
    assert _with_rule(anchor="no_such_field") != []


def test_a_direction_other_than_forward_or_back_is_reported() -> None:
    assert "deadline 'jag_papers' has direction 0; use 1 or -1" in _with_rule(direction=0)


def test_a_clock_with_no_timescale_may_not_name_triggers() -> None:
    problems = _with_rule(timescale=None)
    assert any("has no timescale" in p for p in problems)


def test_a_message_condition_on_a_value_the_event_cannot_have_is_reported() -> None:
    wf = registry.workflow("community_trigger")
    bad = MessageRule(
        "review_meeting_arranged", "review_meeting_arranged", "applicant",
        when=(("victim_involvement", ("dance",)),),
    )  # fmt: skip
    problems = registry.check_workflow(replace(wf, messages=(*wf.messages, bad)))
    assert any("depends on 'victim_involvement'" in p for p in problems)


def test_a_message_condition_picks_messages_by_the_event_data() -> None:
    wf = registry.workflow("community_trigger")
    names = [m.message for m in wf.messages_for("review_meeting_arranged", {})]
    assert names == []
    for part in ("attend", "representative", "impact_statement"):
        chosen = wf.messages_for("review_meeting_arranged", {"victim_involvement": part})
        assert [m.message for m in chosen] == ["review_meeting_arranged"]
    assert wf.messages_for("review_meeting_arranged", {"victim_involvement": "none"}) == []
