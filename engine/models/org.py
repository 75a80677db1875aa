"""Areas, localities, Community Safety Partnerships and JAGs, mirrored from area files."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Area(SQLModel, table=True):
    __tablename__ = "area"
    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)


class Partnership(SQLModel, table=True):
    """A Community Safety Partnership (CSP); its chair owns the response to the victim."""

    __tablename__ = "partnership"
    id: str = Field(primary_key=True, max_length=60)
    area_id: str = Field(foreign_key="area.id", max_length=40)
    name: str = Field(max_length=200)


class Locality(SQLModel, table=True):
    __tablename__ = "locality"
    id: str = Field(primary_key=True, max_length=60)
    area_id: str = Field(foreign_key="area.id", max_length=40, index=True)
    partnership_id: str = Field(foreign_key="partnership.id", max_length=60)
    name: str = Field(max_length=200)


class Group(SQLModel, table=True):
    """A locality's Joint Action Group (JAG)."""

    __tablename__ = "jag_group"
    id: str = Field(primary_key=True, max_length=60)
    locality_id: str = Field(foreign_key="locality.id", max_length=60, index=True)
    name: str = Field(max_length=200)
