"""A case read with its workflow's detail row, as one object.

The generic case (engine.models.Case) holds what every workflow's case has; a workflow
package may register a detail table (WorkflowPackage.detail_model, keyed by `case_id`) for
what only its cases have. `CaseWithDetail` reads and writes both as one case: a name the
generic case has goes to it, any other to the detail row.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Select
from sqlmodel import Session, SQLModel, select

from engine import registry
from engine.models import Case

__all__ = ["CaseWithDetail", "detail_model", "load", "with_detail"]

_CASE_FIELDS = frozenset(Case.model_fields)


class CaseWithDetail:
    """A case and its detail row (None for a workflow with no detail table)."""

    __slots__ = ("case", "detail")

    case: Case
    detail: SQLModel | None

    def __init__(self, case: Case, detail: SQLModel | None = None) -> None:
        object.__setattr__(self, "case", case)
        object.__setattr__(self, "detail", detail)

    def _owner(self, name: str) -> Any:
        if name in _CASE_FIELDS:
            return self.case
        if self.detail is not None and name in type(self.detail).model_fields:
            return self.detail
        raise AttributeError(f"a {self.case.workflow_name} case has no {name!r}")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._owner(name), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._owner(name), name, value)

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        values = dict(self.detail.model_dump(**kwargs)) if self.detail is not None else {}
        values.pop("case_id", None)
        return {**values, **self.case.model_dump(**kwargs)}

    def __repr__(self) -> str:
        return f"CaseWithDetail({self.case!r}, {self.detail!r})"


def detail_model(workflow_name: str) -> Any:
    """The workflow's detail table model, or None when its cases have none."""
    return registry.package(workflow_name).detail_model


def with_detail(session: Session, case: Case | CaseWithDetail) -> CaseWithDetail:
    """The case with its detail row (from the session's identity map when already loaded)."""
    if isinstance(case, CaseWithDetail):
        return case
    model = detail_model(case.workflow_name)
    detail = session.get(model, case.id) if model is not None and case.id is not None else None
    return CaseWithDetail(case, detail)


@cache
def _by_reference(model: Any) -> Select[Any]:
    return select(Case, model).join(model, model.case_id == Case.id)  # type: ignore[arg-type]


def load(session: Session, reference: str) -> CaseWithDetail | None:
    """The case with this reference and its detail row, in one round trip."""
    package = registry.package_for_reference(reference)
    model = package.detail_model if package is not None else None
    if model is None:
        case = session.exec(select(Case).where(Case.reference == reference)).first()
        return CaseWithDetail(case) if case is not None else None
    row = session.exec(_by_reference(model).where(Case.reference == reference)).first()
    return CaseWithDetail(row[0], row[1]) if row is not None else None


def load_by_id(session: Session, case_id: int) -> CaseWithDetail | None:
    case = session.get(Case, case_id)
    return with_detail(session, case) if case is not None else None


def values_of(session: Session, column: str, case_ids: list[int]) -> dict[int, Any]:
    """`column` of these cases' detail rows, by case id (for workflows whose detail table
    has that column; a case of another workflow is left out)."""
    found: dict[int, Any] = {}
    for package in registry.packages().values():
        model = package.detail_model
        if model is None or column not in model.model_fields or not case_ids:
            continue
        rows = session.exec(
            select(model.case_id, getattr(model, column)).where(model.case_id.in_(case_ids))
        )
        found.update(dict(rows.all()))  # type: ignore[arg-type]
    return found
