"""The words staff forms use for each event's fields: labels, hints, choices and error
messages in GOV.UK style, never a validation library's defaults or a stored code.

A field is looked up as (event, field) first, then by its name alone, then worded from the
name itself, so a new field on a new event still gets a sensible label and messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DATE_HINT = "For example, 27 3 2026"


@dataclass(frozen=True)
class Words:
    label: str
    # What the field asks for, as it reads after "Enter" or "Select": "the reasons for the decision"
    what: str
    hint: str = ""
    choices: dict[str, str] = field(default_factory=dict)
    choice_hints: dict[str, str] = field(default_factory=dict)


INVOLVEMENT = {
    "attend": "Attend the meeting",
    "representative": "Send a representative",
    "impact_statement": "Give a written impact statement",
    "none": "No part in the meeting",
}
REJECTION_GROUNDS = {
    "prejudicial": "Prejudicial",
    "discriminatory": "Discriminatory",
    "malicious": "Malicious",
    "unreasonable": "Unreasonable",
    "vexatious": "Vexatious",
    "frivolous": "Frivolous",
}
APPEAL_GROUNDS = {
    "process_not_considered": "The review did not follow the process",
    "facts_not_considered": "The review did not consider all the facts",
}
RECOMMENDATION_STATUS = {
    "open": "Not started or in progress",
    "accepted": "Accepted by the agency",
    "declined": "Declined by the agency",
    "done": "Done",
}
CLOSURE_REASONS = {
    "resolved": "The problem has been resolved",
    "no_further_incidents": "There have been no further incidents",
    "victim_agrees": "The victim agrees the case can close",
    "transferred": "Transferred to another area",
    "victim_moved": "The victim has moved away",
    "duplicate": "It duplicates another case",
    "appeal_window_passed": "The time to appeal has passed",
}
CHANNELS = {
    "online": "Online",
    "phone": "By phone",
    "paper": "By letter or on a paper form",
    "in_person": "In person",
    "representative": "Through a representative",
    "api": "From another system",
}
# Every stored code a staff page may show, in words (used by the `in_words` filter).
CODES: dict[str, dict[str, str]] = {
    "victim_involvement": INVOLVEMENT,
    "involvement": INVOLVEMENT,
    "ground": {**REJECTION_GROUNDS, **APPEAL_GROUNDS},
    "status": RECOMMENDATION_STATUS,
    "closure_reason": CLOSURE_REASONS,
    "channel": CHANNELS,
}

BY_NAME: dict[str, Words] = {
    "reasons": Words("Reasons", "the reasons for the decision"),
    "override_reason": Words(
        "Why your decision differs from the threshold check",
        "why your decision differs from the threshold check",
        "Only needed when your decision is not the one the threshold check gives.",
    ),
    "meeting_date": Words(
        "Date of the review meeting",
        "the date of the review meeting",
        "The papers are due 3 working days before the meeting. If the meeting is sooner than"
        " that, the papers are due today.",
    ),
    "held_on": Words("Date the meeting was held", "the date the meeting was held"),
    "confirm_other_date": Words(
        "Yes, it was held on the date above, not the day it was arranged for",
        "that the meeting was held on another day than arranged",
    ),
    "jag_meeting_on": Words(
        "Date of the JAG meeting that decided",
        "the date of the JAG meeting that decided",
        "Leave it empty only for a chair's decision between meetings, where the area allows one.",
    ),
    "attendees": Words(
        "Attendees",
        "at least one person invited, with their organisation",
        "One per line: each person, with their organisation.",
    ),
    "victim_involvement": Words(
        "How will the victim take part?", "how the victim will take part", choices=INVOLVEMENT
    ),
    "not_invited_reason": Words(
        "Why will the victim take no part?",
        "why the victim will take no part in the meeting",
        "Only if they will take no part in the meeting.",
    ),
    "findings": Words("Findings", "the review's findings"),
    "agency_summaries": Words(
        "What each agency has done",
        "what each agency has done",
        "One per line, as: agency: what they did. For example, Police: attended twice.",
    ),
    "recommendations": Words("Recommendations", "the recommendations"),
    "summary": Words("Your response to the applicant", "your response to the applicant"),
    "details": Words("Details of the appeal", "the details of the appeal"),
    "received_on": Words(
        "Date the appeal was received",
        "the date the appeal was received",
        "Leave empty if it came in today.",
    ),
    "appeal_chair_email": Words(
        "Email address of the independent appeal chair",
        "the email address of the independent appeal chair",
    ),
    "recommendation": Words("Which recommendation?", "which recommendation you are updating"),
    "status": Words(
        "Where has it got to?", "where the recommendation has got to", choices=RECOMMENDATION_STATUS
    ),
    "note": Words("Note", "a note of what has happened"),
    "closure_reason": Words(
        "Why is the case closing?", "why the case is closing", choices=CLOSURE_REASONS
    ),
    "explanation": Words("Explanation", "an explanation"),
    "reason": Words("Reason", "the reason"),
}
BY_EVENT: dict[tuple[str, str], Words] = {
    ("application_rejected", "ground"): Words(
        "Ground for rejecting the application",
        "the ground for rejecting the application",
        choices=REJECTION_GROUNDS,
    ),
    ("appeal_lodged", "ground"): Words(
        "Ground of appeal", "the ground of appeal", choices=APPEAL_GROUNDS
    ),
    ("withdrawn", "reason"): Words("Reason", "why the application is withdrawn"),
}
# JAG case work (workflows/jag_case): each event's fields in words.
JAG_ACTION_STATUS = {
    "open": "Not started",
    "in_progress": "In progress",
    "done": "Done",
    "cancelled": "Cancelled",
}
SUBJECT_KIND = {
    "victim": "A victim",
    "perpetrator": "A perpetrator",
    "place": "A place",
    "problem": "A problem",
}
LATER_DATE = "Leave empty to use the area's usual interval."
BY_EVENT.update(
    {
        ("accept", "review_on"): Words(
            "Date of the first review", "the date of the first review", LATER_DATE
        ),
        ("accept", "note"): Words("Note", "a note"),
        ("decline", "reason"): Words(
            "Why is the referral declined?", "why the referral is declined"
        ),
        ("assess_risk", "answers"): Words(
            "The risk questions", "an answer to each risk question", "Answer every question."
        ),
        ("assess_risk", "repeat_victim"): Words(
            "The victim is a repeat victim", "whether the victim is a repeat victim"
        ),
        ("assess_risk", "vulnerable"): Words(
            "The victim is vulnerable", "whether the victim is vulnerable"
        ),
        ("assess_risk", "reassess_on"): Words(
            "Date to assess the risk again", "the date to assess the risk again", LATER_DATE
        ),
        ("assess_risk", "person"): Words("Which victim?", "which victim was assessed"),
        ("assess_risk", "notes"): Words("Notes", "notes"),
        ("add_action", "action"): Words("What is the action?", "what the action is"),
        ("add_action", "owner"): Words(
            "Who owns it?", "who owns the action", "The named person who will make sure it is done."
        ),
        ("add_action", "agency"): Words("Which agency?", "the agency that will do it"),
        ("add_action", "due_on"): Words("Due date", "the date the action is due"),
        ("add_action", "recommendation"): Words(
            "Which recommendation of the ASB Case Review does it carry out?",
            "the recommendation it carries out",
        ),
        ("update_action", "action"): Words("Which action?", "which action you are updating"),
        ("update_action", "status"): Words(
            "Where has it got to?", "where the action has got to", choices=JAG_ACTION_STATUS
        ),
        ("update_action", "note"): Words("What has happened?", "what has happened"),
        ("record_osara", "objective"): Words("Objective", "the objective"),
        ("record_osara", "scanning"): Words(
            "Scanning: what is the problem?", "what the problem is"
        ),
        ("record_osara", "analysis"): Words(
            "Analysis: why is it happening?", "why it is happening"
        ),
        ("record_osara", "response"): Words("Response: what will be done?", "what will be done"),
        ("record_osara", "assessment"): Words(
            "Assessment: has it worked?", "whether it has worked"
        ),
        ("record_ladder_step", "stage"): Words("Which stage?", "the stage reached"),
        ("record_ladder_step", "taken_on"): Words("Date it was taken", "the date it was taken"),
        ("record_ladder_step", "agency"): Words("Which agency took it?", "the agency that took it"),
        ("record_ladder_step", "person"): Words("Which perpetrator?", "the perpetrator"),
        ("record_ladder_step", "skip_reason"): Words(
            "Why were earlier stages skipped?",
            "why earlier stages were skipped",
            "Only if stages before this one were not taken: for example, because of urgent harm.",
        ),
        ("set_review_date", "review_on"): Words(
            "Date of the next review", "the date of the next review"
        ),
        ("request_peer_review", "reviewer_email"): Words(
            "Which chair should review the case?",
            "the chair who should review the case",
            "A JAG chair of another locality. They will see this case only.",
        ),
        ("request_peer_review", "question"): Words(
            "What should the reviewer look at?", "what the reviewer should look at"
        ),
        ("record_peer_review", "recommendations"): Words("Recommendations", "the recommendations"),
        ("propose_cessation", "reason"): Words(
            "Why should the case cease?", "why the case should cease"
        ),
        ("cease", "reason"): Words("Why has the case ceased?", "why the case has ceased"),
        ("keep_open", "reason"): Words("Why is the case kept open?", "why the case is kept open"),
        ("add_subject", "kind"): Words(
            "Who or what is it?", "who or what you are adding", choices=SUBJECT_KIND
        ),
        ("add_subject", "name"): Words(
            "Full name", "the person's full name", "For a victim or perpetrator."
        ),
        ("add_subject", "date_of_birth"): Words("Date of birth", "the person's date of birth"),
        ("add_subject", "label"): Words(
            "The place or problem", "the place or problem", "For a place or problem."
        ),
        ("add_subject", "postcode"): Words("Postcode", "the postcode"),
    }
)
CODES["jag_action_status"] = JAG_ACTION_STATUS

# The parts of one recommendation, each with what an error asks for.
RECOMMENDATION_PARTS = {
    "recipient_body": ("Who is it for?", "who recommendation {n} is for"),
    "action": ("What should they do?", "what recommendation {n} asks them to do"),
    "owner": ("Named owner (optional)", "the named owner of recommendation {n}"),
    "due_on": ("Due date (optional)", "the due date of recommendation {n}"),
}
# A radio answer that reveals a further question (GOV.UK conditional reveal).
REVEALS = {("victim_involvement", "none"): "not_invited_reason"}


def words_for(event: str, name: str) -> Words:
    found = BY_EVENT.get((event, name)) or BY_NAME.get(name)
    if found is not None:
        return found
    label = name.replace("_", " ").capitalize()
    return Words(label, f"the {label.lower()}")


def in_words(value: object, kind: str) -> str:
    """A stored code in words ("attend" -> "Attend the meeting"); unknown codes are tidied."""
    text = "" if value is None else str(value)
    return CODES.get(kind, {}).get(text) or text.replace("_", " ").capitalize()
