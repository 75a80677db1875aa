"""The GOV.UK Notify channel against a local fake Notify that checks the JWT and payloads."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest

from engine.settings import Settings
from notifications.channels import (
    Attachment,
    Outgoing,
    PermanentFailure,
    Rendered,
    TemporaryFailure,
)
from notifications.worker import build_channel

SERVICE_ID = str(uuid.UUID(int=1))
SECRET = str(uuid.UUID(int=2))
API_KEY = f"ctengine_test-{SERVICE_ID}-{SECRET}"


@dataclass
class FakeNotify:
    """Answers like Notify's /v2 API; refuses any request whose token is not right."""

    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    status: int = 201
    known_references: dict[str, str] = field(default_factory=dict)

    def check_token(self, header: str) -> str | None:
        token = header.removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        except jwt.PyJWTError as exc:
            return f"bad token: {exc}"
        if claims.get("iss") != SERVICE_ID:
            return "wrong issuer"
        if abs(int(claims["iat"]) - time.time()) > 30:
            return "stale token"
        return None


def _handler(fake: FakeNotify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802
            if problem := fake.check_token(self.headers.get("Authorization", "")):
                return self._answer(403, {"errors": [{"error": "AuthError", "message": problem}]})
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append(("POST", self.path, payload))
            if fake.status != 201:
                return self._answer(fake.status, {"errors": [{"error": "X", "message": "no"}]})
            self._answer(201, {"id": f"notify-{len(fake.requests)}"})

        def do_GET(self) -> None:  # noqa: N802
            if problem := fake.check_token(self.headers.get("Authorization", "")):
                return self._answer(403, {"errors": [{"error": "AuthError", "message": problem}]})
            url = urlparse(self.path)
            reference = parse_qs(url.query).get("reference", [""])[0]
            fake.requests.append(("GET", url.path, {"reference": reference}))
            found = fake.known_references.get(reference)
            self._answer(200, {"notifications": [{"id": found}] if found else [], "links": {}})

    return Handler


@pytest.fixture
def notify() -> Iterator[tuple[FakeNotify, str]]:
    fake = FakeNotify()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _channel(base_url: str) -> Any:
    settings = Settings(email_channel="notify", notify_api_key=API_KEY, notify_base_url=base_url)
    router = build_channel(settings)
    # Template ids come from the area file; the test area has none set, so name them here.
    for notify_channel in {id(c): c for c in router.by_kind.values()}.values():
        notify_channel.templates = lambda area, kind, message: f"tpl-{kind}"
    return router


def _out(kind: str, to: str, **extra: Any) -> Outgoing:
    rendered = Rendered("Your ASB Case Review CT-2026-000001", "We have your application.\n")
    return Outgoing(kind=kind, to=to, rendered=rendered, reference="7-1-receipt", **extra)


def test_an_email_goes_to_notify_with_a_valid_token_template_and_reference(
    notify: tuple[FakeNotify, str],
) -> None:
    fake, url = notify
    assert _channel(url).send(_out("email", "val@example.org")) == "notify-1"
    assert fake.requests == [
        (
            "POST",
            "/v2/notifications/email",
            {
                "email_address": "val@example.org",
                "template_id": "tpl-email",
                "personalisation": {
                    "subject": "Your ASB Case Review CT-2026-000001",
                    "body": "We have your application.\n",
                },
                "reference": "7-1-receipt",
            },
        )
    ]


def test_a_text_message_goes_to_the_phone_number(notify: tuple[FakeNotify, str]) -> None:
    fake, url = notify
    _channel(url).send(_out("sms", "07700900123"))
    [(_, path, payload)] = fake.requests
    assert path == "/v2/notifications/sms"
    assert payload["phone_number"] == "07700900123"
    assert payload["template_id"] == "tpl-sms"
    assert payload["personalisation"] == {"body": "We have your application.\n"}


def test_a_letter_carries_the_name_address_and_postcode_as_address_lines(
    notify: tuple[FakeNotify, str],
) -> None:
    fake, url = notify
    lines = ("Val Victim", "1 High Street", "Leicester", "LE1 1AA")
    _channel(url).send(_out("letter", "1 High Street", address_lines=lines))
    [(_, path, payload)] = fake.requests
    assert path == "/v2/notifications/letter"
    assert payload["template_id"] == "tpl-letter"
    assert payload["personalisation"]["address_line_1"] == "Val Victim"
    assert payload["personalisation"]["address_line_4"] == "LE1 1AA"
    assert payload["personalisation"]["subject"] == "Your ASB Case Review CT-2026-000001"


def test_a_letter_without_a_full_address_is_refused_before_sending(
    notify: tuple[FakeNotify, str],
) -> None:
    fake, url = notify
    with pytest.raises(PermanentFailure):
        _channel(url).send(_out("letter", "Leicester", address_lines=("Val", "Leicester")))
    assert fake.requests == []


def test_notify_refusing_the_message_is_permanent_and_its_outage_temporary(
    notify: tuple[FakeNotify, str],
) -> None:
    fake, url = notify
    fake.status = 400
    with pytest.raises(PermanentFailure):
        _channel(url).send(_out("email", "val@example.org"))
    fake.status = 500
    with pytest.raises(TemporaryFailure):
        _channel(url).send(_out("email", "val@example.org"))
    fake.status = 429
    with pytest.raises(TemporaryFailure):
        _channel(url).send(_out("email", "val@example.org"))


def test_a_wrong_key_is_refused_by_notify_and_kept_for_retry(
    notify: tuple[FakeNotify, str],
) -> None:
    fake, url = notify
    channel = _channel(url)
    wrong = f"ctengine_test-{SERVICE_ID}-{uuid.UUID(int=3)}"
    settings = Settings(email_channel="notify", notify_api_key=wrong, notify_base_url=url)
    channel.by_kind["email"].client = build_channel(settings).by_kind["email"].client
    with pytest.raises(TemporaryFailure):
        channel.send(_out("email", "val@example.org"))
    assert fake.requests == []


def test_after_a_crash_notify_is_asked_first_and_a_delivered_message_is_not_resent(
    notify: tuple[FakeNotify, str],
) -> None:
    fake, url = notify
    fake.known_references["7-1-receipt"] = "notify-earlier"
    answer = _channel(url).send(_out("email", "val@example.org", in_doubt=True))
    assert answer == "notify-earlier"
    assert fake.requests == [("GET", "/v2/notifications", {"reference": "7-1-receipt"})]


def test_no_notify_template_set_up_keeps_the_message_for_later() -> None:
    settings = Settings(email_channel="notify", notify_api_key=API_KEY)
    channel = build_channel(settings)
    with pytest.raises(TemporaryFailure, match="template"):
        channel.send(_out("email", "val@example.org"))


def _with_pdf(kind: str, to: str, **extra: Any) -> Outgoing:
    pdf = Attachment("CT-2026-000001-closure.pdf", "application/pdf", b"%PDF-1.4 the letter")
    rendered = Rendered("Your ASB Case Review CT-2026-000001", "The letter.\n", "", (pdf,))
    return Outgoing(kind=kind, to=to, rendered=rendered, reference="7-9-closure", **extra)


def test_a_decision_letter_by_email_carries_its_pdf_as_notifys_file_link(
    notify: tuple[FakeNotify, str],
) -> None:
    fake, url = notify
    _channel(url).send(_with_pdf("email", "val@example.org"))
    [(_, path, payload)] = fake.requests
    assert path == "/v2/notifications/email"
    assert payload["personalisation"]["body"] == "The letter.\n"
    upload = payload["personalisation"]["link_to_file"]
    assert base64.b64decode(upload["file"]) == b"%PDF-1.4 the letter"
    assert upload["filename"] == "CT-2026-000001-closure.pdf"
    assert upload["confirm_email_before_download"] is True


def test_a_posted_decision_letter_is_the_pdf_as_a_precompiled_letter(
    notify: tuple[FakeNotify, str],
) -> None:
    fake, url = notify
    lines = ("Val Victim", "1 High Street", "Leicester", "LE1 1AA")
    channel = _channel(url)
    for c in {id(c): c for c in channel.by_kind.values()}.values():
        c.templates = lambda area, kind, message: ""  # no letter template is needed for it
    channel.send(_with_pdf("letter", "1 High Street", address_lines=lines))
    [(_, path, payload)] = fake.requests
    assert path == "/v2/notifications/letter"
    assert payload == {
        "reference": "7-9-closure",
        "content": base64.b64encode(b"%PDF-1.4 the letter").decode(),
    }
