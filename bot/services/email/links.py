"""Signed links in emails: what they do (`purpose`), to which row, until when; nothing else.

A link names no one: its token is the purpose, a row id and an expiry, with an HMAC-SHA256 of
the three under `EMAIL_LINK_SECRET`. Changing any of them breaks the signature. A link that
changes something is used once: its signature is inserted into `email_link_use`, unique, so a
second use (a double click, a forwarded email) finds it there and changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.config import Settings
from bot.db import insert_ignoring_conflict
from bot.models import EmailLinkUse, utcnow
from bot.services.refusal import Refusal

PURPOSES = ("approve", "decline", "confirm", "unsubscribe", "done", "working", "help")
LIFETIME = timedelta(days=14)


class LinkRefused(Refusal):
    """A link that is not ours, was changed, has expired or was used already."""


TAMPERED = (
    "This link isn't one Partnerbot made, or part of it is missing. Copy the whole link from "
    "the email, or ask a coordinator."
)
EXPIRED = "This link has expired. Ask a coordinator, or answer in Slack if you can."
USED = "This link has been used already, so nothing more was changed."


@dataclass(frozen=True)
class Link:
    purpose: str
    row_id: int
    expires: datetime
    signature: str  # hex; what marks it used


@dataclass(frozen=True)
class Mailing:
    """What an email needs from the settings: the link secret, where links point, the sender."""

    secret: str
    base: str  # PUBLIC_URL: the web process, which serves /email/…
    sender: str  # EMAIL_FROM
    zone: ZoneInfo

    @classmethod
    def of(cls, settings: Settings) -> Mailing | None:
        """None when email is off (a setting missing)."""
        if not (settings.email_on and settings.email_link_secret and settings.email_from):
            return None
        return cls(
            settings.email_link_secret, settings.link_base, settings.email_from, settings.zone
        )

    def url(self, purpose: str, row_id: int, expires: datetime) -> str:
        return f"{self.base}/email/{sign(self.secret, purpose, row_id, expires)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _digest(secret: str, payload: str) -> bytes:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()


def sign(secret: str, purpose: str, row_id: int, expires: datetime) -> str:
    """The token of a link: payload and signature, both URL-safe."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    payload = f"{purpose}.{row_id}.{int(expires.timestamp())}"
    return f"{_b64(payload.encode())}.{_b64(_digest(secret, payload))}"


def read(secret: str, token: str, now: datetime | None = None) -> Link:
    """The link a token stands for; LinkRefused when it was not made with `secret` (or was
    changed) or has expired."""
    try:
        encoded, _, signature = token.partition(".")
        payload = _unb64(encoded).decode()
        given = _unb64(signature)
        purpose, row_text, expiry_text = payload.split(".")
        row_id, expiry = int(row_text), int(expiry_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise LinkRefused(TAMPERED) from None
    expected = _digest(secret, payload)
    if not hmac.compare_digest(given, expected) or purpose not in PURPOSES:
        raise LinkRefused(TAMPERED)
    expires = datetime.fromtimestamp(expiry, tz=(now or utcnow()).tzinfo)
    if (now or utcnow()) >= expires:
        raise LinkRefused(EXPIRED)
    return Link(purpose, row_id, expires, expected.hex())


def purpose_of(token: str) -> str:
    """What a token says it is for, unchecked: only to choose the page, whose service then
    reads it with `read` (and refuses it when the signature or the purpose does not match)."""
    try:
        return _unb64(token.partition(".")[0]).decode().split(".")[0]
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return ""


def was_used(session: Session, link: Link) -> bool:
    return session.get(EmailLinkUse, link.signature) is not None


def use(session: Session, link: Link) -> None:
    """Mark the link used, in the transaction of what it changes; LinkRefused if it was."""
    won = insert_ignoring_conflict(
        session, EmailLinkUse.__table__, {"signature": link.signature, "used_at": utcnow()}
    )
    if not won:
        raise LinkRefused(USED)
