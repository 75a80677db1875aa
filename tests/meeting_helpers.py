"""Builders for JAG meeting tests: a Leicester JAG with one case of each agenda kind."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import select

from engine.models import Case
from tests.factories import make_case
from tests.jag_helpers import JagJourney, all_no, all_yes
from workflows.jag_case import domestic_abuse, meetings


class MeetingJourney(JagJourney):
    def meeting(self, held_on: date, who: str = "jag_chair", **kwargs: Any) -> int:
        with self.sessions() as s:
            m = meetings.create_meeting(
                s,
                clock=self.clock,
                actor=self.staff[who].actor,
                area_id="llr",
                locality_id="leicester",
                held_on=held_on,
                **kwargs,
            )
            return int(m.id)  # type: ignore[arg-type]

    def victim(self, name: str, dob: str = "1980-01-01") -> str:
        return self.refer(subject={"name": name, "date_of_birth": dob})

    def active(self, name: str, **accept: Any) -> str:
        ref = self.victim(name)
        self.fire("accept", "jag_chair", accept or None)
        return ref

    def flag(self, ref: str, count: int) -> None:
        with self.sessions() as s:
            domestic_abuse.set_flag(
                s,
                clock=self.clock,
                actor=self.staff["jag_chair"].actor,
                case_ref=ref,
                repeat_count=count,
            )

    def one_of_each(self, held_on: date) -> dict[str, str]:
        """A case for each kind that live data brings onto the agenda (Community Trigger
        too: a case under review, its state set directly)."""
        refs = {"new_referral": self.victim("Nina Newcase")}
        refs["high_risk"] = self.active("Harry Highrisk")
        self.fire("assess_risk", "partner", {"answers": all_yes()})
        refs["due_review"] = self.active(
            "Rita Review", review_on=(held_on - timedelta(days=1)).isoformat()
        )
        refs["overdue_actions"] = self.active("Olive Overdue")
        self.fire("assess_risk", "partner", {"answers": all_no()})
        self.fire(
            "add_action",
            "jag_chair",
            {
                "action": "Visit the victim",
                "owner": "PC Smith",
                "agency": "Police",
                "due_on": self.today(1),
            },
        )
        with self.sessions() as s:
            ct = make_case(s, self.clock)
            s.connection().execute(
                update(Case)
                .where(Case.reference == ct.reference)
                .values(state="under_review", locality_id="leicester")
            )
            s.commit()
            refs["community_trigger"] = ct.reference
        return refs

    def case_id(self, ref: str) -> int:
        with self.sessions() as s:
            return int(s.exec(select(Case.id).where(Case.reference == ref)).one())
