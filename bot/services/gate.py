"""The one gate out: typed text that may reach other people passes here, and only here.

Two promises hang on it: client details never reach a shared channel, and what people type is
shown as they typed it (never as markup that pings `@channel` or hides a link). Each used to be
kept separately on every path, and the path someone forgot broke them. So both are types:

- `Cleared` is typed text the privacy guard let through (or that the author chose to share
  anyway, where the partnership allows it). Only `clear`, `clear_link` and `trusted` make it,
  and every column in `COLUMNS` that reaches others refuses any other value on assignment.
- `Shown` is text escaped for Slack's mrkdwn. Only `escape` and `link` make it; block builders
  put typed content into messages through them.
- `HtmlShown` is the same for email and the `/email/` pages: `html` and `html_link` make it
  from `Cleared` text, so nothing the guard held back reaches an email either.

`tests/test_gate.py` lists every typed field and column with its `Reach`, and fails when one is
added without one.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from sqlalchemy import event
from sqlmodel import Session, select

from bot.models import (
    Commitment,
    Draft,
    EmailCoordinator,
    GlossaryTerm,
    KeyWorker,
    Member,
    Opportunity,
    Organisation,
    PartnerPerson,
    PartnershipSession,
    PartnerUpdate,
    Topic,
    VisitStory,
)
from bot.partnership_cache import partnership_settings
from bot.services.privacy import Finding, scan
from bot.services.privacy_names import NOBODY, KnownPeople
from bot.services.refusal import Refusal

_KEY = object()  # held here alone: the types below refuse to be made without it

# The one piece of markup typed text keeps: a person, as the inbound gate (bot.slack.inbound)
# writes a mention. It renders as that person and pings nobody else.
MENTION = re.compile(r"<@[UW][A-Z0-9]{2,}>")


class Reach(StrEnum):
    """Who may see a typed field, which decides what the gate does with it."""

    OTHERS = "others"  # a channel, someone else's DM, the digest, email: guarded and escaped
    LINK = "link"  # a web address shown to others: parsed, guarded, rebuilt and escaped
    PUBLIC = "public"  # an organisation's own published details (names, addresses): escaped
    AUTHOR = "author"  # shown back only to the person who typed it: escaped


class _GateText(str):
    """A str only this module can make (it holds the key)."""

    __slots__ = ()

    def __new__(cls, value: str, key: object = None) -> _GateText:
        if key is not _KEY:
            raise TypeError(f"only bot.services.gate makes {cls.__name__} text")
        return super().__new__(cls, value)


class Cleared(_GateText):
    """Typed text that passed the gate for where it is going: `clear`, `clear_link`, `trusted`."""

    __slots__ = ()


class Shown(_GateText):
    """Text escaped for Slack's mrkdwn (mentions kept): `escape` and `link`."""

    __slots__ = ()


class HtmlShown(_GateText):
    """Text escaped for HTML (an email, a page): `html`, `html_link` and `html_join`."""

    __slots__ = ()


class LooksPersonal(Refusal):
    """Not saved or sent: the text looks like it holds a client's personal data."""

    def __init__(self, field: str, findings: Sequence[Finding], may_share_anyway: bool) -> None:
        super().__init__(f"{field} looks like it holds personal data", field=field)
        self.findings = tuple(findings)
        self.may_share_anyway = may_share_anyway


