"""The one narrow interface every channel offers, and its two kinds of failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: the letter's PDF."""

    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str = ""
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Outgoing:
    """One message ready to go: how (email, sms or letter), to whom, and what it says.

    `reference` is the outbox row's idempotency key, made safe for providers; it goes out
    with the message (Notify `reference`, SMTP Message-ID) so a resend can be recognised.
    `in_doubt` is set when an earlier attempt may have reached the provider before a crash.
    """

    kind: str
    to: str
    rendered: Rendered
    reference: str
    area_id: str = ""
    message: str = ""
    address_lines: tuple[str, ...] = ()
    in_doubt: bool = False


class TemporaryFailure(Exception):
    """Worth retrying later: the provider was down, slow or busy."""


class Unconfirmed(Exception):
    """Maybe sent: the whole message went to the provider but its answer never came (a reply
    timed out, the connection dropped). Never a plain retry: the next attempt is made "in
    doubt", so the channel's own idempotency (Notify's reference, SMTP's Message-ID) decides."""


class PermanentFailure(Exception):
    """Never retried: the address is bad or the provider refused this message for good."""


class Channel(Protocol):
    def send(self, message: Outgoing) -> str:
        """Send one message and return the provider's reference for it."""
        ...


class ChannelRouter:
    """Picks the channel for each kind of message (email, sms, letter)."""

    def __init__(self, by_kind: dict[str, Channel]) -> None:
        self.by_kind = by_kind

    def send(self, message: Outgoing) -> str:
        channel = self.by_kind.get(message.kind)
        if channel is None:
            raise PermanentFailure(f"no channel is set up for {message.kind} messages")
        return channel.send(message)
