"""The SMTP channel against a real SMTP server (aiosmtpd on 127.0.0.1), checked at the wire."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from engine.settings import Settings
from notifications.channels import Outgoing, PermanentFailure, Rendered, TemporaryFailure
from notifications.channels.smtp import SmtpChannel

MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>]+>)", re.MULTILINE | re.IGNORECASE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpSink:
    """An aiosmtpd handler that keeps what arrives; `answer` can refuse recipients or data."""

    raw: list[tuple[list[str], bytes]] = field(default_factory=list)
    rcpt_answer: str = "250 OK"
    data_answer: str = "250 OK"
    on_data: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if not self.rcpt_answer.startswith("250"):
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if not self.data_answer.startswith("250"):
            return self.data_answer
        with self.lock:  # kept raw: parsing is left to the test, off the server's thread
            self.raw.append((list(envelope.rcpt_tos), envelope.content))
            count = len(self.raw)
        if self.on_data is not None:
            self.on_data(count)
        return "250 OK"

    @property
    def received(self) -> list[tuple[list[str], EmailMessage]]:
        with self.lock:
            raw = list(self.raw)
        return [(r, message_from_bytes(c, policy=policy.default)) for r, c in raw]  # type: ignore[misc]

    def message_ids(self) -> list[str]:
        with self.lock:
            raw = [c for _, c in self.raw]
        return [m.group(1).decode() for c in raw if (m := MESSAGE_ID.search(c))]


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpSink, int]]:
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def _message(to: str = "val@example.org", reference: str = "ref-1") -> Outgoing:
    return Outgoing(
        kind="email",
        to=to,
        rendered=Rendered("Your reference is CT-2026-000001", "Plain words.\n", "<p>Plain</p>"),
        reference=reference,
    )


def test_a_message_arrives_with_its_recipient_subject_text_and_html(
    smtp_server: tuple[SmtpSink, int],
) -> None:
    sink, port = smtp_server
    channel = SmtpChannel(Settings(smtp_port=port, smtp_from="ct@example.org"))

    ref = channel.send(_message())
    channel.close()

    [(rcpts, mail)] = sink.received
    assert rcpts == ["val@example.org"]
    assert mail["From"] == "ct@example.org"
    assert mail["Subject"] == "Your reference is CT-2026-000001"
    assert mail["Message-ID"] == "<ref-1@ctengine>" == ref
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and text.get_content().strip() == "Plain words."
    assert html is not None and "<p>Plain</p>" in html.get_content()


def test_one_connection_carries_many_messages(smtp_server: tuple[SmtpSink, int]) -> None:
    sink, port = smtp_server
    channel = SmtpChannel(Settings(smtp_port=port))
    for i in range(5):
        channel.send(_message(to=f"p{i}@example.org", reference=f"r{i}"))
    channel.close()
    assert [r for r, _ in sink.received] == [[f"p{i}@example.org"] for i in range(5)]


def test_a_refused_recipient_is_a_permanent_failure(smtp_server: tuple[SmtpSink, int]) -> None:
    sink, port = smtp_server
    sink.rcpt_answer = "550 no such user"
    channel = SmtpChannel(Settings(smtp_port=port))
    with pytest.raises(PermanentFailure):
        channel.send(_message())
    channel.close()


def test_a_busy_server_is_a_temporary_failure(smtp_server: tuple[SmtpSink, int]) -> None:
    sink, port = smtp_server
    sink.data_answer = "451 try again later"
    with pytest.raises(TemporaryFailure):
        SmtpChannel(Settings(smtp_port=port)).send(_message())
    assert sink.received == []


def test_no_server_listening_is_a_temporary_failure() -> None:
    channel = SmtpChannel(Settings(smtp_port=free_port(), smtp_timeout_seconds=2))
    with pytest.raises(TemporaryFailure):
        channel.send(_message())


def test_the_password_never_appears_in_a_failure(smtp_server: tuple[SmtpSink, int]) -> None:
    _, port = smtp_server
    settings = Settings(smtp_port=port, smtp_username="ct", smtp_password="s3cret-pw")
    with pytest.raises(TemporaryFailure) as failure:  # this server offers no AUTH
        SmtpChannel(settings).send(_message())
    assert "s3cret-pw" not in str(failure.value)
    assert "s3cret-pw" not in repr(settings)
