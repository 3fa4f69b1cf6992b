"""Opportunities: typed, dated, with interest, caught when shared twice, closed when they close.

Slack is reached only through the `send`, `resend` and `unsend` callables the caller passes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from difflib import SequenceMatcher
from urllib.parse import urlsplit

from sqlalchemy import Engine, delete, func, update
from sqlmodel import Session, col, select

from bot.db import insert_ignoring_conflict, session_scope
from bot.models import (
    Member,
    Opportunity,
    OpportunityInterest,
    Organisation,
    Partnership,
    utcnow,
)
from bot.services import audit, channel_posts, gate, outbox
from bot.services.channel_posts import AlreadyPosted, Render, resume_post, send_post, write_post
from bot.services.directory import (
    OrganisationRef,
    find_organisation,
    is_coordinator,
)
from bot.services.events import claim_once
from bot.services.gate import BadLink, Cleared, LooksPersonal, Reach
from bot.services.inbox import current_item
from bot.services.matching import normalise
from bot.services.privacy import Finding
from bot.services.refusal import Refusal
from bot.services.text import clean

KINDS = ("training", "event", "funding", "vacancy", "volunteering", "other")
WITH_PLACES = ("training", "event")
KIND_WORDS = {kind: kind for kind in KINDS} | {
    "trainings": "training", "course": "training", "events": "event", "vacancies": "vacancy",
    "job": "vacancy", "jobs": "vacancy", "volunteer": "volunteering", "grant": "funding",
}  # fmt: skip
TITLE_MAX = 150
DESCRIPTION_MAX = 3000
LINK_MAX = 500
PLACES_MAX = 10_000
DUPLICATE_WINDOW = timedelta(days=30)
SIMILAR_TITLE = 0.9
REMIND_BEFORE = timedelta(days=3)
PAGE_SIZE = 10


def parse_kind(word: str) -> str | None:
    return KIND_WORDS.get(word.strip().lower())


@dataclass(frozen=True)
class OpportunityInput:
    """What a person asked to share, as typed values (the form's or the one-line command's)."""

    kind: str
    title: str
    description: str = ""
    link: str | None = None
    closes_on: date | None = None
    event_on: date | None = None
    places: int | None = None
    organisation: str | None = None  # a code; only coordinators may name another organisation

    def to_json(self) -> str:
        values = asdict(self)
        for name in ("closes_on", "event_on"):
            values[name] = values[name].isoformat() if values[name] else None
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> OpportunityInput:
        values = json.loads(text)
        for name in ("closes_on", "event_on"):
            values[name] = date.fromisoformat(values[name]) if values.get(name) else None
        return cls(**values)


class OpportunityProblem(Refusal):
    """A request refused: `str()` is the sentence to show, with an example that works."""

    def __init__(self, message: str, example: str = "") -> None:
        super().__init__(message, example)


class OpportunityInvalid(OpportunityProblem):
    """The input's problems by field (kind, title, description, link, closes_on, event_on,
    places), to show next to each field of the form."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()), "/opportunity help")
        self.errors = errors


@dataclass(frozen=True)
class OpportunityView:
    id: int
    organisation: OrganisationRef
    poster_id: str
    kind: str
    title: str
    description: str
    link: str | None
    closes_on: date | None
    event_on: date | None
    places: int | None
    status: str
    interested: int
    created_at: datetime
    channel: str | None = None
    ts: str | None = None

    @property
    def places_left(self) -> int | None:
        return None if self.places is None else max(0, self.places - self.interested)


class Caution(Refusal):
    """Nothing was posted: it looks shared already, or holds what looks like personal data."""

    def __init__(
        self,
        attempt: OpportunityInput,
        duplicates: Sequence[OpportunityView],
        findings: Sequence[Finding],
        may_post_anyway: bool,
    ) -> None:
        super().__init__("check before posting")
        self.attempt = attempt
        self.duplicates = list(duplicates)
        self.findings = list(findings)
        self.may_post_anyway = may_post_anyway


@dataclass(frozen=True)
class Interest:
    opportunity: OpportunityView
    interested: bool


