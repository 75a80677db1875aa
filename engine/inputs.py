"""The base of every input model: text that no database can store is refused up front."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, field_validator


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class NoNulModel(BaseModel):
    @field_validator("*", mode="after")
    @classmethod
    def _reject_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold U+0000; refusing it here keeps both databases alike.
        if _has_nul(value):
            raise ValueError("must not contain a NUL character")
        return value
