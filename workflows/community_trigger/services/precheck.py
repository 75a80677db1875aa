"""The public pre-check: would these reports meet the area's threshold if sent today."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from engine import registry
from engine.clock import Clock
from engine.threshold import Assessment, ReportFacts, agency_name, assess, format_date


@dataclass(frozen=True)
class CheckedReport:
    incident: str  # reports of one incident share this, so it counts once
    incident_on: date
    reported_on: date
    agency: str


@dataclass(frozen=True)
class PreCheck:
    assessment: Assessment
    rules_incidents: int
    window_months: int
    findings: tuple[tuple[str, str], ...]  # (the incident, what the rules make of its report)


def check(
    *, clock: Clock, area_id: str, reports: Sequence[CheckedReport], hate_incident: bool
) -> PreCheck:
    """Apply the same rules the JAG chair's computed decision uses, as if applying today."""
    area = registry.area(area_id)
    facts = [ReportFacts(r.incident, r.incident_on, r.reported_on, r.agency) for r in reports]
    result = assess(
        facts, application_date=clock.today(), hate_incident=hate_incident, rules=area.threshold
    )
    findings = tuple(
        (
            f"Incident on {format_date(r.incident_on)}, reported to {agency_name(r.agency)} "
            f"on {format_date(r.reported_on)}",
            _plain(f.reason),
        )
        for r, f in zip(reports, result.reports, strict=True)
    )
    return PreCheck(result, area.threshold.incidents, area.threshold.window_months, findings)


def _plain(reason: str) -> str:
    """ "counted: reported …" reads as "Counts: reported …" for the applicant."""
    verdict, _, rest = reason.partition(": ")
    word = {"counted": "Counts", "not counted": "Does not count"}.get(verdict, verdict)
    return f"{word}: {rest}" if rest else word
