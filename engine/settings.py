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
    # A request never waits on the database for long: a statement running longer, or a
    # lock waited for longer, is cancelled and the request answered 503 with Retry-After.
    # (SQLite has no statement timeout; its lock wait is the lock timeout.)
    db_statement_timeout_ms: int = 15_000
    db_lock_timeout_ms: int = 5_000
    db_connect_timeout_seconds: int = 5
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
    # Connecting and each command. The reply to the end of the message body (the relay
    # accepting it for delivery) gets far longer: relays scan mail before they answer, and
    # RFC 5321 (4.5.3.2.6) asks clients to wait up to 10 minutes for it.
    smtp_timeout_seconds: float = 30.0
    smtp_data_timeout_seconds: float = 300.0
    notify_api_key: SecretStr | None = None
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    # /metrics (Prometheus): answered to `Authorization: Bearer <token>`, or to clients
    # whose own address (not a forwarded one) is in these networks ("10.0.0.0/8,::1/128").
    # Neither set: /metrics answers 404.
    metrics_token: SecretStr | None = None
    metrics_networks: str = ""
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
