"""`ctengine import sentinel`: a Sentinel CSV export loaded as caseless reports, with the
people and places it names, all or nothing.

Every row is checked first (engine/sentinel_format.py); a file with any bad row loads
nothing and the caller gets every bad row's line and reason. A good file is loaded in one
transaction: people and places upserted on their Sentinel reference, then each record not
already loaded (keyed on area and Sentinel reference) inserted in bulk: `executemany` on
SQLite, `COPY` on PostgreSQL. The reports carry the same complainant key as applications
and recorded complaints, so the threshold check and the second-report prompt count them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ARRAY, Connection, String, any_, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from engine.clock import Clock
from engine.errors import InvalidInput
from engine.models import Report
from engine.models.people import Person, Place
from engine.sentinel_format import CHANNEL, BadRow, Record, read

# (stage, rows done so far): "checked" while reading, "loaded" while writing.
Progress = Callable[[str, int], None]
CHUNK = 10_000
REPORT_COLUMNS = (
    "incident_key",
    "complainant_key",
    "incident_on",
    "reported_on",
    "agency",
    "reference",
    "channel",
    "reporter",
    "sentinel_ref",
    "area_id",
    "locality_id",
    "person_id",
    "place_id",
)
_REPORT = Report.__table__  # type: ignore[attr-defined]
_PERSON = Person.__table__  # type: ignore[attr-defined]
_PLACE = Place.__table__  # type: ignore[attr-defined]


@dataclass
class Imported:
    rows: int = 0
    bad: list[BadRow] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()
    added: int = 0
    already: int = 0
    people_added: int = 0
    people_updated: int = 0
    places_added: int = 0
    places_updated: int = 0
    dry_run: bool = False

    @property
    def loaded(self) -> bool:
        return not self.bad and not self.dry_run


def import_sentinel(
    session: Session,
    lines: Iterable[str],
    *,
    clock: Clock,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Imported:
    """Check the whole file, then load it in one transaction (rolled back for a dry run)."""
    checked = read(lines, today=clock.today(), progress=_stage(progress, "checked"))
    result = Imported(
        rows=len(checked.records) + len(checked.bad),
        bad=checked.bad,
        ignored_columns=checked.ignored_columns,
        dry_run=dry_run,
    )
    if checked.bad:
        return result
    try:
        _load(session, checked.records, clock, result, progress)
    except IntegrityError:
        session.rollback()
        raise InvalidInput(
            "Another import loaded some of these records at the same time; nothing was "
            "loaded from this file. Run the import again."
        ) from None
    except BaseException:
        session.rollback()
        raise
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return result


def _stage(progress: Progress | None, stage: str) -> Callable[[int], None] | None:
    return (lambda n: progress(stage, n)) if progress else None


def _load(
    session: Session,
    records: list[Record],
    clock: Clock,
    result: Imported,
    progress: Progress | None,
) -> None:
    conn = session.connection()
    now = clock.now()
    people = {(r.area_id, r.person[0]): r.person for r in records if r.person}
    places = {(r.area_id, r.place[0]): r.place for r in records if r.place}
    person_ids, result.people_added, result.people_updated = _upsert(
        conn, _PERSON, people, ("name", "date_of_birth", "match_key"), now
    )
    place_ids, result.places_added, result.places_updated = _upsert(
        conn, _PLACE, places, ("label", "postcode", "uprn", "match_key"), now
    )
    loaded = _loaded_refs(conn, records)
    rows = [
        (
            r.incident_key,
            r.complainant_key,
            r.incident_on,
            r.reported_on,
            r.agency,
            r.agency_reference,
            CHANNEL,
            r.name,
            r.reference,
            r.area_id,
            r.locality_id,
            person_ids[(r.area_id, r.person[0])] if r.person else None,
            place_ids[(r.area_id, r.place[0])] if r.place else None,
        )
        for r in records
        if not loaded or (r.area_id, r.reference) not in loaded
    ]
    result.added = insert_reports(conn, rows, _stage(progress, "loaded"))
    result.already = len(records) - result.added


def _upsert(
    conn: Connection,
    table: Any,
    wanted: dict[tuple[str, str], tuple[Any, ...]],
    columns: tuple[str, ...],
    now: Any,
) -> tuple[dict[tuple[str, str], int], int, int]:
    """Insert the people (or places) not yet known by their Sentinel reference; bring the
    known ones up to date. Gives every (area, reference)'s id and the counts added, updated."""
    ids: dict[tuple[str, str], int] = {}
    updated = 0
    for row in _by_reference(conn, table, list(wanted), columns):
        key = (row[1], row[2])
        ids[key] = row[0]
        values = dict(zip(columns, wanted[key][1:], strict=True))
        if any(old != values[c] for c, old in zip(columns, row[3:], strict=True)):
            conn.execute(table.update().where(table.c.id == row[0]).values(**values))
            updated += 1
    new = [key for key in wanted if key not in ids]
    names = ("area_id", "sentinel_ref", "created_at", *columns)
    rows = [(a, r, now, *wanted[(a, r)][1:]) for a, r in new]
    if conn.dialect.name == "postgresql":
        bulk_insert(conn, table.name, names, rows, None)
    elif rows:  # the columns' own types write dates and times as the models read them
        conn.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in rows])
    for row in _by_reference(conn, table, new, ()):
        ids[(row[1], row[2])] = row[0]
    return ids, len(new), updated


