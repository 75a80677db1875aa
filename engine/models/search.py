"""The words a case can be found by (applicant name, postcode, address), one row per word."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class CaseSearchTerm(SQLModel, table=True):
    """One lower-case word of a case's people, for /staff/cases.

    Keyed on (term, case_id): a search for "smi" reads the range "smi" <= term < "smj" from
    the primary key's index alone, on SQLite and PostgreSQL alike, with no extension and no
    scan of the party table (a LIKE '%smi%' cannot use an index).
    """

    __tablename__ = "case_search_term"
    term: str = Field(primary_key=True, max_length=60)
    case_id: int = Field(primary_key=True, foreign_key="case_record.id", index=True)
