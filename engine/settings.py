"""ctengine's settings: one object, built by the entry points and passed down."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CTENGINE_", env_file=".env", extra="ignore")

    # DATABASE_URL without the prefix is honoured too: it is what hosting platforms set.
    database_url: str = Field(
        default="sqlite:///var/ctengine.db",
        validation_alias=AliasChoices("CTENGINE_DATABASE_URL", "DATABASE_URL"),
    )
    database_schema: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = 1_000_000
    sweep_interval_seconds: int = 60
    email_channel: str = "log"
    outbox_dir: str = "var/outbox"
