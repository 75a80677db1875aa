"""The application's question pages, one thing per page: what each asks and how it parses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from web.public import forms
from web.public.forms import Errors, Form

Answers = dict[str, Any]
Parsed = tuple[dict[str, Any] | None, Errors]

ROLES = {
    "victim": "I am the victim, or one of the victims",
    "representative": "I am applying for someone else, with their permission",
    "professional": "I am a professional applying for someone I support, with their permission",
    "group": "I am applying for a community group or business",
}
ROLE_HINTS = {
    "representative": "For example a relative, carer, friend, councillor or MP.",
    "professional": "For example a support worker, social worker or housing officer.",
    "group": "The group or business is the target of the behaviour.",
}
CONTACT = {"email": "Email", "phone": "Phone", "post": "Post"}
INVOLVEMENT = {
    "attend": "I want to go to the meeting",
    "representative": "I want someone to go for me",
    "impact_statement": "I want to send a written statement about how it has affected me",
    "none": "I do not want to take part",
}
INVOLVEMENT_HINTS = {
    "attend": "You can bring someone to support you.",
    "representative": "For example a relative, friend or support worker.",
    "impact_statement": "The panel will read it at the meeting.",
    "none": "The review will still happen and we will tell you the outcome.",
}
YES_NO = {"yes": "Yes", "no": "No"}


def role(answers: Answers) -> str:
    return str(answers.get("who", {}).get("role", "victim"))


def for_someone_else(answers: Answers) -> bool:
    return role(answers) != "victim"


def whom(answers: Answers) -> str:
    """Who the questions about the behaviour's effects are about, as the page says it."""
    if role(answers) == "group":
        return "the group or business"
    return "them" if for_someone_else(answers) else "you"


@dataclass(frozen=True)
class Page:
    slug: str
    template: str
    parse: Callable[[Form, Answers, date], Parsed]
    applies: Callable[[Answers], bool] = lambda _a: True

    @property
    def url(self) -> str:
        return f"/apply/{self.slug}"


def parse_who(form: Form, _answers: Answers, _today: date) -> Parsed:
    errors = Errors()
    value = forms.choice(form, "role", errors, options=ROLES, required="Select who is applying")
    return ({"role": value} if value else None), errors


def parse_permission(form: Form, answers: Answers, _today: date) -> Parsed:
    errors = Errors()
    required = (
        "Select yes if the group or business has agreed that you can apply for it"
        if role(answers) == "group"
        else "Select yes if they have given permission for you to apply"
    )
    given = forms.choice(form, "given", errors, options=YES_NO, required=required)
    return ({"given": given} if given else None), errors


def parse_permission_details(form: Form, _answers: Answers, _today: date) -> Parsed:
    errors = Errors()
    how = forms.text(
        form,
        "how",
        errors,
        what="How and when they gave permission",
        max_length=2000,
        required="Enter how and when they gave permission",
    )
    return (None if errors else {"how": how}), errors


def parse_your_name(form: Form, _answers: Answers, _today: date) -> Parsed:
    errors = Errors()
    name = forms.text(
        form, "name", errors, what="Your full name", max_length=200, required="Enter your full name"
    )
    return (None if errors else {"name": name}), errors


def parse_victim(form: Form, answers: Answers, _today: date) -> Parsed:
    errors = Errors()
    group = role(answers) == "group"
    what = "The name of the group or business" if group else "Their full name"
    required = (
        "Enter the name of the group or business" if group else "Enter the full name of the victim"
    )
    name = forms.text(form, "name", errors, what=what, max_length=200, required=required)
    return (None if errors else {"name": name}), errors


def parse_address(form: Form, _answers: Answers, _today: date) -> Parsed:
    errors = Errors()
    line1 = forms.text(
        form,
        "line1",
        errors,
        what="Address line 1",
        max_length=200,
        required="Enter address line 1, typically the building and street",
    )
    line2 = forms.text(form, "line2", errors, what="Address line 2", max_length=200)
    town = forms.text(
        form, "town", errors, what="Town or city", max_length=100, required="Enter town or city"
    )
    postcode = forms.postcode(form, "postcode", errors)
    value = {"line1": line1, "line2": line2, "town": town, "postcode": postcode}
    return (None if errors else value), errors


