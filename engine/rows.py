"""Table rows built from values the engine already holds in the right types.

A SQLModel table model validates every field when constructed (about 40 µs for a case).
The machine's hot path builds rows from values that came out of the database, or that it
made itself, so it builds them with `built`: the same object, with the model's defaults for
fields not given, and no second validation. Anything from outside (a form, the API) still
goes through the model's own constructor or a pydantic schema first.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlmodel import SQLModel

M = TypeVar("M", bound=SQLModel)


@cache
def _defaults(cls: type[SQLModel]) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    """(plain defaults, (name, factory) pairs) of a model's optional fields."""
    cls._sa_class_manager.mapper._check_configure()  # type: ignore[attr-defined]
    plain: dict[str, Any] = {}
    factories = []
    for name, info in cls.model_fields.items():
        if info.default_factory is not None:
            factories.append((name, info.default_factory))
        elif info.default is not PydanticUndefined:
            plain[name] = info.default
    return plain, tuple(factories)


def built(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of table model `cls` holding `values` (and defaults), not validated."""
    obj = cls._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    plain, factories = _defaults(cls)
    state = obj.__dict__
    state.update(plain)
    for name, factory in factories:
        if name not in values:
            state[name] = factory()
    state.update(values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    return obj


@cache
def column_keys(table: Any) -> tuple[str, ...]:
    return tuple(table.c.keys())


def values_of(row: SQLModel, *, without: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """A row's column values as a plain dict (for a Core INSERT), leaving out `without`."""
    state = row.__dict__
    table = type(row).__table__  # type: ignore[attr-defined]
    return {key: state.get(key) for key in column_keys(table) if key not in without}