def _by_reference(
    conn: Connection, table: Any, keys: list[tuple[str, str]], columns: tuple[str, ...]
) -> Iterator[Any]:
    """The rows of `table` with these (area, Sentinel reference) keys: id, area, reference,
    then `columns`. PostgreSQL takes each area's references as one array parameter."""
    by_area: dict[str, list[str]] = {}
    for area, ref in keys:
        by_area.setdefault(area, []).append(ref)
    postgres = conn.dialect.name == "postgresql"
    picked = (table.c.id, table.c.area_id, table.c.sentinel_ref, *(table.c[c] for c in columns))
    for area, refs in by_area.items():
        for chunk in [refs] if postgres else _chunks(refs, 5000):
            match = (
                table.c.sentinel_ref == any_(bindparam("refs", chunk, type_=ARRAY(String)))
                if postgres
                else table.c.sentinel_ref.in_(chunk)
            )
            yield from conn.execute(select(*picked).where(table.c.area_id == area, match))


def _loaded_refs(conn: Connection, records: list[Record]) -> set[tuple[str, str]]:
    """Which records' (area, Sentinel reference) are already loaded, where the bulk write
    cannot skip them itself (COPY on PostgreSQL); none to look up in an area never imported."""
    if conn.dialect.name != "postgresql":
        return set()
    areas = sorted({r.area_id for r in records})
    some = conn.execute(
        select(_REPORT.c.id)
        .where(_REPORT.c.area_id.in_(areas), _REPORT.c.sentinel_ref.is_not(None))
        .limit(1)
    ).first()
    if some is None:
        return set()
    keys = [(r.area_id, r.reference) for r in records]
    return {(row[1], row[2]) for row in _by_reference(conn, _REPORT, keys, ())}


def insert_reports(
    conn: Connection, rows: list[tuple[Any, ...]], progress: Callable[[int], None] | None
) -> int:
    """The reports' bulk write (rows in REPORT_COLUMNS order); gives the number stored. On
    SQLite a record already loaded is skipped by its unique key as it is written."""
    return bulk_insert(
        conn, "report", REPORT_COLUMNS, rows, progress, skip=("area_id", "sentinel_ref")
    )


def bulk_insert(
    conn: Connection,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    progress: Callable[[int], None] | None,
    skip: tuple[str, ...] = (),
) -> int:
    """Rows in `columns` order through the driver itself, in the connection's transaction:
    COPY on PostgreSQL, executemany on SQLite (rows clashing on the `skip` key left out)."""
    if not rows:
        return 0
    names = ", ".join(columns)
    stored = 0
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for n, row in enumerate(rows, start=1):
                    copy.write_row(row)
                    if progress and n % CHUNK == 0 and n < len(rows):
                        progress(n)
            stored = len(rows)
        else:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            if skip:
                sql += f" ON CONFLICT ({', '.join(skip)}) DO NOTHING"
            for start in range(0, len(rows), CHUNK):
                cursor.executemany(sql, rows[start : start + CHUNK])
                stored += cursor.rowcount
                if progress and start + CHUNK < len(rows):
                    progress(start + CHUNK)
    except conn.dialect.dbapi.IntegrityError as exc:  # type: ignore[union-attr]
        # The driver's own error (the bulk write bypasses SQLAlchemy's wrapping).
        raise IntegrityError(f"bulk insert into {table}", None, exc) from exc
    finally:
        cursor.close()
    if progress:
        progress(len(rows))
    return stored


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
