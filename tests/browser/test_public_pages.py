"""The public pages in Chromium: a whole application, axe at WCAG 2.2 AA, screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from engine import case_detail
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Case, OutboxMessage
from engine.settings import Settings
from tests.browser.conftest import SCREENSHOTS, serve

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (1280, 375)
# Screenshot file names start with these, then the stop number and the page.
SHORT_NAMES = {
    "test_an_application_from_start_to_status_page": "journey",
    "test_each_information_page_passes_axe": "info",
    "test_the_other_question_pages_and_their_errors_pass_axe": "questions",
    "test_a_form_posted_without_its_cookie_gets_the_problem_page": "csrf",
}


class Tour:
    """One browser tab: every page it stops at is checked by axe and photographed."""

    def __init__(self, page: Any, base: str, axe_source: str, name: str) -> None:
        self.page, self.base, self.axe_source, self.name = page, base, axe_source, name
        self.stops = 0
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message: Any) -> None:
        # CSP refusals and failed asset loads show up as console errors. A page answered
        # with 4xx on purpose (an error state) is logged too, against the page's own URL.
        expected = message.location.get("url") == self.page.url and message.text.startswith(
            "Failed to load resource: the server responded with a status of 4"
        )
        if message.type == "error" and not expected:
            self.problems.append(f"{self.page.url}: {message.text}")

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def audit(self, label: str) -> None:
        """axe finds no WCAG 2.2 AA violation; screenshots at phone and desktop widths."""
        self.stops += 1
        self.page.wait_for_load_state("load")
        self.page.evaluate(self.axe_source)
        violations = self.page.evaluate(
            "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
            ".violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.html)}))",
            AXE_TAGS,
        )
        assert violations == [], f"{label} ({self.page.url}): {violations}"
        self._photograph(label)

    def _photograph(self, label: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            path = SCREENSHOTS / f"{self.name}-{self.stops:02d}-{label}-{width}.png"
            self.page.screenshot(path=str(path), full_page=True)
        self.page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    def click(self, role: str, name: str) -> None:
        """Follow a link or press a button, and wait for the next page to load."""
        with self.page.expect_navigation():
            self.page.get_by_role(role, name=name, exact=True).first.click()

    def button(self, name: str = "Continue") -> None:
        self.click("button", name)

    def choose(self, label: str) -> None:
        self.page.get_by_label(label, exact=True).check()

    def fill(self, label: str, value: str) -> None:
        self.page.get_by_label(label, exact=True).fill(value)

    def date(self, prefix: str, day: date) -> None:
        self.page.fill(f"#{prefix}-day", str(day.day))
        self.page.fill(f"#{prefix}-month", str(day.month))
        self.page.fill(f"#{prefix}-year", str(day.year))

    def heading(self) -> str:
        return str(self.page.locator("h1").first.inner_text()).strip()

    def path(self) -> str:
        return re.sub(r"^https?://[^/]+", "", self.page.url)

    def error_summary(self) -> list[str]:
        return [
            t.strip() for t in self.page.locator(".govuk-error-summary__list a").all_inner_texts()
        ]


@pytest.fixture
def tour(chromium: Any, live_server: str, axe_source: str, request: Any) -> Iterator[Tour]:
    context = chromium.new_context(viewport={"width": WIDTHS[0], "height": 900})
    context.set_default_timeout(5000)
    page = context.new_page()
    name = SHORT_NAMES.get(
        request.node.originalname, request.node.originalname.removeprefix("test_")
    )
    visit = Tour(page, live_server, axe_source, name)
    yield visit
    context.close()
    assert visit.problems == []


# --- the journey --------------------------------------------------------------------------


def precheck(t: Tour, today: date) -> None:
    t.go("/")
    t.audit("start")
    t.click("link", "Check if you can apply")
    t.audit("check-intro")
    t.click("button", "Start")
    t.button()
    assert t.error_summary() == [
        "Enter the date it happened",
        "Select who you reported it to",
        "Enter the date you reported it",
    ]
    t.audit("check-incident-error")
    for n, agency in enumerate(("The police", "The council", "A housing provider")):
        if n:
            t.click("button", "Add another incident")
        happened = today - timedelta(days=20 + 7 * n)
        t.date("date", happened)
        t.choose(agency)
        t.date("reported", happened + timedelta(days=1))
        if n == 0:
            t.audit("check-incident")
        t.button()
    t.audit("check-incidents")
    t.button()
    t.choose("No")
    t.audit("check-hate")
    t.button("See the result")
    assert t.heading() == "You meet the threshold for a case review"
    t.audit("check-result")
    t.click("button", "Start your application")


def about_you(t: Tour) -> None:
    t.button()
    assert t.error_summary() == ["Select who is applying"]
    t.audit("who-error")
    t.choose("I am the victim, or one of the victims")
    t.button()
    t.fill("What is your name?", "Val <b>Victim</b>")
    t.audit("your-name")
    t.button()
    t.fill("Postcode", "LE2 4")
    t.button()
    assert t.error_summary() == [
        "Enter address line 1, typically the building and street",
        "Enter town or city",
        "Enter a real postcode, like LE1 6ZG",
    ]
    t.audit("address-error")
    t.fill("Address line 1", "12 London Road")
    t.fill("Town or city", "Oadby")
    t.fill("Postcode", "le2 4aa")
    t.button()
    assert t.path() == "/apply/council"
    t.audit("council")
    t.choose("Oadby & Wigston")
    t.button()
    t.choose("Email")
    t.audit("contact")
    t.button()
    t.fill("What is your email address?", "val@")
    t.button()
    t.audit("contact-details-error")
    t.fill("What is your email address?", "val@example.org")
    t.button()
    t.fill("Do you have any accessibility or language needs? (optional)", "Large print, please.")
    t.audit("needs")
    t.button()


def incidents(t: Tour, today: date) -> None:
    assert t.path() == "/apply/incidents"
    t.audit("incidents")
    t.button()
    assert t.error_summary() == [f"Tell us what happened for incident {n}" for n in (1, 2, 3)]
    t.audit("incidents-error")
    for n in (1, 2, 3):
        t.go(f"/apply/incidents/{n}")
        if n == 2:  # an error and its correction: the incident moved after its report
            t.date("date", today)
            t.fill("What happened?", "They kicked the door.")
            t.choose("No, I do not think so")
            t.button()
            assert t.error_summary()[0].startswith("The date it happened must be the same as")
            t.audit("incident-error")
            t.date("date", today - timedelta(days=27))
        t.fill("Where did it happen? (optional)", "Outside my front door")
        t.fill("What happened?", f"Incident {n}: shouting and banging at 2am.")
        if n == 3:
            t.choose("Race or ethnicity")
            t.choose("Religion or belief")
            t.audit("incident")
        else:
            t.choose("No, I do not think so")
        t.button()
    with t.page.expect_navigation():
        t.page.get_by_role("link", name=re.compile(r"^Add another report \(Incident 1:")).click()
    t.choose("The council")
    t.date("date", today - timedelta(days=30))
    t.button()
    assert t.error_summary()[0].startswith("The date you reported it must be the same as")
    t.audit("report-error")
    t.date("date", today - timedelta(days=18))
    t.fill("Reference or crime number (optional)", "ASB/123")
    t.button()
    assert "ASB/123" in t.page.content()
    t.button()


def the_rest(t: Tour) -> None:
    t.fill("How has the behaviour affected you?", "I cannot sleep and I am afraid to go out.")
    t.audit("impact")
    t.button()
    t.audit("vulnerabilities")
    t.button()
    t.fill("What would you like to happen?", "I want the agencies to work together.")
    t.button()
    t.choose("I want to go to the meeting")
    t.audit("involvement")
    t.button()
    t.button()
    assert t.error_summary() == [
        "Select yes if you agree to us sharing the information with the relevant bodies"
    ]
    t.audit("sharing-error")
    t.choose("Yes, I agree")
    t.button()
    t.audit("equalities")
    t.page.locator("input[name=age][value='35_44']").check()
    t.page.locator("input[name=religion][value='prefer_not_to_say']").check()
    t.button()


def check_and_send(t: Tour) -> None:
    assert t.heading() == "Check your answers before sending your application"
    assert "Val <b>Victim</b>" in t.page.locator("main").inner_text()
    t.audit("check-answers")
    t.click("link", "Change how to contact you")
    assert t.path() == "/apply/contact?return=check"
    t.choose("Phone")
    t.button()
    assert t.path() == "/apply/contact-details?return=check"
    t.fill("What is your phone number?", "07700 900 982")
    t.button()
    assert t.path() == "/apply/check"
    assert "Phone: 07700 900 982" in t.page.locator("main").inner_text()
    t.click("link", "Change whether it was because of who you are (Incident 3)")
    t.choose("No, I do not think so")
    t.button()
    assert t.path() == "/apply/check"
    t.button("Accept and send")
    assert t.error_summary() == ["Confirm that the information is true"]
    t.audit("check-answers-error")
    t.page.get_by_label(re.compile("I confirm that the information")).check()
    t.button("Accept and send")
    assert t.heading() == "Application sent"


def test_an_application_from_start_to_status_page(
    tour: Tour, clock: FixedClock, session_factory: SessionFactory
) -> None:
    today = clock.today()
    precheck(tour, today)
    about_you(tour)
    incidents(tour, today)
    the_rest(tour)
    check_and_send(tour)
    page = tour.page.locator("main").inner_text()
    assert "CT-2026-000001" in page and "Monday 16 March 2026" in page
    tour.audit("confirmation")
    with tour.page.expect_navigation():
        tour.page.locator("a[href^='/status/']").click()
    assert "We received your application" in tour.page.locator("main").inner_text()
    tour.audit("status")
    with session_factory() as s:
        case = case_detail.with_detail(s, s.exec(select(Case)).one())
        assert (case.locality_id, case.contact_preference) == ("oadby-and-wigston", "phone")
        assert s.exec(select(OutboxMessage.message)).all() == ["application_received"]


# --- every other page ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/apply/outside-area", "This address is not in Leicester, Leicestershire or Rutland"),
        ("/apply/session-expired", "Your answers have been deleted"),
        ("/apply/permission-needed", "You need their permission to apply for them"),
        ("/apply/sharing-needed", "We cannot review the case without sharing your information"),
        ("/privacy", "Privacy"),
        ("/cookies", "Cookies"),
        ("/accessibility", "Accessibility statement"),
        ("/no-such-page", "Page not found"),
    ],
)
def test_each_information_page_passes_axe(tour: Tour, path: str, heading: str) -> None:
    tour.go(path)
    assert tour.heading() == heading
    tour.audit(path.strip("/").replace("/", "-"))


def test_the_other_question_pages_and_their_errors_pass_axe(tour: Tour) -> None:
    tour.go("/apply/who")
    tour.choose("I am applying for someone else, with their permission")
    tour.button()
    tour.button()
    tour.audit("permission-error")
    tour.choose("Yes")
    tour.button()
    tour.button()
    tour.audit("permission-details-error")
    tour.fill("How and when did they give permission?", "On the phone today")
    tour.button()
    tour.fill("What is your name?", "Rita Relative")
    tour.button()
    tour.button()
    tour.audit("victim-error")
    tour.fill("What is the name of the person you are applying for?", "Vic Victim")
    tour.button()
    tour.go("/apply/contact")
    tour.button()
    tour.audit("contact-error")
    tour.go("/apply/incidents/new")
    tour.button()
    tour.audit("incident-empty-error")
    tour.go("/apply/outcome")
    tour.button()
    tour.audit("outcome-error")
    tour.go("/apply/involvement")
    tour.button()
    tour.audit("involvement-error")


def test_a_form_posted_without_its_cookie_gets_the_problem_page(tour: Tour) -> None:
    tour.go("/apply/who")
    tour.page.context.clear_cookies()
    tour.choose("I am the victim, or one of the victims")
    tour.button()
    assert tour.heading() == "Sorry, there is a problem with this page"
    tour.audit("csrf")


@pytest.fixture
def strict_server(settings: Settings, clock: FixedClock, db_engine: Engine) -> Iterator[str]:
    from web.app import create_app

    app = create_app(
        settings.model_copy(update={"check_rate_limit": "1/hour"}), clock=clock, engine=db_engine
    )
    yield from serve(app)


def test_too_many_prechecks_get_a_gov_uk_page(
    chromium: Any, strict_server: str, axe_source: str
) -> None:
    context = chromium.new_context()
    context.set_default_timeout(5000)
    visit = Tour(context.new_page(), strict_server, axe_source, "too-many")
    visit.go("/check/result")
    visit.go("/check/result")
    assert visit.heading() == "Sorry, there have been too many attempts"
    visit.problems.clear()  # the 429 itself is logged by Chromium as a failed load
    visit.audit("too-many")
    context.close()


# --- without JavaScript, and the exit button ----------------------------------------------


def test_the_form_works_with_javascript_turned_off(
    chromium: Any, live_server: str, clock: FixedClock
) -> None:
    context = chromium.new_context(java_script_enabled=False)
    context.set_default_timeout(5000)
    page = context.new_page()
    page.goto(live_server + "/")
    exit_link = page.get_by_role("button", name=re.compile("Exit this page"))
    # Through our own route, which deletes the answers, to the neutral site.
    assert exit_link.get_attribute("href") == "/exit"
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("I am the victim, or one of the victims").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("What is your name?").fill("Val")
    page.get_by_role("button", name="Continue").click()
    page.goto(live_server + "/apply/contact")
    page.get_by_label("Phone").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("What is your phone number?").fill("07700 900 982")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/apply/needs")
    page.wait_for_load_state("load")
    # The browser keeps no copy (no back/forward cache here): the answer comes back from the
    # server's record of the form session.
    page.go_back(wait_until="load")
    assert page.get_by_label("What is your phone number?").input_value() == "07700 900 982"
    context.close()


def test_exit_this_page_leaves_for_a_neutral_site(chromium: Any, live_server: str) -> None:
    context = chromium.new_context()
    context.set_default_timeout(5000)
    page = context.new_page()
    # Only loopback is reachable here, so the neutral site is answered locally.
    page.route(
        "https://www.bbc.co.uk/**",
        lambda route: route.fulfill(body="<title>Weather</title>", content_type="text/html"),
    )
    page.goto(live_server + "/apply/who")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_url("https://www.bbc.co.uk/weather")
    assert page.title() == "Weather"
    context.close()


def test_a_status_page_with_a_whole_history_passes_axe(
    tour: Tour, session_factory: SessionFactory, clock: FixedClock
) -> None:
    from engine.services.cases import record_event
    from tests.factories import make_case, make_staff

    with session_factory() as s:
        staff = make_staff(s, clock)
        done = make_case(s, clock)
    steps: list[tuple[str, str, dict[str, Any] | None]] = [
        ("contact", "acknowledge", None),
        ("jag_chair", "threshold_met", {"reasons": "Three incidents were reported in time."}),
        (
            "jag_chair",
            "review_meeting_held",
            {
                "held_on": clock.today().isoformat(),
                "attendees": ["PC Jane Smith"],
                "victim_involvement": "attend",
            },
        ),
        (
            "jag_chair",
            "jag_report_recorded",
            {
                "findings": "Reports were not shared.",
                "recommendations": [
                    {
                        "recipient_body": "Leicester City Council",
                        "action": "Fit a camera at the entrance",
                        "due_on": "2026-04-30",
                    }
                ],
            },
        ),
        ("csp_chair", "response_issued", {"summary": "The agencies agreed an action plan."}),
    ]
    for version, (who, event, data) in enumerate(steps, start=1):
        with session_factory() as s:
            record_event(
                s,
                clock=clock,
                case_ref=done.reference,
                event=event,
                data=data,
                actor=staff[who].actor,
                expected_version=version,
            )
    tour.go(f"/status/{done.status_token}")
    main = tour.page.locator("main").inner_text()
    assert "Fit a camera at the entrance" in main and "PC Jane Smith" not in main
    tour.audit("status-history")


def test_someone_else_who_reported_an_incident_and_its_errors_pass_axe(
    tour: Tour, clock: FixedClock
) -> None:
    today = clock.today()
    precheck(tour, today)
    about_you(tour)
    tour.go("/apply/incidents/1/others/new")
    tour.audit("other-reporter")
    tour.fill("Their email address (optional, only if they agreed)", "jo@example.org")
    tour.button()
    assert tour.error_summary() == [
        "Enter their name, or who they are, like a neighbour at number 12",
        "Select who they reported it to",
        "Enter the date they reported it",
        "Select yes if they agreed to us contacting them",
    ]
    tour.audit("other-reporter-error")
    tour.fill("Who are they?", "a neighbour at number 12")
    tour.choose("The NHS (the integrated care board)")
    tour.date("date", today - timedelta(days=19))
    tour.choose("Yes")
    tour.button()
    assert tour.path() == "/apply/incidents"
    assert "Also reported by a neighbour at number 12" in tour.page.locator("main").inner_text()
    tour.audit("incidents-with-other-reporter")
