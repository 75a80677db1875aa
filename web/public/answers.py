"""Turning the saved answers into the engine's application, and into check-answers rows."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from pydantic import ValidationError

from engine.services.equalities import QUESTIONS, EqualitiesIn
from web.public import flow
from web.public.pages import (
    CONTACT,
    INVOLVEMENT,
    ROLES,
    contact_field,
    for_someone_else,
    role,
    whom,
)
from web.public.templating import short_date
from workflows.community_trigger.services.applications import ApplicationIn

Answers = dict[str, Any]
AGENCIES = {
    "council": "The council",
    "police": "The police",
    "health": "The NHS (the integrated care board)",
    "housing": "A housing provider",
    "other": "Someone else",
}
# Plain words for who counts: only reports to a relevant body count toward a case review.
AGENCY_HINTS = {
    "health": "The NHS body that runs health services in your area.",
    "housing": "Your council or housing association landlord.",
    "other": "For example a councillor, your MP, a charity or a private landlord. Reports to "
    "them do not count toward a case review, but you can still tell us about them.",
}
CHARACTERISTICS = {
    "disability": "Disability",
    "race": "Race or ethnicity",
    "religion": "Religion or belief",
    "sexual_orientation": "Sexual orientation",
    "transgender": "Transgender identity",
    "gender_identity": "Gender identity",
    "age": "Age",
}


class Incomplete(Exception):
    """Questions still to answer: (message, link to the page) for the error summary."""

    def __init__(self, missing: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(missing)} questions still to answer")
        self.missing = missing


MISSING = {
    "who": "Tell us who is applying",
    "permission": "Tell us if they gave permission for you to apply",
    "permission-details": "Tell us how and when they gave permission",
    "your-name": "Enter your name",
    "victim": "Tell us who the victim is",
    "address": "Enter the address",
    "council": "Select your council",
    "contact": "Tell us how we should contact you",
    "contact-details": "Tell us your contact details",
    "needs": "Tell us about any accessibility or language needs",
    "incidents": "Add the incidents and who you reported them to",
    "impact": "Tell us how the behaviour has affected you",
    "vulnerabilities": "Tell us if anything makes the situation harder to cope with",
    "outcome": "Tell us what you would like to happen",
    "involvement": "Tell us how you want to take part in the review meeting",
    "sharing": "Agree to us sharing your information with the relevant bodies",
    "equalities": "Answer or skip the equalities monitoring questions",
}


def missing(answers: Answers) -> list[tuple[str, str]]:
    return [
        (MISSING[s.slug], s.href)
        for s in flow.STEPS
        if s.applies(answers) and not s.complete(answers)
    ]


def address_text(a: dict[str, Any]) -> str:
    return "\n".join(part for part in (a.get("line1"), a.get("line2"), a.get("town")) if part)


def build(answers: Answers) -> tuple[ApplicationIn, EqualitiesIn | None]:
    """The engine's ApplicationIn (and equalities answers) from complete answers."""
    gaps = missing(answers)
    if gaps:
        raise Incomplete(gaps)
    if not answers.get("declaration"):
        raise Incomplete([("Confirm that the information is true", "#declaration")])
    try:
        application = ApplicationIn.model_validate(_application(answers))
        monitoring = EqualitiesIn.model_validate(answers.get("equalities") or {})
    except ValidationError as exc:
        # The pages check every field first, so this means answers were saved by an older
        # version of the form; send the person back to the first page to go through again.
        raise Incomplete(
            [(f"Check your answers again ({exc.error_count()})", "/apply/who")]
        ) from None
    return application, monitoring


