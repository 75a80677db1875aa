"""E-mail over SMTP (stdlib smtplib): one connection kept open across a dispatch pass."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from engine.settings import Settings
from notifications.channels import Outgoing, PermanentFailure, TemporaryFailure, Unconfirmed

log = logging.getLogger(__name__)


class SmtpChannel:
    """Sends e-mail through the configured relay; the password is never logged."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

    def send(self, message: Outgoing) -> str:
        mail = build_email(message, sender=self.settings.smtp_from)
        try:
            self._deliver(message.to, mail.as_string())
        except _ReplyLost as exc:
            # The relay has the whole message and may deliver it: "maybe sent", never a
            # plain retry. A resend (in doubt) carries the same Message-ID.
            self.close()
            raise Unconfirmed(f"the relay did not answer after the message: {exc}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise _classify(_first_code(exc), f"recipient refused: {exc.recipients}") from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _classify(exc.smtp_code, f"{exc.smtp_code} {exc.smtp_error!r}") from None
        except (smtplib.SMTPException, OSError) as exc:
            # The relay was unreachable or dropped us: worth another go later.
            self.close()
            raise TemporaryFailure(f"SMTP connection problem: {type(exc).__name__}") from None
        return str(mail["Message-ID"])

    def _deliver(self, to: str, data: str) -> None:
        reused = self._conn is not None
        try:
            self._transaction(self._connection(), to, data)
        except smtplib.SMTPServerDisconnected:
            if not reused:
                raise
            # A kept connection the relay had closed while idle: one fresh connection.
            self.close()
            self._transaction(self._connection(), to, data)

    def _transaction(self, conn: smtplib.SMTP, to: str, data: str) -> None:
        """MAIL, RCPT and DATA, as smtplib's sendmail does them, except that the wait for
        the reply to the message body is told apart (_ReplyLost) and given its own,
        longer timeout (CTENGINE_SMTP_DATA_TIMEOUT_SECONDS)."""
        sender = self.settings.smtp_from
        conn.ehlo_or_helo_if_needed()
        code, reply = conn.mail(sender)
        if code != 250:
            _reset(conn)
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = conn.rcpt(to)
        if code not in (250, 251):
            _reset(conn)
            raise smtplib.SMTPRecipientsRefused({to: (code, reply)})
        conn.putcmd("data")
        code, reply = conn.getreply()
        if code != 354:
            _reset(conn)
            raise smtplib.SMTPDataError(code, reply)
        conn.send(_dot_stuffed(data))
        if conn.sock is not None:
            conn.sock.settimeout(self.settings.smtp_data_timeout_seconds)
        try:
            code, reply = conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _ReplyLost(type(exc).__name__) from None
        if conn.sock is not None:
            conn.sock.settimeout(self.settings.smtp_timeout_seconds)
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        conn: smtplib.SMTP
        if s.smtp_ssl:
            conn = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context
            )
        else:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        try:
            if s.smtp_starttls and not s.smtp_ssl:
                conn.starttls(context=context)
            if s.smtp_username and s.smtp_password is not None:
                conn.login(s.smtp_username, s.smtp_password.get_secret_value())
        except BaseException:
            conn.close()
            raise
        return conn


def build_email(message: Outgoing, *, sender: str) -> Message:
    """The MIME message: plain text first, HTML as the alternative, then any attachments
    (a decision letter's PDF) in a multipart/mixed around them.

    The Message-ID comes from the outbox key, so a message resent after a crash carries the
    same id and mail systems that de-duplicate on it show it once. (The older `email.mime`
    classes are used because they build a message several times faster than EmailMessage.)
    """
    mail: Message = MIMEText(message.rendered.text, "plain", "utf-8")
    if message.rendered.html:
        mail = MIMEMultipart("alternative")
        mail.attach(MIMEText(message.rendered.text, "plain", "utf-8"))
        mail.attach(MIMEText(message.rendered.html, "html", "utf-8"))
    if message.rendered.attachments:
        body, mail = mail, MIMEMultipart("mixed")
        mail.attach(body)
        for item in message.rendered.attachments:
            part = MIMEApplication(item.content, item.media_type.split("/", 1)[-1])
            part.add_header("Content-Disposition", "attachment", filename=item.filename)
            mail.attach(part)
    mail["From"] = sender
    mail["To"] = message.to
    subject = message.rendered.subject
    mail["Subject"] = subject if subject.isascii() else Header(subject, "utf-8")  # type: ignore[assignment]
    mail["Message-ID"] = f"<{message.reference}@ctengine>"
    return mail


class _ReplyLost(Exception):
    """The message body went out but no reply to it came back."""


def _reset(conn: smtplib.SMTP) -> None:
    try:
        conn.rset()
    except smtplib.SMTPServerDisconnected:
        pass


_EOL = re.compile(r"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _dot_stuffed(data: str) -> bytes:
    """The body as DATA sends it: CRLF line ends, leading dots doubled, ended by CRLF.CRLF."""
    body = _LEADING_DOT.sub(b"..", _EOL.sub("\r\n", data).encode("ascii"))
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def _first_code(exc: smtplib.SMTPRecipientsRefused) -> int:
    codes = [code for code, _ in exc.recipients.values()]
    return codes[0] if codes else 550


def _classify(code: int, detail: str) -> Exception:
    # 4xx is the relay saying "not now" (greylisting, full queue); 5xx is "never".
    if 400 <= code < 500:
        return TemporaryFailure(detail)
    return PermanentFailure(detail)
