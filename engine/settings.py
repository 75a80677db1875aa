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
    # --- the public pages (web/public) ---
    # Signs the CSRF tokens; when unset each process makes its own, which is fine for one
    # process but not for several behind a load balancer.
    secret_key: SecretStr | None = None
    # The area whose rules the pre-check applies before the applicant gives a postcode.
    public_area: str = "llr"
    # Unsent answers are deleted after this long without activity (pages warn 5 minutes before).
    form_idle_minutes: int = 60
    # Per client address; `limits` notation, e.g. "10/hour" or "5 per 10 minutes".
    submit_rate_limit: str = "10/hour"
    check_rate_limit: str = "60/hour"
    # New sets of saved answers per client (each browser's first save makes one).
    answers_rate_limit: str = "20/hour"
    # --- security (docs/security.md) ---
    # Proxies whose X-Forwarded-For is believed, comma separated addresses or networks
    # (e.g. "10.0.0.5,192.168.0.0/24"). Empty: the header is ignored and the client is the
    # peer that connected. The client is the last hop not in this list.
    trusted_proxies: str = ""
    # A private status link stops working this many days after the case closes.
    status_link_days: int = 90
    # API tokens expire this many days after they are made.
    api_token_days: int = 90
    # None: Secure cookies whenever the request came over https (or a trusted proxy said so).
    cookie_secure: bool | None = None
    # Where "Exit this page" goes: a neutral site that does not reveal what was being read.
    exit_page_url: str = "https://www.bbc.co.uk/weather"