def _people(answers: Answers) -> tuple[dict[str, Any], dict[str, Any] | None]:
    address, contact = answers["address"], answers.get("contact-details") or {}
    applicant: dict[str, Any] = {"name": answers["your-name"]["name"], "role": role(answers)}
    applicant["email"] = contact.get("email")
    applicant["phone"] = contact.get("phone")
    if not for_someone_else(answers):
        applicant |= {"address": address_text(address), "postcode": address["postcode"]}
        return applicant, None
    applicant["address"] = contact.get("postal_address")
    victim = {
        "name": answers["victim"]["name"],
        "address": address_text(address),
        "postcode": address["postcode"],
    }
    return applicant, victim


def _incident(i: dict[str, Any]) -> dict[str, Any]:
    return {
        "date": i["date"],
        "place": i.get("place"),
        "description": i["description"],
        "hate_incident": i.get("hate") == "yes",
        "perceived_characteristic": ", ".join(
            CHARACTERISTICS[c] for c in i.get("characteristics") or []
        )[:100]
        or None,
        "reports": [
            {
                "agency": r["agency"],
                "reported_date": r["date"],
                "reference": r.get("reference"),
                "officer": r.get("officer"),
            }
            for r in i["reports"]
        ],
        "other_reporters": [
            {
                "name": o["name"],
                "agency": o["agency"],
                "reported_date": o["date"],
                "email": o.get("email"),
                "phone": o.get("phone"),
                "contact_consent": o.get("consent") == "yes",
            }
            for o in i.get("others") or []
        ],
    }


def _details(answers: Answers, key: str) -> str | None:
    return (answers.get(key) or {}).get("details")


def _application(answers: Answers) -> dict[str, Any]:
    applicant, victim = _people(answers)
    permission = answers.get("permission-details") or {}
    return {
        "locality": answers["locality"],
        "applicant": applicant,
        "victim": victim,
        "consent_detail": permission.get("how"),
        "consent_to_share": answers["sharing"]["agree"] == "yes",
        "declaration": bool(answers.get("declaration")),
        "incidents": [_incident(i) for i in answers["incidents"]],
        "contact_preference": answers["contact"]["preference"],
        # Asked with the phone number: someone else may read their texts.
        "texts_safe": (answers.get("contact-details") or {}).get("texts_safe") == "yes",
        "accessibility_needs": _details(answers, "needs"),
        "impact": answers["impact"]["text"],
        "vulnerabilities": _details(answers, "vulnerabilities"),
        "outcome_wanted": answers["outcome"]["text"],
        "involvement": answers["involvement"]["choice"],
        "channel": "online",
    }


# --- check answers ------------------------------------------------------------------------


def _lines(text: str) -> Markup:
    """The answer escaped, its line breaks kept (an address, or a long answer)."""
    return Markup("<br>").join(escape(line) for line in text.split("\n"))


def _row(key: str, value: str, href: str, hidden: str, *, to_check: bool = True) -> dict[str, Any]:
    """A check-answers row whose change link comes back to check answers (or not)."""
    link = f"{href}?return=check" if to_check else href
    return {
        "key": {"text": key},
        "value": {"html": _lines(value)},
        "actions": {"items": [{"href": link, "text": "Change", "visuallyHiddenText": hidden}]},
    }


def _details_text(found: dict[str, Any] | None) -> str:
    return (found or {}).get("details") or "None"


def about_rows(answers: Answers, locality_name: str) -> list[dict[str, Any]]:
    """Who is applying, for whom, where, and how to get in touch."""
    rows = [
        _row("Who is applying", ROLES.get(role(answers), ""), "/apply/who", "who is applying"),
    ]
    if for_someone_else(answers):
        how = (answers.get("permission-details") or {}).get("how") or ""
        rows.append(_row("Their permission", how, "/apply/permission-details", "their permission"))
    rows.append(
        _row("Your name", answers.get("your-name", {}).get("name", ""), "/apply/your-name", "name")
    )
    if for_someone_else(answers):
        rows.append(
            _row("Victim", answers.get("victim", {}).get("name", ""), "/apply/victim", "victim")
        )
    address = answers.get("address") or {}
    full = f"{address_text(address)}\n{address.get('postcode', '')}".strip()
    rows.append(_row("Address", full, "/apply/address", "address"))
    rows.append(_row("Council area", locality_name, "/apply/address", "council area"))
    rows.append(_row("Contact by", _contact(answers), "/apply/contact", "how to contact you"))
    rows.append(
        _row(
            "Accessibility or language needs",
            _details_text(answers.get("needs")),
            "/apply/needs",
            "accessibility or language needs",
        )
    )
    return rows


