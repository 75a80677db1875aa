"""ctengine's settings: one object, built by the entry points and passed down."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
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
    # Fixed names (other tools rely on them): CTENGINE_EMAIL_CHANNEL, CTENGINE_SMTP_*.
    email_channel: Literal["log", "smtp", "notify"] = "log"
    outbox_dir: str = "var/outbox"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "asb-case-review@example.org"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = 10.0
    notify_api_key: SecretStr | None = None
    notify_base_url: str = "https://api.notifications.service.gov.uk"
