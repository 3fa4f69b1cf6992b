"""Signed links in emails: what they do (`purpose`), to which row of which partnership, until
when; nothing else.

A link names no one: its token is the purpose, a row id, an expiry and the partnership it was
made for, with an HMAC-SHA256 of the four under `EMAIL_LINK_SECRET`. Changing any of them
breaks the signature. A link that changes something is used once: its signature is inserted
into `email_link_use`, unique, so a second use (a double click, a forwarded email) finds it
there and changes nothing. Links made while a deployment served one partnership carry no
partnership (three parts): they are partnership 1's, and work until they expire.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.config import Settings
from bot.db import insert_ignoring_conflict
from bot.models import EmailLinkUse, utcnow
from bot.partnership_scope import ONLY, current_partnership
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
    partnership: int  # whose row: the page acts within it
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
    """The token of a link to a row of the running work's partnership: payload and signature,
    both URL-safe."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    payload = f"{purpose}.{row_id}.{int(expires.timestamp())}.{current_partnership()}"
    return f"{_b64(payload.encode())}.{_b64(_digest(secret, payload))}"


def read(secret: str, token: str, now: datetime | None = None) -> Link:
    """The link a token stands for; LinkRefused when it was not made with `secret` (or was
    changed) or has expired."""
    try:
        encoded, _, signature = token.partition(".")
        payload = _unb64(encoded).decode()
        given = _unb64(signature)
        parts = payload.split(".")
        if len(parts) == 3:  # made before links carried their partnership
            parts.append(str(ONLY))
        purpose, row_text, expiry_text, partnership_text = parts
        row_id, expiry, partnership = int(row_text), int(expiry_text), int(partnership_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise LinkRefused(TAMPERED) from None
    expected = _digest(secret, payload)
    if not hmac.compare_digest(given, expected) or purpose not in PURPOSES:
        raise LinkRefused(TAMPERED)
    expires = datetime.fromtimestamp(expiry, tz=(now or utcnow()).tzinfo)
    if (now or utcnow()) >= expires:
        raise LinkRefused(EXPIRED)
    return Link(purpose, row_id, expires, partnership, expected.hex())


def was_used(session: Session, link: Link) -> bool:
    return session.get(EmailLinkUse, link.signature) is not None


def use(session: Session, link: Link) -> None:
    """Mark the link used, in the transaction of what it changes; LinkRefused if it was."""
    won = insert_ignoring_conflict(
        session, EmailLinkUse.__table__, {"signature": link.signature, "used_at": utcnow()}
    )
    if not won:
        raise LinkRefused(USED)


def meant_for(link: Link, purposes: Collection[str]) -> Link:
    """`link`, when it is for one of `purposes` (a service acts only on its own kinds of link);
    else LinkRefused."""
    if link.purpose not in purposes:
        raise LinkRefused(TAMPERED)
    return link