@dataclass(frozen=True)
class Page:
    items: list[OpportunityView]
    number: int
    has_more: bool
    mine: frozenset[int] = frozenset()  # those the viewer may change (theirs, or all: coordinator)


@dataclass(frozen=True)
class Reminder:
    opportunity: OpportunityView
    member_ids: list[str] = field(default_factory=list)


def check(attempt: OpportunityInput, today: date) -> dict[str, str]:
    """Every problem with the input, by field; empty when it may be posted."""
    errors = {}
    if attempt.kind not in KINDS:
        errors["kind"] = f"Choose a kind: {', '.join(KINDS)}."
    title = clean(attempt.title)
    if not title:
        errors["title"] = "Give it a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"That title is {len(title)} characters; the limit is {TITLE_MAX}."
    if len(attempt.description) > DESCRIPTION_MAX:
        errors["description"] = (
            f"That's {len(attempt.description)} characters; the limit is {DESCRIPTION_MAX}."
        )
    if attempt.link and len(attempt.link) > LINK_MAX:
        errors["link"] = f"That link is {len(attempt.link)} characters; the limit is {LINK_MAX}."
    elif attempt.link:
        try:
            gate.parse_link(attempt.link)
        except BadLink as bad:
            errors["link"] = str(bad)
    if attempt.closes_on and attempt.closes_on < today:
        errors["closes_on"] = (
            f"{attempt.closes_on:%-d %b %Y} has passed; closing dates are today or later."
        )
    if attempt.event_on and attempt.event_on < today:
        errors["event_on"] = f"{attempt.event_on:%-d %b %Y} has passed."
    if attempt.places is not None and not 0 < attempt.places <= PLACES_MAX:
        errors["places"] = "Places must be a whole number above 0."
    return errors


