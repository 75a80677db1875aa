"""Action forms drawn from the workflow's data models, and the posted answers read back."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from engine import registry
from web.staff import forms

KINDS = {"text", "textarea", "date", "radios", "checkbox", "lines", "number", "pairs"}


@pytest.mark.parametrize("name", registry.workflow_names())
def test_every_event_of_every_workflow_gets_a_form_of_known_field_kinds(name: str) -> None:
    for t in registry.workflow(name).transitions:
        fields = forms.fields_for(t.data)
        assert {f.kind for f in fields} <= KINDS | {"recommendations", "changes"}, t.trigger
        if t.data is not None:
            assert [f.name for f in fields] == list(t.data.model_fields)


def test_the_posted_answers_become_the_events_data_and_validate() -> None:
    wf = registry.workflow("community_trigger")
    model = wf.transition("jag_report_recorded", "under_review").data
    fields = forms.fields_for(model)
    form = FormData(
        [
            ("findings", "Logs were not shared."),
            ("agency_summaries", "Police: attended twice\nCouncil: sent letters"),
            ("recommendations", "Police | Share logs | PC Smith | 2026-04-30\nCouncil | Visit"),
        ]
    )
    data, errors = forms.parse(fields, form)
    assert errors == {}
    parsed = model.model_validate(data)  # type: ignore[union-attr]
    assert parsed.agency_summaries == {"Police": "attended twice", "Council": "sent letters"}
    assert [r.owner for r in parsed.recommendations] == ["PC Smith", None]


def test_dates_radios_and_lines_are_read_from_their_boxes() -> None:
    model = (
        registry.workflow("community_trigger")
        .transition("review_meeting_held", "review_scheduled")
        .data
    )
    fields = forms.fields_for(model)
    kinds = {f.name: f.kind for f in fields}
    assert kinds["held_on"] == "date" and kinds["victim_involvement"] == "radios"
    assert kinds["attendees"] == "lines"
    form = FormData(
        [
            ("held_on-day", "3"),
            ("held_on-month", "3"),
            ("held_on-year", "2026"),
            ("attendees", "Police\n\nCouncil\n"),
            ("victim_involvement", "attend"),
        ]
    )
    data, errors = forms.parse(fields, form)
    assert errors == {}
    assert data == {
        "held_on": "2026-03-03",
        "attendees": ["Police", "Council"],
        "victim_involvement": "attend",
    }


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("agency_summaries", "no colon here", "name: text"),
        ("recommendations", "only one part", "who it is for"),
        ("recommendations", "Police | Act | Owner | 30/04/2026", "YYYY-MM-DD"),
    ],
)
def test_lines_that_cannot_be_read_are_named_in_the_errors(
    name: str, value: str, message: str
) -> None:
    model = (
        registry.workflow("community_trigger")
        .transition("jag_report_recorded", "under_review")
        .data
    )
    _data, errors = forms.parse(forms.fields_for(model), FormData([(name, value)]))
    assert message in errors[name]


def test_an_impossible_date_is_an_error_and_an_empty_one_is_left_out() -> None:
    field = forms.FormField("held_on", "Held on", "date", True)
    bad = FormData([("held_on-day", "30"), ("held_on-month", "2"), ("held_on-year", "2026")])
    assert "real date" in forms.parse([field], bad)[1]["held_on"]
    assert forms.parse([field], FormData([])) == ({}, {})


def test_an_engine_error_field_maps_to_the_form_field() -> None:
    fields = [forms.FormField("reasons", "Reasons", "textarea", True)]
    assert forms.field_of("data.reasons", fields) == "reasons"
    assert forms.field_of("data.recommendations.0.action", fields) == "reasons"
    assert forms.field_of(None, []) == "event"


@pytest.mark.parametrize(
    "day, month, year, message",
    [
        ("12", "", "2026", "Held on must include a month"),
        ("12", "3", "26", "Year must include 4 numbers"),
        ("31", "4", "2026", "Held on must be a real date"),
    ],
)
def test_a_staff_date_gets_the_same_gov_uk_messages_as_the_public_form(
    day: str, month: str, year: str, message: str
) -> None:
    field = forms.FormField("held_on", "Held on", "date", True)
    given = FormData([("held_on-day", day), ("held_on-month", month), ("held_on-year", year)])
    assert forms.parse([field], given)[1]["held_on"] == message


def test_a_staff_date_may_name_its_month() -> None:
    field = forms.FormField("held_on", "Held on", "date", True)
    given = FormData([("held_on-day", "3"), ("held_on-month", "March"), ("held_on-year", "2026")])
    assert forms.parse([field], given) == ({"held_on": "2026-03-03"}, {})
