"""GOV.UK Notify (notifications-python-client): e-mail, text messages and letters."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import requests
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient
from notifications_python_client.utils import prepare_upload

from notifications.channels import Attachment, Outgoing, PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)

# (area id, kind, message name) -> Notify template id; "" when none is set up.
TemplateIds = Callable[[str, str, str], str]


class NotifyChannel:
    """Each message goes through one generic Notify template per kind, filled with
    ((subject)) and ((body)); the area file names the templates (`[reminders.notify_templates]`).

    A decision letter's PDF goes with it: by e-mail as Notify's file link (the e-mail
    template shows ((link_to_file))), by post as a precompiled letter, which is that PDF
    exactly (its address block is where Notify reads the address).
    """

    def __init__(self, client: NotificationsAPIClient, templates: TemplateIds) -> None:
        self.client = client
        self.templates = templates

    def send(self, message: Outgoing) -> str:
        pdf = _pdf(message)
        template_id = self.templates(message.area_id, message.kind, message.message)
        if message.kind == "letter" and pdf is not None:
            template_id = "precompiled"  # no template: the PDF is the letter
        if not template_id:
            # A set-up gap, not a bad message: kept for retry until someone adds the id.
            raise TemporaryFailure(f"no GOV.UK Notify {message.kind} template is set up")
        try:
            if message.in_doubt:
                earlier = self._already_sent(message.reference)
                if earlier:
                    return earlier
            return self._post(message, template_id)
        except APIError as exc:
            raise _classify(exc) from None
        except requests.RequestException as exc:
            raise TemporaryFailure(f"Notify unreachable: {type(exc).__name__}") from None

    def _post(self, message: Outgoing, template_id: str) -> str:
        body = {"subject": message.rendered.subject, "body": message.rendered.text}
        ref = message.reference
        if message.kind == "sms":
            answer = self.client.send_sms_notification(
                message.to,
                template_id,
                personalisation={"body": message.rendered.text},
                reference=ref,
            )
        elif message.kind == "letter" and (pdf := _pdf(message)) is not None:
            answer = self.client.send_precompiled_letter_notification(ref, io.BytesIO(pdf.content))
        elif message.kind == "letter":
            answer = self.client.send_letter_notification(
                template_id, {**letter_address(message.address_lines), **body}, reference=ref
            )
        else:
            if (pdf := _pdf(message)) is not None:
                body["link_to_file"] = prepare_upload(
                    io.BytesIO(pdf.content),
                    filename=pdf.filename,
                    confirm_email_before_download=True,
                )
            answer = self.client.send_email_notification(
                message.to, template_id, personalisation=body, reference=ref
            )
        return str(answer["id"])

    def _already_sent(self, reference: str) -> str | None:
        """Notify keeps our reference on each notification: after a crash mid-send, ask it
        whether the message arrived before sending it again (idempotent where Notify allows)."""
        found = self.client.get_all_notifications(reference=reference)
        notifications = found.get("notifications", []) if found else []
        return str(notifications[0]["id"]) if notifications else None


def _pdf(message: Outgoing) -> Attachment | None:
    found = (a for a in message.rendered.attachments if a.media_type == "application/pdf")
    return next(found, None)


def letter_address(lines: tuple[str, ...]) -> dict[str, str]:
    """Notify's address_line_1..7: the name first and the postcode last, 3 to 7 lines."""
    cleaned = [line.strip() for line in lines if line and line.strip()]
    if len(cleaned) < 3:
        raise PermanentFailure("a letter needs a name, an address and a postcode")
    if len(cleaned) > 7:
        cleaned = [*cleaned[:6], cleaned[-1]]
    return {f"address_line_{i}": line for i, line in enumerate(cleaned, start=1)}


def _classify(exc: APIError) -> Exception:
    status = exc.status_code
    # 400 is Notify refusing this message (bad address, missing field): never retried.
    # 403 is our key or set-up, 429 a rate limit, 5xx Notify itself: all worth retrying.
    if status == 400:
        return PermanentFailure(f"Notify refused the message: {exc.message}")
    return TemporaryFailure(f"Notify answered {status}")
