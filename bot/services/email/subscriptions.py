"""The weekly digest by email, for a Slack member who asks (`/partners digest email on`).

Nothing goes to an address before its owner confirms it: the address asked for (the Slack
profile's, or one typed) is kept apart, and only a confirmation email with a link goes to it.
The link's page confirms it (once); every digest after carries a one-click unsubscribe link
(RFC 8058), which works without a confirmation: a mail client POSTs to it directly.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.db import session_scope
from bot.models import EmailDelivery, Member, utcnow
from bot.partnership_cache import partnership_settings
from bot.services.directory import ProfileLoader, ensure_member, profiles_ahead
from bot.services.email import links
from bot.services.email.deliveries import queue
from bot.services.email.links import LinkRefused, Mailing
from bot.services.email.messages import Action, Draft, write
from bot.services.gate import trusted
from bot.services.refusal import Refusal

ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
CONFIRM_FOR = timedelta(days=7)
UNSUBSCRIBE_FOR = timedelta(days=120)  # a digest's link works for months after it is sent


class EmailProblem(Refusal):
    """The digest by email can't be set up as asked; the sentence says why and what to do."""


EMAIL_OFF = (
    "Email isn't set up for this partnership yet (a coordinator sets SMTP_URL, EMAIL_FROM and "
    "EMAIL_LINK_SECRET), so the digest can't come by email."
)


class DigestByEmail:
    def __init__(self, engine: Engine, mailing: Mailing | None) -> None:
        self.engine, self.mailing = engine, mailing

    def _mailing(self) -> Mailing:
        if self.mailing is None:
            raise EmailProblem(EMAIL_OFF)
        return self.mailing

    def ask(self, user_id: str, address: str | None, load_profile: ProfileLoader) -> str:
        """Send a confirmation link to `address` (or the Slack profile's); the digest goes there
        only once it is followed. The address it went to."""
        mailing = self._mailing()
        if not address:
            profile = load_profile(user_id)
            address = profile.email if profile else None
            if not address:
                raise EmailProblem(
                    "Your Slack profile shows no email address I can read; give one: "
                    "`/partners digest email on you@example.org`."
                )
        address = address.strip()
        if len(address) > 254 or not ADDRESS.match(address):
            raise EmailProblem(
                f"{address!r} doesn't look like an email address. For example "
                "`/partners digest email on you@example.org`."
            )
        load_profile = profiles_ahead(self.engine, [user_id], load_profile)
        with session_scope(self.engine) as session:
            member = ensure_member(session, user_id, load_profile)
            member.digest_email_asked = address
            session.add(member)
            session.flush()
            partnership = partnership_settings(session).name
            now = utcnow()
            confirm = mailing.url("confirm", member.id, now + CONFIRM_FOR)
            draft = Draft(
                subject=trusted(f"Confirm: {partnership}'s weekly digest by email"),
                heading=trusted("Get the weekly digest by email?"),
                paragraphs=[
                    trusted(
                        f"Someone asked in Slack for {partnership}'s weekly digest to come to "
                        "this address. Nothing more will be sent here unless you confirm, "
                        "within 7 days."
                    ),
                    trusted("If it wasn't you, ignore this email."),
                ],
                actions=[Action(trusted("Confirm this address"), confirm)],
                footer=[trusted(f"Partnerbot, for {partnership}")],
            )
            key = f"confirm:m{member.id}:{now.isoformat()}"
            queue(session, key, address, write(draft, about="confirming an address for the digest"))
        return address

    def stop(self, user_id: str) -> bool:
        """No more digests by email; False when none were coming."""
        with session_scope(self.engine) as session:
            member = session.exec(select(Member).where(Member.slack_user_id == user_id)).first()
            if member is None or not (member.digest_email or member.digest_email_asked):
                return False
            member.digest_email = member.digest_email_asked = None
            session.add(member)
            return True

    def address_to_confirm(self, link: links.Link) -> tuple[str | None, bool]:
        """The address a confirmation link is for (None: asked no more) and whether the link
        was used already; changes nothing."""
        with session_scope(self.engine) as session:
            member = _member(session, link, "confirm")
            return member.digest_email_asked, links.was_used(session, link)

    def confirm(self, link: links.Link) -> str | None:
        """The confirmation page's button: the asked address becomes the digest's, once."""
        with session_scope(self.engine) as session:
            member = _member(session, link, "confirm")
            links.use(session, link)
            address = member.digest_email_asked
            if address:
                member.digest_email, member.digest_email_asked = address, None
                session.add(member)
            return address

    def address_to_unsubscribe(self, link: links.Link) -> str | None:
        with session_scope(self.engine) as session:
            return _member(session, link, "unsubscribe").digest_email

    def unsubscribe(self, link: links.Link) -> str | None:
        """No more digests by email (one click, or the page's button); the address it went to,
        None when it was stopped already. Repeating it is harmless, so it is not single use."""
        with session_scope(self.engine) as session:
            member = _member(session, link, "unsubscribe")
            address, member.digest_email = member.digest_email, None
            session.add(member)
            return address


def _member(session: Session, link: links.Link, purpose: str) -> Member:
    """The member a `purpose` link is for; LinkRefused when they are gone."""
    member = session.get(Member, links.meant_for(link, (purpose,)).row_id)
    if member is None:
        raise LinkRefused("This link is for someone who is no longer in the partnership.")
    return member


def forget_addresses(session: Session, addresses: list[str]) -> int:
    """Erasure: the emails waiting for, or kept about, these addresses deleted."""
    rows = session.exec(
        select(EmailDelivery).where(col(EmailDelivery.recipient).in_(addresses))
    ).all()
    for row in rows:
        session.delete(row)
    return len(rows)