class BadLink(Refusal):
    """A link that is not a plain web address; the message says what to type instead."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


class FieldsLookPersonal(Refusal):
    """Nothing saved: typed fields the gate held back, each as its `gate.LooksPersonal` by the
    field (the form's block id) it came from."""

    def __init__(self, held: Sequence[LooksPersonal]) -> None:
        super().__init__(", ".join(looks.field for looks in held) + " may hold personal data")
        self.held = {looks.field: looks for looks in held}
        self.may_share_anyway = all(looks.may_share_anyway for looks in held)


@dataclass(frozen=True)
class Policy:
    """What the guard holds back here: the partnership's setting (`warn`, where the author may
    share anyway, or `block`) and the people it knows are staff, never taken for clients."""

    setting: str = "warn"
    staff: KnownPeople = NOBODY

    @property
    def may_share_anyway(self) -> bool:
        return self.setting != "block"


_POLICY = "privacy_policy"  # where a session keeps its Policy until its transaction ends


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_policy(session: Session) -> None:
    session.info.pop(_POLICY, None)


def privacy_policy(session: Session) -> Policy:
    """The partnership's privacy policy, read once per transaction: its setting,
    and as staff every member's Slack names and every key worker in the directory (the partnership
    file's coordinators and key workers among them), its [[people]] and its coordinators reached
    by email."""
    if _POLICY not in session.info:
        setting = partnership_settings(session).privacy_policy
        members = session.exec(select(Member.name, Member.display_name)).all()
        workers = session.exec(select(KeyWorker.name)).all()
        people = session.exec(select(PartnerPerson.name)).all()
        by_email = session.exec(select(EmailCoordinator.name)).all()  # coordinators not on Slack
        names = [name for member in members for name in member if name]
        names += [*workers, *people, *by_email]
        session.info[_POLICY] = Policy(setting, KnownPeople(names))
    policy: Policy = session.info[_POLICY]
    return policy


def clear_fields(
    session: Session, fields: dict[str, tuple[str, Reach]], anyway: bool = False
) -> dict[str, Cleared]:
    """Each typed field (by form block id: its text and reach) through the gate, under the
    partnership's policy; FieldsLookPersonal naming every field held back."""
    policy = privacy_policy(session)
    cleared, held = {}, []
    for field_id, (text, reach) in fields.items():
        try:
            cleared[field_id] = clear(text, reach, policy=policy, anyway=anyway, field=field_id)
        except LooksPersonal as looks:
            held.append(looks)
    if held:
        raise FieldsLookPersonal(held)
    return cleared


def findings_in(text: str, staff: KnownPeople = NOBODY) -> list[Finding]:
    """What the guard finds, with mentions blanked (a user id can look like a reference) and the
    partnership's `staff` never taken for clients."""
    return scan(MENTION.sub(lambda match: " " * len(match[0]), text), staff)


def clear(
    text: str, reach: Reach, *, policy: Policy, anyway: bool = False, field: str = "text"
) -> Cleared:
    """The text, cleared for `reach`; LooksPersonal when the guard holds it back.

    `policy` is the partnership's (`privacy_policy`); where it allows, `anyway` is the author's
    informed choice to share it regardless."""
    if reach in (Reach.OTHERS, Reach.LINK):
        _guard(text, policy, anyway, field)
    return Cleared(text, _KEY)


def clear_link(text: str, *, policy: Policy, anyway: bool = False, field: str = "link") -> Cleared:
    """A web address (see `parse_link`), guarded too: a query string can carry an email."""
    address = parse_link(text, field)
    _guard(address, policy, anyway, field)
    return Cleared(address, _KEY)


def parse_link(text: str, field: str = "link") -> str:
    """A web address as typed, checked and rebuilt: `http` or `https`, a host, nothing Slack
    would read as markup; BadLink saying what to type otherwise."""
    text = text.strip()
    example = "Give a web address starting with https:// (e.g. https://example.org/training)."
    if any(char in text for char in '<>|"`\\') or any(char.isspace() for char in text):
        raise BadLink(field, f"A link can't contain spaces or any of < > | \" ` \\. {example}")
    try:
        parts = urlsplit(text)
        host, _port = parts.hostname, parts.port  # the port is read to check it
    except ValueError:
        raise BadLink(field, f"That link can't be read as a web address. {example}") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise BadLink(field, f"A link must start with http:// or https://. {example}")
    netloc = parts.netloc.rpartition("@")[2]  # never keep a user:password@ part
    rebuilt = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))
    return rebuilt


def trusted(text: str) -> Cleared:
    """Text nobody typed in Slack: the bot's own words, and the partnership file a coordinator
    wrote and loaded (checked by its loader)."""
    return Cleared(text, _KEY)


def stored(text: str) -> Cleared:
    """Typed text read back from a column in `COLUMNS` that reaches others: the column takes
    only Cleared text (see `enforce_columns`), so it passed the gate on its way in."""
    return Cleared(text, _KEY)


def _guard(text: str, policy: Policy, anyway: bool, field: str) -> None:
    findings = findings_in(text, policy.staff)
    if findings and not (anyway and policy.may_share_anyway):
        raise LooksPersonal(field, findings, policy.may_share_anyway)


# --- Out to Slack -------------------------------------------------------------------------------

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SPECIAL = re.compile(r"[&<>]")


