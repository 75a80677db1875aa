"""An area's retention schedule and equalities release size, as its area file states them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RetentionRules:
    # Case records: personal details anonymised this many years after the case closed.
    case_years_after_closure: int = 6
    # Saved public-form answers: deleted this many hours after they were started, however
    # active (the idle limit, CTENGINE_FORM_IDLE_MINUTES, usually deletes them far sooner).
    saved_answers_hours: int = 24
    # Complaints recorded without a case (the complaint register): anonymised this many
    # months after the complaint was made to the agency.
    complaint_register_months: int = 24
    # Equalities answers wait until at least this many can be released together.
    equalities_release_batch: int = 5

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> RetentionRules:
        values = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        unknown = set(raw) - set(cls.__dataclass_fields__) - {"sources"}
        if unknown:
            raise ValueError(f"[retention] has unknown keys: {sorted(unknown)}")
        rules = cls(**values)
        for name in cls.__dataclass_fields__:
            value = getattr(rules, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"[retention] {name} must be a whole number of at least 1")
        return rules
