"""The development channel: writes each message to a folder and the log, sends nothing."""

from __future__ import annotations

import logging
from pathlib import Path

from notifications.channels import Rendered

log = logging.getLogger(__name__)


class LogChannel:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def send(self, rendered: Rendered, recipient: str, *, reference: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{reference}.txt"
        path.write_text(
            f"To: {recipient}\nSubject: {rendered.subject}\n\n{rendered.text}\n", encoding="utf-8"
        )
        log.info("message %s to %s: %s", reference, recipient, rendered.subject)
        return f"log:{path.name}"