def _contact(answers: Answers) -> str:
    how = CONTACT.get((answers.get("contact") or {}).get("preference", ""), "")
    details = answers.get("contact-details") or {}
    detail = details.get(contact_field(answers) or "") or ""
    if details.get("texts_safe"):
        detail += ", texts are safe" if details["texts_safe"] == "yes" else ", no texts"
    return f"{how}: {detail}" if detail else how


def story_rows(answers: Answers) -> list[dict[str, Any]]:
    """The impact, what would help, and how they want to take part."""
    return [
        _row(
            f"How it has affected {whom(answers)}",
            (answers.get("impact") or {}).get("text", ""),
            "/apply/impact",
            f"how it has affected {whom(answers)}",
        ),
        _row(
            "What makes it harder to cope",
            _details_text(answers.get("vulnerabilities")),
            "/apply/vulnerabilities",
            "what makes it harder to cope",
        ),
        _row(
            "What you would like to happen",
            (answers.get("outcome") or {}).get("text", ""),
            "/apply/outcome",
            "what you would like to happen",
        ),
        _row(
            "The review meeting",
            INVOLVEMENT.get((answers.get("involvement") or {}).get("choice", ""), ""),
            "/apply/involvement",
            "how you want to take part in the review meeting",
        ),
        _row(
            "Sharing your information",
            "Yes, I agree" if (answers.get("sharing") or {}).get("agree") == "yes" else "",
            "/apply/sharing",
            "sharing your information",
        ),
    ]


def incident_rows(
    incident: dict[str, Any], number: int, *, to_check: bool = True
) -> list[dict[str, Any]]:
    """One incident and its reports, with change links to each."""
    href = f"/apply/incidents/{number}"
    hate = {"yes": "Yes", "no": "No"}.get(incident.get("hate") or "", "Not answered yet")
    because = ", ".join(CHARACTERISTICS[c] for c in incident.get("characteristics") or [])
    rows = [
        ("Date", short_date(incident.get("date")), href, "date"),
        ("Where", incident.get("place") or "Not given", href, "where it happened"),
        ("What happened", incident.get("description") or "Not answered yet", href, "what happened"),
        (
            "Because of who you are",
            f"Yes: {because}" if because else hate,
            href,
            "whether it was because of who you are",
        ),
    ]
    # Each incident is a summary card, whose title the macro adds to every link's hidden text.
    rows += [
        (f"Report {j}", report_text(r), f"{href}/reports/{j}", f"report {j}")
        for j, r in enumerate(incident.get("reports") or [], start=1)
    ]
    rows += [
        (
            f"Also reported by {o.get('name')}",
            report_text(o),
            f"{href}/others/{k}",
            f"the report by {o.get('name')}",
        )
        for k, o in enumerate(incident.get("others") or [], start=1)
    ]
    return [_row(*row, to_check=to_check) for row in rows]


def report_text(report: dict[str, Any]) -> str:
    text = f"{AGENCIES.get(report.get('agency', ''), '')}, {short_date(report.get('date'))}"
    if report.get("reference"):
        text += f", reference {report['reference']}"
    return text


def equalities_rows(answers: Answers) -> list[dict[str, Any]]:
    given = answers.get("equalities") or {}
    rows = []
    for q in QUESTIONS:
        label = dict(q.options).get(given.get(q.field) or "", "Not answered")
        rows.append(_row(q.text, label, "/apply/equalities", q.text.lower()))
    return rows
