"""people match keys: one folding rule for every way a person or place arrives

Until now a JAG referral folded "O'Brien" to "obrien" and "Zoë" to "zoe", while a Sentinel
import folded them to "o brien" and "zo": the same person named by both became two records.
engine/people_match.py now holds the one rule; this recomputes the stored keys under it.
Anonymised records (keys "anonymised|...") are left as they are.

The rule is written out here, as it is at this revision, so that the migration does not
change if the module later does. Downgrade leaves the keys: they are derived from the name,
date of birth, label and postcode, and the older code only ever looked them up.

Revision ID: 0015_people_keys
Revises: 0014_jag_linked
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_people_keys"
down_revision: str | None = "0014_jag_linked"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROPPED = re.compile(r"[^a-z0-9 ]+")


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(_DROPPED.sub("", plain.lower().replace("-", " ")).split())


def _person_key(name: str, born: object) -> str:
    day = born.isoformat() if hasattr(born, "isoformat") else (str(born) if born else "")
    return f"{_fold(name)}|{day}"[:240]


def _place_key(label: str, postcode: str | None) -> str:
    code = "".join((postcode or "").upper().split())
    return f"{_fold(label)}|{code}"[:320]


def upgrade() -> None:
    conn = op.get_bind()
    people = sa.table(
        "person",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("date_of_birth", sa.Date),
        sa.column("match_key", sa.String),
    )
    places = sa.table(
        "place",
        sa.column("id", sa.Integer),
        sa.column("label", sa.String),
        sa.column("postcode", sa.String),
        sa.column("match_key", sa.String),
    )
    rows = conn.execute(
        sa.select(people.c.id, people.c.name, people.c.date_of_birth, people.c.match_key)
    )
    changed = [
        {"i": r.id, "k": key}
        for r in rows
        if not r.match_key.startswith("anonymised|")
        and (key := _person_key(r.name, r.date_of_birth)) != r.match_key
    ]
    if changed:
        conn.execute(
            people.update()
            .where(people.c.id == sa.bindparam("i"))
            .values(match_key=sa.bindparam("k")),
            changed,
        )
    rows = conn.execute(
        sa.select(places.c.id, places.c.label, places.c.postcode, places.c.match_key)
    )
    changed = [
        {"i": r.id, "k": key}
        for r in rows
        if not r.match_key.startswith("anonymised|")
        and (key := _place_key(r.label, r.postcode)) != r.match_key
    ]
    if changed:
        conn.execute(
            places.update()
            .where(places.c.id == sa.bindparam("i"))
            .values(match_key=sa.bindparam("k")),
            changed,
        )


def downgrade() -> None:
    """The keys stay as upgrade left them (see the module's docstring)."""
