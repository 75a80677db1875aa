"""The one narrow interface every channel offers, and its two kinds of failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


class TemporaryFailure(Exception):
    """Worth retrying later: the provider was down or slow."""


class PermanentFailure(Exception):
    """Never retried: the address is bad or the provider refused the message."""


class Channel(Protocol):
    def send(self, rendered: Rendered, recipient: str, *, reference: str) -> str:
        """Send one message and return the provider's reference for it."""
        ...
