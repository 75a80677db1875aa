"""The JAG case page's words: the package's view of a case (workflows/jag_case/views.py)
turned into what each section shows, in GOV.UK words, with no stored code on the page."""

from __future__ import annotations

from typing import Any

from engine import registry
from web.public.templating import short_date
from web.staff.wording import JAG_ACTION_STATUS, SUBJECT_KIND

PARTS = {
    "victim": "Victim",
    "perpetrator": "Perpetrator",
    "place": "Place",
    "problem": "Problem",
}
BANDS = {
    "standard": ("Standard", "govuk-tag--green"),
    "medium": ("Medium", "govuk-tag--yellow"),
    "high": ("High", "govuk-tag--red"),
}
OSARA = (
    ("objective", "Objective"),
    ("scanning", "Scanning: what is the problem?"),
    ("analysis", "Analysis: why is it happening?"),
    ("response", "Response: what will be done?"),
    ("assessment", "Assessment: has it worked?"),
)
OSARA_KINDS = ("place", "problem")


def locality_name(locality_id: str) -> str:
    try:
        found = registry.locality_area(locality_id).localities.get(locality_id)
    except LookupError:
        found = None
    return found.name if found else locality_id


def case_context(view: dict[str, Any], wf: Any) -> dict[str, Any]:
    """The page's `case` (its heading, what can be done now, the timeline) and `jag` (its
    sections) from the package's view."""
    labels = {t.trigger: t.label for t in wf.transitions}
    case = {
        "reference": view["reference"],
        "state": view["state"],
        "state_label": view["state_label"],
        "version": view["version"],
        "locality": view["locality"],
        "locality_name": locality_name(view["locality"]),
        "events": view["events"],
        "unavailable_events": view["unavailable_events"],
        "event_labels": labels,
        "state_labels": wf.state_labels,
        "timeline": view["timeline"],
    }
    return {"case": case, "jag": sections(view)}


def sections(view: dict[str, Any]) -> dict[str, Any]:
    referral = view["referral"]
    return {
        "subjects": [_subject(s) for s in view["subjects"]],
        "referral": {
            "referred_on": referral["referred_at"][:10],
            "referred_by": referral["referred_by"],
            "reason": referral["reason"],
            "agencies": referral["agencies"],
            "kind": SUBJECT_KIND.get(referral["subject_kind"], referral["subject_kind"]),
        },
        "linked_ct": _linked(view.get("linked")),
        "decisions": _decisions(referral, view.get("cessation_reasons", {})),
        "review_on": referral["review_on"],
        "risk": [_risk(r) for r in view["risk"]],
        "actions": [_action(a) for a in view["actions"]],
        "osara_applies": referral["subject_kind"] in OSARA_KINDS,
        "osara": _osara(view.get("osara")),
        "ladder": [_ladder(p) for p in view["ladder"]],
        "peer_reviews": [_peer_review(p) for p in view["peer_reviews"]],
        "other_cases": [_other(o) for o in view["other_cases"]],
        "deadlines": view.get("deadlines", []),
    }


def _subject(s: dict[str, Any]) -> dict[str, str]:
    part = PARTS.get(s["part"], s["part"].replace("_", " ").capitalize())
    if "person" in s:
        born = s.get("date_of_birth")
        text = s["name"] + (f", born {short_date(born)}" if born else "")
    else:
        text = s["label"] + (f", {s['postcode']}" if s.get("postcode") else "")
    return {"part_text": part, "text": text}


def _linked(linked: dict[str, Any] | None) -> dict[str, Any] | None:
    if not linked:
        return None
    if not linked.get("visible"):
        return {"reference": None}
    rec = linked.get("recommendation")
    return {
        "reference": linked["reference"],
        "recommendation": (
            {"number": rec["seq"], "text": f"{rec['recipient_body']}: {rec['action']}"}
            if rec
            else None
        ),
    }


def _decisions(referral: dict[str, Any], reasons: dict[str, str]) -> list[dict[str, str]]:
    out = []
    if referral.get("decline_reason"):
        out.append({"label": "Why it was declined", "text": referral["decline_reason"]})
    if referral.get("on_next_agenda"):
        why = referral.get("agenda_reason") or "A high risk"
        out.append({"label": "On the next JAG agenda", "text": why})
    if referral.get("cessation_reason"):
        code = referral["cessation_reason"]
        note = referral.get("cessation_note")
        text = reasons.get(code, code) + (f". {note}" if note else "")
        who = referral.get("ceased_by")
        out.append({"label": "Why it ceased", "text": text + (f" (by {who})" if who else "")})
    if referral.get("kept_open_reason"):
        out.append({"label": "Why it was kept open", "text": referral["kept_open_reason"]})
    return out


def _risk(r: dict[str, Any]) -> dict[str, Any]:
    band_text, band_class = BANDS.get(r["band"], (r["band"].capitalize(), ""))
    return {
        "assessed_on": r["assessed_at"][:10],
        "by": r.get("assessed_by"),
        "score": r["score"],
        "band_text": band_text,
        "band_class": band_class,
        "repeat": r["repeat_victim"],
        "vulnerable": r["vulnerable"],
        "reassess_on": r["reassess_on"],
        "notes": r.get("notes"),
        "answers": [
            {"question": a["text"], "answer": "Yes" if a["yes"] else "No"} for a in r["answers"]
        ],
    }


def _action(a: dict[str, Any]) -> dict[str, Any]:
    notes = [
        f"{short_date(n['written_at'][:10])}: {JAG_ACTION_STATUS.get(n['status'], n['status'])}."
        f" {n['note']}"
        for n in a["notes"]
    ]
    status = JAG_ACTION_STATUS.get(a["status"], a["status"].replace("_", " ").capitalize())
    if a.get("completed_on"):
        status += f" on {short_date(a['completed_on'])}"
    return {
        "number": a["seq"],
        "text": a["action"],
        "owner": a["owner"],
        "agency": a["agency"],
        "due_on": a["due_on"],
        "overdue": a["overdue"],
        "status_text": status,
        "notes": notes,
        "recommendation": a.get("recommendation"),
    }


def _osara(osara: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not osara:
        return []
    return [{"label": label, "text": osara.get(key)} for key, label in OSARA]


def _ladder(p: dict[str, Any]) -> dict[str, Any]:
    stages = []
    for s in p["stages"]:
        note = ""
        if s["status"] == "skipped":
            note = s.get("reason") or ""
        elif s["status"] == "reached" and s.get("case"):
            note = f"On case {s['case']}"
        stages.append(
            {
                "label": s["label"],
                "reached_on": s.get("taken_on"),
                "skipped": s["status"] == "skipped",
                "agency": s.get("agency"),
                "note": note,
            }
        )
    return {"name": p["name"], "current": p.get("current"), "stages": stages}


def _peer_review(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "requested_on": p["requested_at"][:10],
        "reviewer": p.get("reviewer"),
        "requested_by": p.get("requested_by"),
        "question": p["question"],
        "due_on": p["due_on"],
        "findings": p.get("findings"),
        "recommendations": p.get("recommendations"),
    }


def _other(o: dict[str, Any]) -> dict[str, Any]:
    wf = registry.workflow(o["workflow"])
    return {
        "reference": o["reference"],
        "process": wf.title,
        "via": PARTS.get(o["part"], o["part"]),
        "state_label": wf.state_labels.get(o["state"], o["state"]),
    }
