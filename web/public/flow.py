"""The order of the application's pages: which apply to whom, what is done, where next."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from web.public.pages import PAGES, contact_field, for_someone_else

Answers = dict[str, Any]
CHECK_ANSWERS = "/apply/check"
MAX_INCIDENTS = 50
MAX_REPORTS = 20


def _has(key: str) -> Callable[[Answers], bool]:
    return lambda a: bool(a.get(key))


def _always(_a: Answers) -> bool:
    return True


def incident_complete(incident: dict[str, Any]) -> bool:
    return bool(incident.get("description") and incident.get("hate") and incident.get("reports"))


def incidents_complete(a: Answers) -> bool:
    incidents = a.get("incidents") or []
    return (
        bool(incidents)
        and all(incident_complete(i) for i in incidents)
        and a.get("incidents_done", False)
    )


@dataclass(frozen=True)
class Step:
    slug: str
    applies: Callable[[Answers], bool]
    complete: Callable[[Answers], bool]
    url: str = ""

    @property
    def href(self) -> str:
        return self.url or f"/apply/{self.slug}"


STEPS = (
    Step("who", _always, _has("who")),
    Step(
        "permission",
        for_someone_else,
        lambda a: a.get("permission", {}).get("given") == "yes",
    ),
    Step("permission-details", PAGES["permission-details"].applies, _has("permission-details")),
    Step("your-name", _always, _has("your-name")),
    Step("victim", for_someone_else, _has("victim")),
    Step("address", _always, _has("address")),
    Step("council", lambda a: bool(a.get("council_choices")), _has("locality")),
    Step("contact", _always, _has("contact")),
    Step(
        "contact-details",
        PAGES["contact-details"].applies,
        lambda a: bool((a.get("contact-details") or {}).get(contact_field(a) or "")),
    ),
    Step("needs", _always, _has("needs")),
    Step("incidents", _always, incidents_complete),
    Step("impact", _always, _has("impact")),
    Step("vulnerabilities", _always, _has("vulnerabilities")),
    Step("outcome", _always, _has("outcome")),
    Step("involvement", _always, _has("involvement")),
    Step("sharing", _always, lambda a: a.get("sharing", {}).get("agree") == "yes"),
    Step("equalities", _always, lambda a: "equalities" in a),
)
_INDEX = {s.slug: i for i, s in enumerate(STEPS)}
# A "no" to these means the application cannot go on; the page says why and what to do.
DEAD_ENDS = {
    ("permission", "given", "no"): "/apply/permission-needed",
    ("sharing", "agree", "no"): "/apply/sharing-needed",
}


def first_incomplete(answers: Answers) -> Step | None:
    return next((s for s in STEPS if s.applies(answers) and not s.complete(answers)), None)


def next_url(slug: str, answers: Answers, *, returning: bool) -> str:
    """Where to go after saving a page: on through the form, or back to check answers."""
    stored = answers.get(slug)
    for (page, key, value), url in DEAD_ENDS.items():
        if page == slug and isinstance(stored, dict) and stored.get(key) == value:
            return url
    if returning:
        missing = first_incomplete(answers)
        return f"{missing.href}?return=check" if missing else CHECK_ANSWERS
    later = [s for s in STEPS[_INDEX[slug] + 1 :] if s.applies(answers)]
    return later[0].href if later else CHECK_ANSWERS


def back_url(slug: str, answers: Answers, *, returning: bool = False) -> str:
    """The page before this one for this applicant (the start page before the first)."""
    if returning:
        return CHECK_ANSWERS
    earlier = [s for s in STEPS[: _INDEX[slug]] if s.applies(answers)]
    return earlier[-1].href if earlier else "/"


def resume_url(answers: Answers) -> str:
    missing = first_incomplete(answers)
    return missing.href if missing else CHECK_ANSWERS
