"""Staff pages for JAG case work, as people use them: the referral form, the case page, each
event's form (GOV.UK error summary, nothing stored on bad input, CSRF), My work, and finding
JAG cases beside Community Trigger ones; role and locality refused as the engine decides."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, func, select

from engine.access import load_actor
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import AuditEvent, Case, User
from engine.services.cases import record_event
from engine.services.staff import add_user
from tests.factories import make_case, make_staff
from tests.integration.test_staff_login import PASSWORD, Staff, browser_for
from workflows.jag_case import services as jag_services
from workflows.jag_case.area import jag_area

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
PARTNER = "housing.officer@example.org"
HREFS = re.compile(r'<a href="(#[^"]+)">')
REFERRAL = {
    "locality": "leicester",
    "subject_kind": "victim",
    "person_name": "Ann Example",
    "person_date_of_birth-day": "3",
    "person_date_of_birth-month": "4",
    "person_date_of_birth-year": "1961",
    "reason": "Targeted by neighbours for a year; police and housing both involved.",
    "agencies": ["Police", "Housing provider"],
}


def summary_links(html: str) -> list[str]:
    box = html.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    return HREFS.findall(box)


class World:
    """Leicester and Melton staff, a trained Leicester chair, and helpers to work a case."""

    def __init__(self, app: Any, session: Session, sessions: SessionFactory, clock: FixedClock):
        self.app, self.session, self.sessions, self.clock = app, session, sessions, clock
        self.staff = make_staff(session, clock)
        add_user(
            session,
            clock=clock,
            email="jag@example.org",
            name="Jag Chair",
            role="cessation_trained",
            locality="leicester",
        )
        add_user(
            session,
            clock=clock,
            email=PARTNER,
            name="Housing Officer",
            role="partner",
            locality="leicester",
        )
        session.commit()

    def email(self, key: str) -> str:
        return PARTNER if key == "partner" else self.staff[key].email

    def user(self, key: str) -> Staff:
        me = browser_for(self.app, self.session, self.clock, self.email(key))
        me.sign_in()
        return me

    def actor(self, key: str) -> Any:
        with self.sessions() as s:
            user = s.exec(select(User).where(User.email == self.email(key))).one()
            return load_actor(s, user)

    def refer(self, who: str = "contact", **changes: Any) -> str:
        actor = self.actor(who)
        body: dict[str, Any] = {
            "area_id": "llr",
            "locality_id": "leicester",
            "subject_kind": "victim",
            "subject": {"name": "Ann Example", "date_of_birth": "1961-04-03"},
            "reason": "Targeted by neighbours.",
            "agencies": ["Police"],
            **changes,
        }
        with self.sessions() as s:
            case = jag_services.refer(s, clock=self.clock, actor=actor, **body)
            return case.reference

    def fire(self, ref: str, event: str, who: str, data: dict[str, Any] | None) -> None:
        actor, version = self.actor(who), self.case(ref).version
        with self.sessions() as s:
            record_event(
                s,
                clock=self.clock,
                case_ref=ref,
                event=event,
                data=data,
                actor=actor,
                expected_version=version,
            )

    def case(self, ref: str) -> Case:
        with self.sessions() as s:
            return s.exec(select(Case).where(Case.reference == ref)).one()

    def version(self, ref: str) -> str:
        return str(self.case(ref).version)

    def jag_cases(self) -> int:
        with self.sessions() as s:
            return s.exec(
                select(func.count()).select_from(Case).where(Case.workflow_name == "jag_case")
            ).one()

    def events(self, ref: str) -> int:
        with self.sessions() as s:
            case = s.exec(select(Case).where(Case.reference == ref)).one()
            return s.exec(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id)
            ).one()

    def active(self) -> str:
        ref = self.refer()
        self.fire(ref, "accept", "jag_chair", {})
        return ref


@pytest.fixture
def world(app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock) -> World:
    return World(app, session, session_factory, clock)


def all_answers(value: str = "no", **overrides: str) -> dict[str, str]:
    answers = {f"answers-{q.id}": value for q in jag_area("llr").questions}
    answers.update({f"answers-{k}": v for k, v in overrides.items()})
    return answers


# ---------------------------------------------------------------- the referral form


def test_the_referral_form_offers_only_the_users_own_localities(world: World) -> None:
    page = world.user("contact").get("/staff/jag/refer").text
    assert "Refer a case to the JAG" in page
    assert 'value="leicester"' in page and 'value="melton"' not in page
    for agency in jag_area("llr").agencies:
        assert f'value="{agency}"' in page


def test_a_referral_makes_the_case_and_opens_its_page(world: World) -> None:
    contact = world.user("contact")
    contact.get("/staff/jag/refer")
    answer = contact.post("/staff/jag/refer", REFERRAL)
    ref = answer.headers["location"].split("/staff/cases/", 1)[1].split("?", 1)[0]
    assert ref.startswith("JAG-") and world.case(ref).state == "referred"
    page = contact.get(answer.headers["location"]).text
    assert f"Case {ref} referred to the JAG" in page
    assert "Ann Example" in page and "Targeted by neighbours for a year" in page
    assert "Police, Housing provider" in page


def test_an_empty_referral_gets_every_message_in_page_order_and_stores_nothing(
    world: World,
) -> None:
    contact = world.user("contact")
    contact.get("/staff/jag/refer")
    page = contact.post("/staff/jag/refer", {"locality": "leicester"}, status=422).text
    assert summary_links(page) == ["#subject_kind", "#reason", "#agencies"]
    assert "Select who or what the case is about" in page
    page = contact.post(
        "/staff/jag/refer", {"locality": "leicester", "subject_kind": "place"}, status=422
    ).text
    assert summary_links(page) == ["#place_label", "#reason", "#agencies"]
    bad_date = {**REFERRAL, "person_date_of_birth-month": "13"}
    page = contact.post("/staff/jag/refer", bad_date, status=422).text
    assert summary_links(page) == ["#person_date_of_birth-day"]
    assert 'value="Ann Example"' in page  # what was typed is kept
    assert world.jag_cases() == 0


def test_a_referral_to_another_locality_is_refused_and_nothing_stored(world: World) -> None:
    contact = world.user("contact")
    contact.get("/staff/jag/refer")
    page = contact.post("/staff/jag/refer", {**REFERRAL, "locality": "melton"}, status=422).text
    assert summary_links(page) == ["#locality"]
    assert world.jag_cases() == 0


def test_a_referral_without_the_forms_token_is_refused(world: World) -> None:
    contact = world.user("contact")
    contact.get("/staff/jag/refer")
    contact.csrf = ""
    contact.post("/staff/jag/refer", REFERRAL, status=403)
    assert world.jag_cases() == 0


def test_a_role_that_may_not_refer_is_refused_the_form(world: World) -> None:
    world.user("csp_chair").get("/staff/jag/refer", status=403)


def test_a_referral_linked_to_an_unknown_trigger_case_names_the_box(world: World) -> None:
    contact = world.user("contact")
    contact.get("/staff/jag/refer")
    linked = {**REFERRAL, "linked_ct": "CT-2026-999999", "recommendation_seq": "1"}
    page = contact.post("/staff/jag/refer", linked, status=422).text
    assert summary_links(page) == ["#linked_ct"]
    assert world.jag_cases() == 0


# ---------------------------------------------------------------- the case page and events


def test_the_case_page_is_refused_to_another_locality_and_shown_to_a_manager(
    world: World,
) -> None:
    ref = world.refer()
    world.user("melton_jag_chair").get(f"/staff/cases/{ref}", status=403)
    page = world.user("manager").get(f"/staff/cases/{ref}").text
    assert "Ann Example" in page and "Timeline" in page


def test_accepting_with_a_review_date_in_the_past_is_refused_with_the_summary(
    world: World,
) -> None:
    ref = world.refer()
    chair = world.user("jag_chair")
    url = f"/staff/cases/{ref}/events/accept"
    chair.get(url)
    past = world.clock.today() - timedelta(days=3)
    bad = {
        "version": world.version(ref),
        "review_on-day": str(past.day),
        "review_on-month": str(past.month),
        "review_on-year": str(past.year),
    }
    page = chair.post(url, bad, status=422).text
    assert summary_links(page) == ["#review_on-day"]
    assert world.case(ref).state == "referred"
    chair.post(url, {"version": world.version(ref)})
    assert world.case(ref).state == "active"
    page = chair.get(f"/staff/cases/{ref}?recorded=accept").text
    assert "Recorded: Accept the referral" in page


def test_an_event_without_the_forms_token_changes_nothing(world: World) -> None:
    ref = world.refer()
    chair = world.user("jag_chair")
    chair.get(f"/staff/cases/{ref}/events/decline")
    chair.csrf = ""
    chair.post(f"/staff/cases/{ref}/events/decline", {"reason": "No."}, status=403)
    assert world.case(ref).state == "referred"


def test_the_risk_form_asks_each_question_and_names_each_one_left_out(world: World) -> None:
    ref = world.active()
    contact = world.user("contact")
    url = f"/staff/cases/{ref}/events/assess_risk"
    form = contact.get(url).text
    questions = jag_area("llr").questions
    for q in questions:
        assert f'name="answers-{q.id}"' in form
    before = world.events(ref)
    partial = {"version": world.version(ref), f"answers-{questions[0].id}": "yes"}
    page = contact.post(url, partial, status=422).text
    assert summary_links(page) == [f"#answers-{q.id}" for q in questions[1:]]
    assert world.events(ref) == before
    high = all_answers("yes")
    contact.post(url, {"version": world.version(ref), **high, "vulnerable": "yes"})
    page = contact.get(f"/staff/cases/{ref}").text
    assert "High risk" in page and "Vulnerable victim" in page


def test_an_action_is_added_chosen_for_an_update_and_shown_overdue(world: World) -> None:
    ref = world.active()
    chair = world.user("jag_chair")
    url = f"/staff/cases/{ref}/events/add_action"
    form = chair.get(url).text
    assert 'name="agency" type="radio" value="Police"' in form
    page = chair.post(url, {"version": world.version(ref)}, status=422).text
    assert summary_links(page) == ["#action", "#owner", "#agency", "#due_on-day"]
    due = world.clock.today() + timedelta(days=7)
    action = {
        "version": world.version(ref),
        "action": "Visit the neighbours with a warning",
        "owner": "PC Smith",
        "agency": "Police",
        "due_on-day": str(due.day),
        "due_on-month": str(due.month),
        "due_on-year": str(due.year),
    }
    chair.post(url, action)
    update = chair.get(f"/staff/cases/{ref}/events/update_action").text
    assert "1. Visit the neighbours with a warning" in update
    world.clock.advance(days=10)
    chair = world.user("jag_chair")  # signed out meanwhile (idle)
    page = chair.get(f"/staff/cases/{ref}").text
    assert "Visit the neighbours with a warning" in page and "Overdue" in page


def test_my_work_lists_an_action_due_for_its_owners_role(world: World) -> None:
    ref = world.active()
    due = (world.clock.today() + timedelta(days=1)).isoformat()
    world.fire(
        ref,
        "add_action",
        "jag_chair",
        {"action": "Fit a door camera", "owner": "Jo", "agency": "Council", "due_on": due},
    )
    queue = world.user("contact").get("/staff").text
    assert ref in queue and "Fit a door camera" in queue


def test_my_work_lists_the_case_review_for_the_chair(world: World) -> None:
    ref = world.active()
    queue = world.user("jag_chair").get("/staff").text
    line = queue.split(ref, 1)[1].split("</tr>", 1)[0]
    assert "Review the case" in line and "Active" in line


def test_a_peer_reviewer_sees_that_one_case_in_my_work_and_records_findings(
    world: World,
) -> None:
    ref = world.active()
    other = world.active()
    chair = world.user("jag_chair")
    url = f"/staff/cases/{ref}/events/request_peer_review"
    form = chair.get(url).text
    melton = world.staff["melton_jag_chair"].email
    assert f'value="{melton}"' in form and 'value="jag@example.org"' not in form
    chair.post(url, {"version": world.version(ref), "reviewer_email": melton, "question": "Why?"})
    assert world.case(ref).state == "peer_review_requested"
    reviewer = world.user("melton_jag_chair")
    assert ref in reviewer.get("/staff").text
    reviewer.get(f"/staff/cases/{ref}")
    reviewer.get(f"/staff/cases/{other}", status=403)
    url = f"/staff/cases/{ref}/events/record_peer_review"
    reviewer.get(url)
    reviewer.post(url, {"version": world.version(ref)}, status=422)
    done = reviewer.post(url, {"version": world.version(ref), "findings": "Actions are on track."})
    assert world.case(ref).state == "active"
    page = reviewer.get(done.headers["location"]).text  # their access ended with the review
    assert "Peer review recorded" in page and "Actions are on track." in page
    reviewer.get(f"/staff/cases/{ref}", status=403)
    # Someone who did not review it learns nothing from the address.
    stranger = world.user("appeal_chair")
    page = stranger.get(f"/staff/cases/{ref}?recorded=record_peer_review", status=404).text
    assert "Peer review recorded" not in page
    assert "Actions are on track." in chair.get(f"/staff/cases/{ref}").text


def test_the_ladder_form_offers_the_areas_stages_and_asks_why_stages_were_skipped(
    world: World,
) -> None:
    ref = world.refer(subject_kind="perpetrator", subject={"name": "Rob Example"})
    world.fire(ref, "accept", "jag_chair", {})
    contact = world.user("contact")
    url = f"/staff/cases/{ref}/events/record_ladder_step"
    form = contact.get(url).text
    ladder = jag_area("llr").ladder
    for stage in ladder:
        assert stage.label in form
    today = world.clock.today()
    step = {
        "version": world.version(ref),
        "stage": ladder[3].id,
        "agency": "Council",
        "taken_on-day": str(today.day),
        "taken_on-month": str(today.month),
        "taken_on-year": str(today.year),
    }
    page = contact.post(url, step, status=422).text
    assert summary_links(page) == ["#skip_reason"]
    contact.post(url, {**step, "skip_reason": "Threats of violence: urgent harm."})
    page = contact.get(f"/staff/cases/{ref}").text
    assert "Incremental Approach" in page and "Skipped" in page


def test_cessation_is_chosen_from_the_areas_reasons(world: World) -> None:
    ref = world.active()
    chair = world.user("jag_chair")
    url = f"/staff/cases/{ref}/events/propose_cessation"
    form = chair.get(url).text
    for words in jag_area("llr").cessation_reasons.values():
        assert words in form
    reason = next(iter(jag_area("llr").cessation_reasons))
    chair.post(url, {"version": world.version(ref), "reason": reason, "explanation": "Calm."})
    assert world.case(ref).state == "cessation_proposed"


# ---------------------------------------------------------------- finding cases


def test_find_a_case_filters_by_process_and_finds_a_jag_subject(world: World) -> None:
    ref = world.refer()
    with world.sessions() as s:
        ct = make_case(s, world.clock).reference
    contact = world.user("contact")
    both = contact.get("/staff/cases").text
    assert ref in both and ct in both and "JAG case" in both
    only = contact.get("/staff/cases?workflow=jag_case").text
    assert ref in only and ct not in only
    assert "Ann Example" in only
    page = contact.get("/staff/cases?workflow=nothing", status=400).text
    assert "There is no process" in page


def test_a_jag_case_is_found_by_the_name_of_the_person_or_place_it_is_about(
    world: World,
) -> None:
    ref = world.refer()
    place = world.refer(
        subject_kind="place", subject={"label": "Hill Street", "postcode": "LE1 1AA"}
    )
    contact = world.user("contact")
    assert ref in contact.get("/staff/cases?q=example").text
    found = contact.get("/staff/cases?q=le11aa").text
    assert place in found and ref not in found


def test_a_partner_refers_and_finds_jag_cases_of_their_locality_only(world: World) -> None:
    ref = world.refer()
    melton = world.refer("melton_jag_chair", locality_id="melton")
    with world.sessions() as s:
        ct = make_case(s, world.clock).reference
    partner = world.user("partner")
    assert "Refer to the JAG" in partner.get("/staff").text
    partner.get("/staff/jag/refer")
    partner.post("/staff/jag/refer", REFERRAL)
    assert world.jag_cases() == 3
    found = partner.get("/staff/cases").text
    assert ref in found and melton not in found and ct not in found
    partner.get(f"/staff/cases/{ref}")
    partner.get(f"/staff/cases/{ct}", status=403)


def test_a_jag_case_number_alone_finds_it(world: World) -> None:
    ref = world.refer()
    number = str(int(ref.rsplit("-", 1)[1]))
    assert ref in world.user("contact").get(f"/staff/cases?q={number}").text


def test_every_jag_event_form_opens_in_words_with_no_stored_codes(world: World) -> None:
    ref = world.refer(subject_kind="place", subject={"label": "Hill Street", "postcode": "LE1 1AA"})
    world.fire(ref, "accept", "jag_chair", {})
    chair = world.user("jag_chair")
    page = chair.get(f"/staff/cases/{ref}").text
    assert "Problem solving (OSARA)" in page
    events = re.findall(rf'href="/staff/cases/{ref}/events/([a-z_]+)"', page)
    assert {"record_osara", "set_review_date", "add_subject", "propose_cessation"} <= set(events)
    for event in set(events):
        form = chair.get(f"/staff/cases/{ref}/events/{event}").text
        labels = re.findall(r"<(?:label|legend)[^>]*>\s*([^<]+?)\s*<", form)
        assert labels and not [t for t in labels if "_" in t], (event, labels)


def test_only_a_chair_trained_in_cessation_records_that_a_case_ceased(world: World) -> None:
    ref = world.active()
    reason = next(iter(jag_area("llr").cessation_reasons))
    world.fire(ref, "propose_cessation", "jag_chair", {"reason": reason, "explanation": "Calm."})
    world.user("contact").get(f"/staff/cases/{ref}/events/cease", status=403)
    chair = world.user("jag_chair")  # holds cessation_trained in Leicester
    url = f"/staff/cases/{ref}/events/cease"
    chair.get(url)
    page = chair.post(url, {"version": world.version(ref)}, status=422).text
    assert summary_links(page) == ["#reason", "#explanation"]
    chair.post(url, {"version": world.version(ref), "reason": reason, "explanation": "Calm."})
    page = chair.get(f"/staff/cases/{ref}").text
    assert world.case(ref).state == "ceased"
    assert jag_area("llr").cessation_reasons[reason] in page


def test_a_case_kept_open_says_why_on_its_page(world: World) -> None:
    ref = world.active()
    reason = next(iter(jag_area("llr").cessation_reasons))
    world.fire(ref, "propose_cessation", "jag_chair", {"reason": reason, "explanation": "Calm."})
    chair = world.user("jag_chair")
    url = f"/staff/cases/{ref}/events/keep_open"
    chair.get(url)
    chair.post(url, {"version": world.version(ref), "reason": "Incidents started again."})
    assert "Incidents started again." in chair.get(f"/staff/cases/{ref}").text


def test_a_declined_referral_shows_why(world: World) -> None:
    ref = world.refer()
    chair = world.user("jag_chair")
    url = f"/staff/cases/{ref}/events/decline"
    chair.get(url)
    page = chair.post(url, {"version": world.version(ref)}, status=422).text
    assert "Enter why the referral is declined" in page
    chair.post(url, {"version": world.version(ref), "reason": "Handled by MARAC."})
    page = chair.get(f"/staff/cases/{ref}").text
    assert "Referral declined" in page and "Handled by MARAC." in page


def test_a_referral_sent_after_the_idle_limit_comes_back_after_signing_in(world: World) -> None:
    contact = world.user("contact")
    owner = re.search(r'name="draft_owner" value="([^"]+)"', contact.get("/staff/jag/refer").text)
    assert owner is not None
    world.clock.advance(minutes=31)
    sent = contact.post("/staff/jag/refer", {**REFERRAL, "draft_owner": owner.group(1)})
    assert sent.headers["location"] == "/staff/login?kept=1"
    assert world.jag_cases() == 0
    contact.post("/staff/login", {"email": contact.email, "password": PASSWORD})
    contact.get("/staff/login/code")
    back = contact.post("/staff/login/code", {"code": contact.code()})
    assert re.fullmatch(r"/staff/jag/refer\?draft=\d+", back.headers["location"])
    page = contact.get(back.headers["location"]).text
    assert 'value="Ann Example"' in page and "What you typed is back in the form" in page
    assert 'value="Police" checked' in page and 'value="Housing provider" checked' in page


def test_the_process_page_shows_the_jag_process_beside_the_trigger(world: World) -> None:
    contact = world.user("contact")
    page = contact.get("/staff/process?workflow=jag_case").text
    assert "JAG case" in page and "Accept the referral" in page
    assert 'href="/staff/process?workflow=community_trigger"' in page
    contact.get("/staff/process?workflow=nothing", status=404)


def test_other_cases_of_the_same_person_are_listed_only_where_the_reader_has_access(
    world: World,
) -> None:
    first = world.refer()
    melton = world.refer("melton_jag_chair", locality_id="melton")  # the same Ann Example
    second = world.refer()
    page = world.user("contact").get(f"/staff/cases/{second}").text
    others = page.split('id="other-cases"', 1)[1].split('id="now"', 1)[0]
    assert first in others and melton not in others
    page = world.user("manager").get(f"/staff/cases/{second}").text
    assert melton in page.split('id="other-cases"', 1)[1].split('id="now"', 1)[0]


def test_a_perpetrator_is_added_and_an_action_updated_through_the_forms(world: World) -> None:
    ref = world.active()
    contact = world.user("contact")
    url = f"/staff/cases/{ref}/events/add_subject"
    contact.get(url)
    page = contact.post(url, {"version": world.version(ref), "kind": "perpetrator"}, status=422)
    assert "There is a problem" in page.text
    contact.post(url, {"version": world.version(ref), "kind": "perpetrator", "name": "Rob Ex"})
    due = (world.clock.today() + timedelta(days=5)).isoformat()
    world.fire(
        ref,
        "add_action",
        "jag_chair",
        {"action": "Fit a door camera", "owner": "Jo", "agency": "Council", "due_on": due},
    )
    url = f"/staff/cases/{ref}/events/update_action"
    contact.get(url)
    page = contact.post(url, {"version": world.version(ref)}, status=422).text
    assert summary_links(page) == ["#action", "#status", "#note"]
    update = {"version": world.version(ref), "action": "1", "status": "done", "note": "Fitted."}
    contact.post(url, update)
    page = contact.get(f"/staff/cases/{ref}").text
    assert "Rob Ex" in page and "Perpetrator" in page
    assert "Done on" in page and "Fitted." in page


def test_an_overdue_jag_action_is_on_the_managers_overdue_list(world: World) -> None:
    ref = world.active()
    due = (world.clock.today() + timedelta(days=1)).isoformat()
    world.fire(
        ref,
        "add_action",
        "jag_chair",
        {"action": "Fit a door camera", "owner": "Jo", "agency": "Council", "due_on": due},
    )
    world.clock.advance(days=5)
    page = world.user("manager").get("/staff/overdue").text
    assert ref in page and "Fit a door camera" in page


def test_a_referral_from_a_trigger_case_links_its_recommendation_to_an_action(
    world: World,
) -> None:
    from tests.integration.test_jag_journeys import HELD, REPORT

    with world.sessions() as s:
        ct = make_case(s, world.clock).reference
    world.fire(ct, "acknowledge", "contact", None)
    world.fire(ct, "threshold_met", "jag_chair", {"reasons": "Three incidents."})
    held = {**HELD, "held_on": world.clock.today().isoformat()}
    world.fire(ct, "review_meeting_held", "jag_chair", held)
    world.fire(ct, "jag_report_recorded", "jag_chair", REPORT)
    contact = world.user("contact")
    contact.get("/staff/jag/refer")
    linked = {**REFERRAL, "linked_ct": ct.lower(), "recommendation_seq": "1"}
    answer = contact.post("/staff/jag/refer", linked)
    ref = answer.headers["location"].split("/staff/cases/", 1)[1].split("?", 1)[0]
    page = contact.get(f"/staff/cases/{ref}").text
    assert f'href="/staff/cases/{ct}"' in page
    assert "recommendation 1, Leicestershire Police: Refer the street to the JAG" in page
    world.fire(ref, "accept", "jag_chair", {})
    chair = world.user("jag_chair")
    form = chair.get(f"/staff/cases/{ref}/events/add_action").text
    assert "2. Leicester City Council: Fit noise monitoring" in form