class Opportunities:
    def __init__(self, engine: Engine, send: outbox.Send) -> None:
        self.engine, self.send = engine, send

    # Posting -------------------------------------------------------------------------------------

    def review(
        self, user_id: str, attempt: OpportunityInput, today: date, anyway: bool = False
    ) -> OpportunityInput:
        """Everything `publish` checks, without posting: the tidied input, or the reason not.

        Makes no Slack call, so a form can be answered in place before it is acknowledged."""
        with session_scope(self.engine) as session:
            return self._review(session, user_id, attempt, today, anyway)[0]

    def publish(
        self,
        user_id: str,
        attempt: OpportunityInput,
        today: date,
        render: Render,
        anyway: bool = False,
        once: str | None = None,
    ) -> OpportunityView:
        """Post unless it looks shared already or holds personal data (then Caution, unless
        `anyway` and the partnership allows it): saved with its post, then sent (channel_posts).

        `once` names a click (Post anyway): the row is saved only by the first use of it."""
        item = current_item.get()
        if item is not None:  # a request taken up again: what it saved is taken on
            resumed = resume_post(self.engine, self.send, "opportunity", item, _view)
            if resumed is not None:
                return resumed
        with session_scope(self.engine) as session:
            attempt, organisation, channel = self._review(session, user_id, attempt, today, anyway)
            text = _cleared(session, attempt, anyway)
            if once and not claim_once(session, f"opportunity:{once}"):
                raise OpportunityProblem("That one is already posted (or being posted now).")
            row = Opportunity(
                organisation_id=organisation.id, poster_id=user_id, kind=attempt.kind,
                title=text["title"], description=text["description"], link=text["link"],
                closes_on=attempt.closes_on, event_on=attempt.event_on, places=attempt.places,
                channel=channel, inbox_id=item,
            )  # fmt: skip
            session.add(row)
            session.flush()
            view = _view(session, row)
            post = write_post(session, "opportunity", view.id, channel, render(view))
        return send_post(self.send, post, view)

    def repost(self, user_id: str, opportunity_id: int, render: Render) -> OpportunityView:
        """Post again one Slack did not take (or did not confirm): its poster only, once."""
        with session_scope(self.engine) as session:
            row = _existing(session, opportunity_id)
            _require_poster(session, user_id, row, "post it")
            _require_status(row, "open", "posted")
        try:
            return channel_posts.repost(
                self.engine, self.send, "opportunity", opportunity_id, _view, render
            )
        except AlreadyPosted:
            raise OpportunityProblem("That one is already posted (or being posted now).") from None

    def _review(
        self, session: Session, user_id: str, attempt: OpportunityInput, today: date, anyway: bool
    ) -> tuple[OpportunityInput, Organisation, str]:
        attempt = _tidy(attempt)
        errors = check(attempt, today)
        if errors:
            raise OpportunityInvalid(errors)
        organisation = _poster_organisation(session, user_id, attempt.organisation)
        settings = session.get(Partnership, 1) or Partnership()
        channel = settings.opportunities_channel or settings.updates_channel
        if not channel:
            raise OpportunityProblem(
                "The partnership has no opportunities channel yet: a coordinator sets it in "
                'the partnership file ([channels] opportunities = "#…").'
            )
        findings = _findings(attempt)
        may_post_anyway = settings.privacy_policy != "block"
        duplicates = _duplicates(session, attempt, None)
        if (findings or duplicates) and not (anyway and (may_post_anyway or not findings)):
            raise Caution(attempt, duplicates, findings, may_post_anyway)
        return attempt, organisation, channel

    # Interest ------------------------------------------------------------------------------------

    def toggle_interest(self, user_id: str, opportunity_id: int, render: Render) -> Interest:
        """I'm interested / no longer: one atomic insert or delete, however fast the clicks."""
        with session_scope(self.engine) as session:
            row = _existing(session, opportunity_id)
            if row.status != "open":
                raise OpportunityProblem(f"“{row.title}” is {row.status}; interest is closed.")
            added = bool(
                insert_ignoring_conflict(
                    session,
                    OpportunityInterest.__table__,
                    {
                        "opportunity_id": opportunity_id,
                        "member_id": user_id,
                        "created_at": utcnow(),
                    },
                )
            )
            if not added:
                session.connection().execute(
                    delete(OpportunityInterest).where(
                        col(OpportunityInterest.opportunity_id) == opportunity_id,
                        col(OpportunityInterest.member_id) == user_id,
                    )
                )
        with session_scope(self.engine) as session:  # the count as committed, for the message
            view = _view(session, _existing(session, opportunity_id))
            redraw = outbox.redraw(session, view.channel, view.ts, render(view), report_to=None)
        self.send(redraw)
        return Interest(view, added)

    def interested_people(
        self, user_id: str, opportunity_id: int
    ) -> tuple[OpportunityView, list[str]]:
        """Who is interested: for the poster and coordinators only; others see a count."""
        with session_scope(self.engine) as session:
            row = _existing(session, opportunity_id)
            _require_poster(session, user_id, row, "see who is interested")
            people = session.exec(
                select(OpportunityInterest.member_id)
                .where(OpportunityInterest.opportunity_id == opportunity_id)
                .order_by(col(OpportunityInterest.created_at))
            ).all()
            return _view(session, row), list(people)

    # Looking -------------------------------------------------------------------------------------

    def browse(
        self, user_id: str, kind: str | None, closed: bool, today: date, page: int = 1
    ) -> Page:
        """Open ones closing soonest first (no closing date last), or the closed, newest first."""
        with session_scope(self.engine) as session:
            query = select(Opportunity).where(Opportunity.status != "withdrawn")
            if kind:
                query = query.where(Opportunity.kind == kind)
            if closed:
                query = query.where(
                    (Opportunity.status == "closed") | (col(Opportunity.closes_on) < today)
                ).order_by(col(Opportunity.closes_on).desc(), col(Opportunity.id).desc())
            else:
                query = query.where(
                    Opportunity.status == "open",
                    (col(Opportunity.closes_on).is_(None)) | (col(Opportunity.closes_on) >= today),
                ).order_by(
                    col(Opportunity.closes_on).is_(None),
                    col(Opportunity.closes_on),
                    col(Opportunity.id).desc(),
                )
            rows = session.exec(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
            views = opportunity_views(session, rows[:PAGE_SIZE])
            return Page(views, page, len(rows) > PAGE_SIZE, _changeable(session, user_id, views))

    def mine(self, user_id: str, page: int = 1) -> Page:
        with session_scope(self.engine) as session:
            rows = session.exec(
                select(Opportunity)
                .where(Opportunity.poster_id == user_id, Opportunity.status != "withdrawn")
                .order_by(col(Opportunity.created_at).desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE + 1)
            ).all()
            views = opportunity_views(session, rows[:PAGE_SIZE])
            return Page(views, page, len(rows) > PAGE_SIZE, frozenset(v.id for v in views))

    # Changing ------------------------------------------------------------------------------------

    def for_edit(self, user_id: str, opportunity_id: int) -> OpportunityView:
        with session_scope(self.engine) as session:
            row = _existing(session, opportunity_id)
            _require_poster(session, user_id, row, "change it")
            _require_status(row, "open", "changed")
            return _view(session, row)

    def review_edit(
        self,
        user_id: str,
        opportunity_id: int,
        attempt: OpportunityInput,
        today: date,
        anyway: bool = False,
    ) -> None:
        """What `edit` checks, without changing anything or calling Slack (forms answer first)."""
        attempt = _tidy(attempt)
        errors = check(attempt, today)
        if errors:
            raise OpportunityInvalid(errors)
        self.for_edit(user_id, opportunity_id)
        with session_scope(self.engine) as session:
            _cleared(session, attempt, anyway)

    def edit(
        self,
        user_id: str,
        opportunity_id: int,
        attempt: OpportunityInput,
        today: date,
        render: Render,
        anyway: bool = False,
    ) -> OpportunityView:
        """Change it, through the same checks and privacy guard as sharing it."""
        attempt = _tidy(attempt)
        errors = check(attempt, today)
        if errors:
            raise OpportunityInvalid(errors)
        with session_scope(self.engine) as session:
            row = _existing(session, opportunity_id)
            _require_poster(session, user_id, row, "change it")
            _require_status(row, "open", "changed")
            text = _cleared(session, attempt, anyway)
            row.title, row.description, row.link = text["title"], text["description"], text["link"]
            for name in ("kind", "closes_on", "event_on", "places"):
                setattr(row, name, getattr(attempt, name))
            row.edited_at = utcnow()
            session.add(row)
            session.flush()
            view = _view(session, row)
            redraw = outbox.redraw(session, view.channel, view.ts, render(view), report_to=user_id)
        self.send(redraw)
        return view

    def close(self, user_id: str, opportunity_id: int, render: Render) -> OpportunityView:
        """Close early: hidden from the open list, kept, and the channel message says closed."""
        return self._end(user_id, opportunity_id, "closed", render)

    def withdraw(self, user_id: str, opportunity_id: int) -> OpportunityView:
        """Withdraw: the channel message goes; the row stays (hidden) for the record."""
        return self._end(user_id, opportunity_id, "withdrawn", None)

    def _end(
        self, user_id: str, opportunity_id: int, status: str, render: Render | None
    ) -> OpportunityView:
        """Close (redrawn with `render`) or withdraw (its message deleted) an open one."""
        with session_scope(self.engine) as session:
            row = _existing(session, opportunity_id)
            _require_poster(session, user_id, row, "close or withdraw it")
            moved = session.connection().execute(
                update(Opportunity)
                .where(col(Opportunity.id) == opportunity_id, col(Opportunity.status) == "open")
                .values(status=status, ended_by=user_id)
            )
            if user_id != row.poster_id and moved.rowcount == 1:
                audit.record(session, user_id, f"opportunity {status}", f"opportunity {row.id}")
            session.refresh(row)
            view = _view(session, row)
            changes: list[int] = []
            if moved.rowcount == 1 and render is not None:
                changes = outbox.redraw(session, view.channel, view.ts, render(view), user_id)
            elif moved.rowcount == 1:
                changes = outbox.removal(session, view.channel, view.ts, report_to=user_id)
        self.send(changes)
        return view

    # The daily job -------------------------------------------------------------------------------

    def expire(self, today: date, render: Render) -> list[OpportunityView]:
        """Close what closes today or has closed: each row and its channel message's redraw in
        one transaction, the redraw sent after it."""
        with session_scope(self.engine) as session:
            due = opportunity_views(
                session,
                session.exec(
                    select(Opportunity).where(
                        Opportunity.status == "open",
                        col(Opportunity.closes_on).is_not(None),
                        col(Opportunity.closes_on) <= today,
                    )
                ).all(),
            )
        closed = []
        for view in due:
            view = replace(view, status="closed")
            with session_scope(self.engine) as session:
                moved = session.connection().execute(
                    update(Opportunity)
                    .where(col(Opportunity.id) == view.id, col(Opportunity.status) == "open")
                    .values(status="closed")
                )
                if moved.rowcount != 1:
                    continue
                redraw = outbox.redraw(session, view.channel, view.ts, render(view), report_to=None)
            self.send(redraw)
            closed.append(view)
        return closed


def opportunities_between(
    session: Session, start: datetime, end: datetime
) -> tuple[list[OpportunityView], list[OpportunityView]]:
    """For the digest: shared in [start, end), and open ones closing in the week after `end`."""
    new = session.exec(
        select(Opportunity)
        .where(
            Opportunity.status != "withdrawn",
            Opportunity.created_at >= start,
            Opportunity.created_at < end,
        )
        .order_by(col(Opportunity.created_at))
    ).all()
    closing = session.exec(
        select(Opportunity)
        .where(
            Opportunity.status == "open",
            col(Opportunity.closes_on) >= end.date(),
            col(Opportunity.closes_on) <= end.date() + timedelta(days=7),
        )
        .order_by(col(Opportunity.closes_on))
    ).all()
    return opportunity_views(session, new), opportunity_views(session, closing)


# Helpers ----------------------------------------------------------------------------------------


def _tidy(attempt: OpportunityInput) -> OpportunityInput:
    return OpportunityInput(
        kind=(parse_kind(attempt.kind) or attempt.kind.strip().lower()),
        title=" ".join(clean(attempt.title).split()),
        description=clean(attempt.description),
        link=(attempt.link or "").strip() or None,
        closes_on=attempt.closes_on,
        event_on=attempt.event_on if attempt.kind in WITH_PLACES else None,
        places=attempt.places if attempt.kind in WITH_PLACES else None,
        organisation=attempt.organisation,
    )


def _findings(attempt: OpportunityInput) -> list[Finding]:
    """What the guard finds in the typed text (title, description and link)."""
    typed = (attempt.title, attempt.description, attempt.link or "")
    return [finding for text in typed for finding in gate.findings_in(text)]


def _cleared(
    session: Session, attempt: OpportunityInput, anyway: bool
) -> dict[str, Cleared | None]:
    """Title, description and link through the gate; Caution when the guard holds them back."""
    policy = (session.get(Partnership, 1) or Partnership()).privacy_policy
    try:
        return {
            "title": gate.clear(attempt.title, Reach.OTHERS, policy=policy, anyway=anyway),
            "description": gate.clear(
                attempt.description, Reach.OTHERS, policy=policy, anyway=anyway
            ),
            "link": gate.clear_link(attempt.link, policy=policy, anyway=anyway)
            if attempt.link
            else None,
        }
    except LooksPersonal as looks:
        raise Caution(attempt, [], _findings(attempt), looks.may_share_anyway) from None


def _poster_organisation(session: Session, user_id: str, code: str | None) -> Organisation:
    member = session.exec(select(Member).where(Member.slack_user_id == user_id)).first()
    own = (
        session.get(Organisation, member.organisation_id)
        if member and member.organisation_id
        else None
    )
    if code and (own is None or own.code != code):
        if not (member and member.is_coordinator):
            raise OpportunityProblem(
                "Only coordinators can share an opportunity for another organisation."
            )
        return find_organisation(session, code)
    if own is None:
        raise OpportunityProblem(
            "Opportunities are shared on behalf of an organisation, "
            "and you haven't joined one yet.",
            "/partners join Harbour",
        )
    return own


def _same_link(first: str | None, second: str | None) -> bool:
    def key(link: str) -> str:
        parts = urlsplit(link.strip())
        return f"{parts.netloc.lower().removeprefix('www.')}{parts.path.rstrip('/')}?{parts.query}"

    return bool(first and second and key(first) == key(second))


def _duplicates(
    session: Session, attempt: OpportunityInput, exclude_id: int | None
) -> list[OpportunityView]:
    """Shared in the last 30 days with the same link or an almost identical title."""
    recent = session.exec(
        select(Opportunity).where(
            Opportunity.status != "withdrawn", Opportunity.created_at >= utcnow() - DUPLICATE_WINDOW
        )
    ).all()
    title = normalise(attempt.title)
    found = [
        row
        for row in recent
        if row.id != exclude_id
        and (
            _same_link(row.link, attempt.link)
            or SequenceMatcher(None, normalise(row.title), title).ratio() >= SIMILAR_TITLE
        )
    ]
    return opportunity_views(session, found[:3])


def _existing(session: Session, opportunity_id: int) -> Opportunity:
    row = session.get(Opportunity, opportunity_id)
    if row is None or row.status == "withdrawn":
        raise OpportunityProblem("That opportunity has been withdrawn.", "/opportunity list")
    return row


def _require_poster(session: Session, user_id: str, row: Opportunity, action: str) -> None:
    if user_id != row.poster_id and not is_coordinator(session, user_id):
        raise OpportunityProblem(f"Only the person who shared it or a coordinator can {action}.")


def _require_status(row: Opportunity, status: str, verb: str) -> None:
    if row.status != status:
        raise OpportunityProblem(f"“{row.title}” is {row.status}, so it can't be {verb}.")


def _changeable(session: Session, user_id: str, views: list[OpportunityView]) -> frozenset[int]:
    if is_coordinator(session, user_id):
        return frozenset(view.id for view in views)
    return frozenset(view.id for view in views if view.poster_id == user_id)


def opportunity_views(session: Session, rows: Sequence[Opportunity]) -> list[OpportunityView]:
    """Views of many opportunities in two queries (organisations, interest counts)."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    counts = dict(
        session.exec(
            select(OpportunityInterest.opportunity_id, func.count())
            .where(col(OpportunityInterest.opportunity_id).in_(ids))
            .group_by(OpportunityInterest.opportunity_id)
        ).all()
    )
    organisations = {
        org.id: org
        for org in session.exec(
            select(Organisation).where(col(Organisation.id).in_({r.organisation_id for r in rows}))
        )
    }
    return [
        OpportunityView(
            id=row.id or 0,
            organisation=OrganisationRef(
                organisations[row.organisation_id].code, organisations[row.organisation_id].name
            ),
            poster_id=row.poster_id,
            kind=row.kind,
            title=row.title,
            description=row.description,
            link=row.link,
            closes_on=row.closes_on,
            event_on=row.event_on,
            places=row.places,
            status=row.status,
            interested=counts.get(row.id, 0),
            created_at=row.created_at,
            channel=row.channel,
            ts=row.ts,
        )
        for row in rows
    ]


def _view(session: Session, row: Opportunity) -> OpportunityView:
    return opportunity_views(session, [row])[0]


def closing_soon(session: Session, today: date) -> list[Reminder]:
    """Open ones closing within three days, each with its interested members."""
    rows = session.exec(
        select(Opportunity).where(
            Opportunity.status == "open",
            col(Opportunity.closes_on) > today,
            col(Opportunity.closes_on) <= today + REMIND_BEFORE,
        )
    ).all()
    views = {view.id: view for view in opportunity_views(session, rows)}
    people: dict[int, list[str]] = {}
    for opportunity_id, member_id in session.exec(
        select(OpportunityInterest.opportunity_id, OpportunityInterest.member_id)
        .where(col(OpportunityInterest.opportunity_id).in_(list(views)))
        .order_by(col(OpportunityInterest.member_id))
    ).all():
        people.setdefault(opportunity_id, []).append(member_id)
    return [Reminder(view, people.get(view.id, [])) for view in views.values()]