def escape(text: str) -> Shown:
    """Slack's control characters escaped, so typed text can never `<!channel>` anybody or hide
    a link; a person the inbound gate recorded stays a mention of that person."""
    pieces, last = [], 0
    for match in MENTION.finditer(text):
        pieces += [_SPECIAL.sub(lambda m: _ESCAPES[m[0]], text[last : match.start()]), match[0]]
        last = match.end()
    pieces.append(_SPECIAL.sub(lambda m: _ESCAPES[m[0]], text[last:]))
    return Shown("".join(pieces), _KEY)


_URL_UNSAFE = re.compile(r"[<>|\s\"`\\]")


def link(url: str, label: str) -> Shown:
    """A link with a label; the address percent-encodes anything Slack could read as markup."""
    address = _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m[0].encode()), url)
    return Shown(f"<{address.replace('&', '&amp;')}|{escape(label)}>", _KEY)


# --- Out to email and web pages ------------------------------------------------------------------


def html(text: Cleared) -> HtmlShown:
    """Cleared text for HTML: `&`, `<`, `>` and quotes escaped, so it can never become markup;
    a mention (which no email reader can follow) is shown as plain text too."""
    return HtmlShown(_html.escape(text, quote=True), _KEY)


def html_link(url: str, label: Cleared, style: str = "") -> HtmlShown:
    """A link the bot made (an email's signed links, a checked address), with its label and
    the bot's own `style`."""
    address = _html.escape(_URL_UNSAFE.sub(lambda m: quote(m[0]), url), quote=True)
    styled = f' style="{_html.escape(style, quote=True)}"' if style else ""
    return HtmlShown(f'<a href="{address}"{styled}>{html(label)}</a>', _KEY)


def html_join(pieces: Sequence[HtmlShown], between: str = "") -> HtmlShown:
    """Escaped pieces put together with the bot's own markup (`between`, never typed text)."""
    return HtmlShown(between.join(pieces), _KEY)


def html_markup(template: str, **pieces: HtmlShown) -> HtmlShown:
    """The bot's own markup (`template`, never typed text) with escaped pieces in its slots."""
    return HtmlShown(template.format(**pieces), _KEY)


# --- Columns ------------------------------------------------------------------------------------

# Every column that holds typed text, with who may see it. Typed text reaching others must be
# Cleared to be stored at all, so a new path that forgets the gate fails at once.
COLUMNS: dict[Any, Reach] = {
    PartnerUpdate.text: Reach.OTHERS,
    Draft.text: Reach.AUTHOR,
    Opportunity.title: Reach.OTHERS,
    Opportunity.description: Reach.OTHERS,
    Opportunity.link: Reach.LINK,
    Organisation.name: Reach.PUBLIC,
    Organisation.description: Reach.OTHERS,
    Organisation.address: Reach.PUBLIC,
    Organisation.visitor_protocol: Reach.OTHERS,
    KeyWorker.name: Reach.PUBLIC,
    PartnerPerson.name: Reach.PUBLIC,  # partner staff from the file's [[people]]
    PartnerPerson.role: Reach.PUBLIC,
    EmailCoordinator.name: Reach.PUBLIC,  # a coordinator the file reaches by email alone
    Topic.name: Reach.PUBLIC,
    PartnershipSession.title: Reach.OTHERS,
    PartnershipSession.next_place: Reach.PUBLIC,
    Commitment.what: Reach.OTHERS,
    Commitment.note: Reach.OTHERS,
    GlossaryTerm.term: Reach.OTHERS,
    GlossaryTerm.meaning: Reach.OTHERS,
    GlossaryTerm.description: Reach.OTHERS,
    VisitStory.answer: Reach.OTHERS,  # the coordinators read it; its author may share it
}


def _only_cleared(target: object, value: object, old: object, initiator: object) -> object:
    if value is None or value == "" or isinstance(value, Cleared):
        return None if value is None else str(value)  # empty text holds nothing personal
    column = getattr(initiator, "key", "a typed column")
    owner = type(target).__name__
    raise TypeError(f"{owner}.{column} takes only text cleared by bot.services.gate")


def enforce_columns() -> None:
    """Make every guarded column refuse text the gate has not cleared (once per process)."""
    for column, reach in COLUMNS.items():
        guarded = reach in (Reach.OTHERS, Reach.LINK)
        if guarded and not event.contains(column, "set", _only_cleared):
            event.listen(column, "set", _only_cleared, retval=True)
