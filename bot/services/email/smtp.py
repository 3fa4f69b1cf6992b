"""Sending one message over SMTP, outside any transaction, and reading the server's answer.

`smtp://` talks STARTTLS (port 587 by default): when the server offers it, always; a server
that does not offer it is refused the password (a local relay with no login is used as is).
`smtps://` is TLS from the start (port 465). A 5xx answer is permanent (the address does not
exist, the message is refused): failed. A 4xx, a dropped connection or a server that cannot be
reached is temporary: tried again later.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

TIMEOUT = 30  # seconds


@dataclass(frozen=True)
class Outcome:
    """How a send went: "sent", "failed" (permanent) or "later" (temporary), and why."""

    status: str
    error: str = ""  # the server's words, which may name the address: not for logs

    @property
    def code(self) -> str:
        """The reply code alone (or the kind of error), safe to log and summarise."""
        return self.error.split(" ", 1)[0].rstrip(":") or self.status


class Smtp:
    """A transport for one SMTP_URL; each send its own connection (sends are few and paced)."""

    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        parts = urlsplit(url)
        self.secure = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.secure else 587)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    def __call__(self, message: EmailMessage) -> Outcome:
        try:
            with self._connect() as server:
                if self.user and self.password:
                    server.login(self.user, self.password)
                refused = server.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            return _answer(*next(iter(error.recipients.values())))
        except smtplib.SMTPResponseException as error:
            return _answer(error.smtp_code, error.smtp_error)
        except (smtplib.SMTPException, OSError) as error:
            return Outcome("later", f"{type(error).__name__}: {error}"[:200])
        if refused:  # some recipients refused, others not: we send to one, so not reached
            return _answer(*next(iter(refused.values())))
        return Outcome("sent")

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.secure:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            server.ehlo()
            if server.has_extn("starttls"):
                server.starttls(context=context)
                server.ehlo()
            elif self.user:
                raise smtplib.SMTPNotSupportedError(
                    "the server offers no STARTTLS: the password was not sent"
                )
        except BaseException:
            server.close()
            raise
        return server


def _answer(code: int, text: bytes | str) -> Outcome:
    said = text.decode(errors="replace") if isinstance(text, bytes) else text
    error = f"{code} {said}"[:200]
    return Outcome("failed" if 500 <= code < 600 else "later", error)
