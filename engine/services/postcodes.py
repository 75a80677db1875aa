"""Which locality an address is in, from its postcode district (the area's public data)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.services.public_info import public_data

OUTSIDE = "outside"
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


@dataclass(frozen=True)
class PostcodeMatch:
    postcode: str  # normalised, e.g. "LE1 6ZG"
    localities: tuple[str, ...]  # candidate localities, most likely first
    maybe_outside: bool  # the district straddles the area's boundary

    @property
    def outside(self) -> bool:
        return not self.localities


def normalise(raw: str) -> str | None:
    """A UK postcode in its usual form ("le16zg" -> "LE1 6ZG"), or None if it is not one."""
    compact = re.sub(r"\s+", "", raw).upper()
    found = _POSTCODE.match(compact)
    return f"{found.group(1)} {found.group(2)}" if found else None


def match(area_id: str, postcode: str) -> PostcodeMatch:
    """The localities a (normalised) postcode may be in; none when it is outside the area."""
    district = postcode.split(" ", 1)[0]
    names = public_data(area_id).get("districts", {}).get(district, [OUTSIDE])
    localities = tuple(n for n in names if n != OUTSIDE)
    return PostcodeMatch(postcode, localities, OUTSIDE in names)