def parse_contact(form: Form, _answers: Answers, _today: date) -> Parsed:
    errors = Errors()
    how = forms.choice(
        form, "preference", errors, options=CONTACT, required="Select how we should contact you"
    )
    return ({"preference": how} if how else None), errors


def contact_field(answers: Answers) -> str | None:
    """The detail the chosen way of contact needs (none: post to the address given)."""
    how = answers.get("contact", {}).get("preference")
    if how == "post":
        return "postal_address" if for_someone_else(answers) else None
    return {"email": "email", "phone": "phone"}.get(how or "")


def parse_contact_details(form: Form, answers: Answers, _today: date) -> Parsed:
    errors = Errors()
    wanted = contact_field(answers)
    if wanted == "email":
        value = forms.email(form, "email", errors, required="Enter your email address")
    elif wanted == "phone":
        value = forms.phone(form, "phone", errors, required="Enter your phone number")
        # Not answering is "no": a text goes only to someone who said yes.
        texts = "yes" if form.get("texts_safe") == "yes" else "no"
        return (None if errors else {"phone": value, "texts_safe": texts}), errors
    else:
        value = forms.text(
            form,
            "postal_address",
            errors,
            what="Your postal address",
            max_length=1000,
            required="Enter your postal address",
        )
    return (None if errors else {str(wanted): value}), errors


def _optional_text(what: str, max_length: int) -> Callable[[Form, Answers, date], Parsed]:
    def parse(form: Form, _answers: Answers, _today: date) -> Parsed:
        errors = Errors()
        value = forms.text(form, "details", errors, what=what, max_length=max_length)
        return (None if errors else {"details": value}), errors

    return parse


def parse_impact(form: Form, answers: Answers, _today: date) -> Parsed:
    """The impact, asked about whoever the application is for (you, them, the group)."""
    errors = Errors()
    who = whom(answers)
    value = forms.text(
        form,
        "text",
        errors,
        what=f"How it has affected {who}",
        max_length=5000,
        required=f"Enter how the behaviour has affected {who}",
    )
    return (None if errors else {"text": value}), errors


def _long_text(required: str, what: str) -> Callable[[Form, Answers, date], Parsed]:
    def parse(form: Form, _answers: Answers, _today: date) -> Parsed:
        errors = Errors()
        value = forms.text(form, "text", errors, what=what, max_length=5000, required=required)
        return (None if errors else {"text": value}), errors

    return parse


def parse_involvement(form: Form, _answers: Answers, _today: date) -> Parsed:
    errors = Errors()
    value = forms.choice(
        form,
        "choice",
        errors,
        options=INVOLVEMENT,
        required="Select how you want to take part in the review meeting",
    )
    return ({"choice": value} if value else None), errors


def parse_sharing(form: Form, _answers: Answers, _today: date) -> Parsed:
    errors = Errors()
    value = forms.choice(
        form,
        "agree",
        errors,
        options=YES_NO,
        required="Select yes if you agree to us sharing the information with the relevant bodies",
    )
    return ({"agree": value} if value else None), errors


PAGES = {
    p.slug: p
    for p in (
        Page("who", "public/apply/who.html", parse_who),
        Page("permission", "public/apply/permission.html", parse_permission, for_someone_else),
        Page(
            "permission-details",
            "public/apply/permission_details.html",
            parse_permission_details,
            lambda a: for_someone_else(a) and a.get("permission", {}).get("given") == "yes",
        ),
        Page("your-name", "public/apply/your_name.html", parse_your_name),
        Page("victim", "public/apply/victim.html", parse_victim, for_someone_else),
        Page("address", "public/apply/address.html", parse_address),
        Page("contact", "public/apply/contact.html", parse_contact),
        Page(
            "contact-details",
            "public/apply/contact_details.html",
            parse_contact_details,
            lambda a: contact_field(a) is not None,
        ),
        Page("needs", "public/apply/needs.html", _optional_text("Your needs", 2000)),
        Page(
            "impact",
            "public/apply/impact.html",
            parse_impact,
        ),
        Page(
            "vulnerabilities",
            "public/apply/vulnerabilities.html",
            _optional_text("What makes it harder", 5000),
        ),
        Page(
            "outcome",
            "public/apply/outcome.html",
            _long_text("Enter what you would like to happen", "What you would like to happen"),
        ),
        Page("involvement", "public/apply/involvement.html", parse_involvement),
        Page("sharing", "public/apply/sharing.html", parse_sharing),
    )
}
