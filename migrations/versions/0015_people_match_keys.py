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
    _rekey(conn, "person", ("name", "date_of_birth"), _person_key)
    _rekey(conn, "place", ("label", "postcode"), _place_key)


def _rekey(conn: sa.Connection, name: str, fields: tuple[str, str], key_of: object) -> None:
    """Each row's match_key worked out again from its two `fields` by `key_of`, written
    where it changed; anonymised rows are left alone."""
    table = sa.table(name, sa.column("id"), sa.column("match_key"), *map(sa.column, fields))
    rows = conn.execute(sa.select(table.c.id, table.c.match_key, *(table.c[f] for f in fields)))
    changed = [
        {"i": r.id, "k": key}
        for r in rows
        if not r.match_key.startswith("anonymised|")
        and (key := key_of(*(getattr(r, f) for f in fields))) != r.match_key  # type: ignore[operator]
    ]
    if changed:
        conn.execute(
            table.update()
            .where(table.c.id == sa.bindparam("i"))
            .values(match_key=sa.bindparam("k")),
            changed,
        )


def downgrade() -> None:
    """The keys stay as upgrade left them (see the module's docstring)."""
