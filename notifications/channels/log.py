"""The development channel: writes each message to a folder and the log, sends nothing."""

from __future__ import annotations

import logging
from pathlib import Path

from notifications.channels import Outgoing

log = logging.getLogger(__name__)


class LogChannel:
    """One file per message in the outbox folder; a letter is written out ready to print.

    Attachments (a decision letter's PDF) are written beside the message, named after it:
    `<reference>.<filename>`; a posted letter's PDF is the letter itself.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def send(self, message: Outgoing) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        suffix = ".letter.txt" if message.kind == "letter" else ".txt"
        path = self.folder / f"{message.reference}{suffix}"
        path.write_text(_page(message), encoding="utf-8")
        for item in message.rendered.attachments:
            (self.folder / f"{message.reference}.{item.filename}").write_bytes(item.content)
        log.info("%s %s written to %s", message.kind, message.reference, path)
        return f"log:{path.name}"


def _page(message: Outgoing) -> str:
    rendered = message.rendered
    if message.kind == "letter":
        address = "\n".join(message.address_lines or (message.to,))
        return f"{address}\n\n{rendered.subject}\n\n{rendered.text}\n"
    if message.kind == "sms":
        return f"To: {message.to}\nText message:\n\n{rendered.text}\n"
    return f"To: {message.to}\nSubject: {rendered.subject}\n\n{rendered.text}\n"
