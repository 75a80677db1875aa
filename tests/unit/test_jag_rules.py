"""The JAG package's pure rules: the area's [jag] table, risk bands, name matching, and the
workflow definition checked like every other."""

from __future__ import annotations

from datetime import date

import pytest

from engine import registry
from workflows.jag_case import people, risk
from workflows.jag_case.area import jag_area, parse
from workflows.jag_case.definition import JAG_CASE

AREA = {
    "review_interval": {"amount": 28, "unit": "calendar_days"},
    "peer_review": {"amount": 15, "unit": "working_days"},
    "risk": {
        "medium": 3,
        "high": 5,
        "questions": [
            {"id": "a", "text": "A?", "weight": 2},
            {"id": "b", "text": "B?"},
            {"id": "c", "text": "C?", "weight": 3},
        ],
    },
    "ladder": [{"id": "one", "label": "One"}, {"id": "two", "label": "Two"}],
    "cessation_reasons": {"risk_reduced": "Risk reduced"},
}


def test_the_jag_workflow_is_sound_and_registered_with_its_prefix() -> None:
    assert registry.check_workflow(JAG_CASE) == []
    assert registry.package_for_reference("JAG-2026-000001") is registry.package("jag_case")
    assert registry.package_for_reference("CT-2026-000001") is registry.package("community_trigger")
    events = {
        "accept",
        "decline",
        "assess_risk",
        "add_action",
        "update_action",
        "record_osara",
        "record_ladder_step",
        "set_review_date",
        "request_peer_review",
        "record_peer_review",
        "propose_cessation",
        "cease",
        "keep_open",
        "add_subject",
    }
    assert JAG_CASE.triggers() == events


def test_the_area_data_reads_as_written() -> None:
    jag = jag_area("llr")
    assert [s.label for s in jag.ladder][0] == "Advice or first warning letter"
    assert jag.ladder[-1].id == "court"
    assert "transferred_marac" in jag.cessation_reasons
    assert (jag.review_interval.amount, jag.peer_review.unit) == (28, "working_days")


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"a": False, "b": False, "c": False}, (0, "standard")),
        ({"a": True, "b": False, "c": False}, (2, "standard")),
        ({"a": False, "b": False, "c": True}, (3, "medium")),
        ({"a": True, "b": False, "c": True}, (5, "high")),
        ({"a": True, "b": True, "c": True}, (6, "high")),
    ],
)
def test_a_score_falls_in_its_band(answers: dict[str, bool], expected: tuple[int, str]) -> None:
    assert risk.score(parse(AREA), answers) == expected


def test_every_question_must_be_answered_and_no_other() -> None:
    area = parse(AREA)
    assert risk.answer_errors(area, {"a": True, "b": False, "c": False}) == []
    assert [f for f, _ in risk.answer_errors(area, {"a": True, "z": True})] == [
        "data.answers.z",
        "data.answers.b",
        "data.answers.c",
    ]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"review_interval": {"amount": 0, "unit": "calendar_days"}}, "review_interval"),
        ({"peer_review": {"amount": 3, "unit": "fortnights"}}, "peer_review"),
        ({"risk": {**AREA["risk"], "medium": 5, "high": 5}}, "medium < high"),
        ({"risk": {**AREA["risk"], "questions": [{"id": "a", "text": "x"}] * 2}}, "unique"),
    ],
)
def test_a_wrong_jag_table_is_refused_with_its_reason(change: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse({**AREA, **change})


def test_names_are_folded_so_one_person_is_found_again() -> None:
    born = date(1961, 4, 9)
    assert people.person_key("Ann O'Brien", born) == people.person_key("  ann  O'BRIEN ", born)
    assert people.person_key("Zoë Smith-Jones", None) == people.person_key("zoe smith jones", None)
    assert people.person_key("Ann O'Brien", born) != people.person_key("Ann O'Brien", None)
    assert people.place_key("Victoria Park", "le1 7ru") == people.place_key(
        "VICTORIA PARK", "LE17RU"
    )
