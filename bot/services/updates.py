"""Partner updates: posting through the privacy guard, related work, search, edit and delete.

Slack is reached only through the `send`, `resend` and `unsend` callables the caller passes,
so the rules (who may do what, what is kept, what is held back) stay here and testable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeGuard
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

from bot.db import read_scope, session_scope
from bot.models import (
    Draft,
    Member,
    PartnerUpdate,
    Topic,
    UpdateTopic,
    utcnow,
)
from bot.partnership_cache import partnership_settings
from bot.scoping import across_partnerships, ours
from bot.services import audit, channel_posts, gate, outbox
from bot.services.channel_posts import AlreadyPosted, Render, resume_post, send_post, write_post
from bot.services.directory import OrganisationRef, find_organisation, organisation_refs
from bot.services.events import claim_once
from bot.services.gate import Cleared, LooksPersonal, Reach
from bot.services.inbox import current_item
from bot.services.privacy import Finding
from bot.services.refusal import Refusal
from bot.services.search import matching_updates, search_words
from bot.services.text import clean

TEXT_MAX = 3000
PAGE_SIZE = 10
RELATED_MAX = 3
RELATED_WINDOW = timedelta(days=90)
DRAFT_LIFETIME = timedelta(days=1)
DRAFT_GONE = "That draft has already been posted or discarded."
ONLY_MENTIONS = re.compile(r"^(\s*(<[@#!][^>]*>|@\w+|@channel|@here|@everyone)\s*)+$")
COMMON_WORDS = frozenset(
    """about after again also and are been before being but can could did does doing down each
    from further have having here into just more most other our ours over same should some such
    than that their theirs them then there these they this those through under until very was
    were what when where which while will with would your yours week weeks month today tomorrow
    update updates team teams service services support people work working partners partnership
    please thanks thank anyone someone""".split()
)


class UpdateProblem(Refusal):
    """A request refused with a sentence to show the person and an example of what works."""

    def __init__(self, message: str, example: str = "") -> None:
        super().__init__(message, example)


class NotInOrganisation(UpdateProblem):
    """The author has no organisation yet; their text is kept in the exception to give back."""

    def __init__(self, text: str) -> None:
        super().__init__(
            "Updates are posted on behalf of an organisation, and you haven't joined one yet.",
            "/partners join Harbour",
        )
        self.text = text


class NoUpdatesChannel(UpdateProblem):
    def __init__(self) -> None:
        super().__init__(
            "The partnership has no updates channel yet: a coordinator sets it in the "
            'partnership file ([channels] updates = "#partnership-updates").'
        )


class Held(Refusal):
    """Nothing was posted: the text looks like it holds personal data. The draft keeps it."""

    def __init__(self, draft_id: int, findings: Sequence[Finding], may_post_anyway: bool) -> None:
        super().__init__("held by the privacy guard")
        self.draft_id = draft_id
        self.findings = tuple(findings)
        self.may_post_anyway = may_post_anyway


@dataclass(frozen=True)
class UpdateView:
    id: int
    organisation: OrganisationRef
    author_id: str | None
    text: str
    topics: tuple[str, ...]
    wants_help: bool
    created_at: datetime
    edited: bool
    channel: str | None
    ts: str | None


@dataclass(frozen=True)
class Published:
    update: UpdateView
    related: list[UpdateView]


@dataclass(frozen=True)
class Page:
    """One page of updates, and which of them the viewer may edit (theirs) or remove."""

    items: list[UpdateView]
    number: int
    has_more: bool
    editable: frozenset[int] = frozenset()
    removable: frozenset[int] = frozenset()


@dataclass(frozen=True)
class DraftView:
    id: int
    text: str
    topics: tuple[str, ...]
    wants_help: bool
    update_id: int | None


def check_text(text: str) -> str:
    """The update text, trimmed, or UpdateProblem saying what is wrong with it."""
    text = clean(text)
    if not text:
        raise UpdateProblem("An update needs some text.", "/update We've opened a Saturday drop-in")
    if len(text) > TEXT_MAX:
        raise UpdateProblem(
            f"That's {len(text)} characters; an update can be at most {TEXT_MAX}. "
            "Shorten it, or split it into two updates."
        )
    if ONLY_MENTIONS.match(text):
        raise UpdateProblem(
            "That update is only a mention. Say what your organisation is doing.",
            "/update We're piloting evening ESOL classes",
        )
    return text


class Updates:
    def __init__(self, engine: Engine, zone: ZoneInfo, send: outbox.Send) -> None:
        self.engine, self.zone, self.send = engine, zone, send

    def topics(self) -> list[str]:
        with read_scope(self.engine) as session:
            return list(session.exec(select(Topic.name).order_by(Topic.name)).all())

    # Posting -----------------------------------------------------------------------------------

    def publish(
        self,
        user_id: str,
        text: str,
        topics: Sequence[str],
        wants_help: bool,
        render: Render,
        anyway: bool = False,
        replaces_draft: int | None = None,
        once: str | None = None,
        draft_required: bool = False,
    ) -> Published:
        """Post unless the guard holds it back: saved with its post, then sent (channel_posts).

        `once` names a click (Share as an update): only its first use saves and posts."""
        item = current_item.get()
        if item is not None:  # a request taken up again: what it saved is taken on
            resumed = resume_post(self.engine, self.send, "update", item, _view)
            if resumed is not None:
                return Published(resumed, self.related(resumed))
        text = check_text(text)
        with read_scope(self.engine) as session:
            _organisation_of(session, user_id, text)
            if not partnership_settings(session).updates_channel:
                raise NoUpdatesChannel()
        cleared = self._guard(user_id, text, topics, wants_help, None, anyway)
        with session_scope(self.engine) as session:
            organisation_id = _organisation_of(session, user_id, text)
            settings = partnership_settings(session)
            _discard_draft(session, user_id, replaces_draft, draft_required)
            if once and not claim_once(session, once):
                raise UpdateProblem("That is already posted (or being posted now).")
            update = PartnerUpdate(
                organisation_id=organisation_id, author_id=user_id, text=cleared,
                wants_help=wants_help, channel=settings.updates_channel, inbox_id=item,
            )  # fmt: skip
            session.add(update)
            session.flush()
            _set_topics(session, update, topics)
            view = _view(session, update)
            post = write_post(session, "update", view.id, update.channel, render(view))
        view = send_post(self.send, post, view)
        return Published(view, self.related(view))

    def repost(self, user_id: str, update_id: int, render: Render) -> Published:
        """Post again an update Slack did not take (or did not confirm): its author only, once
        however often asked."""
        with read_scope(self.engine) as session:
            _own_update(session, user_id, update_id, coordinator_ok=False)
        try:
            view = channel_posts.repost(self.engine, self.send, "update", update_id, _view, render)
        except AlreadyPosted:
            raise UpdateProblem("That update is already posted (or being posted now).") from None
        return Published(view, self.related(view))

    def post_draft(self, user_id: str, draft_id: int, render: Render) -> Published | UpdateView:
        """Post anyway: publish a held draft (or apply a held edit), once however often clicked:
        the draft is deleted in the transaction that saves the update, and only once."""
        item = current_item.get()
        if item is not None:  # a request taken up again: what it saved is taken on
            resumed = resume_post(self.engine, self.send, "update", item, _view)
            if resumed is not None:
                return Published(resumed, self.related(resumed))
        with read_scope(self.engine) as session:
            draft = session.get(Draft, draft_id)
            if not _current(draft, user_id):
                raise UpdateProblem(DRAFT_GONE)
            text, wants_help, update_id = draft.text, draft.wants_help, draft.update_id
            topics = tuple(draft.topics)
        if update_id is not None:
            return self.edit(
                user_id, update_id, text, topics, wants_help, render, anyway=True,
                replaces_draft=draft_id, draft_required=True,
            )  # fmt: skip
        return self.publish(
            user_id, text, topics, wants_help, render, anyway=True, replaces_draft=draft_id,
            draft_required=True,
        )  # fmt: skip

    def draft(self, user_id: str, draft_id: int) -> DraftView:
        """A held draft, to reopen in the form; it is discarded once the form is submitted."""
        with read_scope(self.engine) as session:
            draft = session.get(Draft, draft_id)
            if not _current(draft, user_id):
                raise UpdateProblem(DRAFT_GONE)
            return DraftView(
                draft.id, draft.text, tuple(draft.topics),
                draft.wants_help, draft.update_id,
            )  # fmt: skip

    def _guard(
        self,
        user_id: str,
        text: str,
        topics: Sequence[str],
        wants_help: bool,
        update_id: int | None,
        anyway: bool,
    ) -> Cleared:
        """The text through the gate; held back when it looks like personal data: kept as a
        draft, and Held raised."""
        with session_scope(self.engine) as session:
            policy = gate.privacy_policy(session)
            try:
                return gate.clear(text, Reach.OTHERS, policy=policy, anyway=anyway)
            except LooksPersonal as looks:
                findings, may_post_anyway = looks.findings, looks.may_share_anyway
            draft = Draft(
                author_id=user_id, text=text, topics=list(topics), wants_help=wants_help,
                update_id=update_id,
            )  # fmt: skip
            session.add(draft)
            session.flush()
            draft_id = draft.id
        raise Held(draft_id, findings, may_post_anyway)

    # Changing ----------------------------------------------------------------------------------

    def for_edit(self, user_id: str, update_id: int) -> UpdateView:
        with read_scope(self.engine) as session:
            return _view(session, _own_update(session, user_id, update_id, coordinator_ok=False))

    def edit(
        self,
        user_id: str,
        update_id: int,
        text: str,
        topics: Sequence[str],
        wants_help: bool,
        render: Render,
        anyway: bool = False,
        replaces_draft: int | None = None,
        draft_required: bool = False,
    ) -> UpdateView:
        """Change an update; its channel message is redrawn with the change (the outbox)."""
        text = check_text(text)
        with read_scope(self.engine) as session:
            _own_update(session, user_id, update_id, coordinator_ok=False)
        cleared = self._guard(user_id, text, topics, wants_help, update_id, anyway)
        with session_scope(self.engine) as session:
            update = _own_update(session, user_id, update_id, coordinator_ok=False)
            _discard_draft(session, user_id, replaces_draft, draft_required)
            update.text, update.wants_help, update.edited_at = cleared, wants_help, utcnow()
            session.add(update)
            _set_topics(session, update, topics)
            view = _view(session, update)
            redraw = outbox.redraw(session, view.channel, view.ts, render(view), report_to=user_id)
        self.send(redraw)
        return view

    def delete(self, user_id: str, update_id: int) -> UpdateView:
        """Remove an update (its author, or a coordinator) and its channel message."""
        with session_scope(self.engine) as session:
            update = _own_update(session, user_id, update_id, coordinator_ok=True)
            view = _view(session, update)
            if update.author_id != user_id:
                audit.record(session, user_id, "update deleted", f"update {update_id}")
            session.delete(update)
            removal = outbox.removal(session, view.channel, view.ts, report_to=user_id)
        self.send(removal)
        return view

    # Reading -----------------------------------------------------------------------------------

    def related(self, update: UpdateView) -> list[UpdateView]:
        """Recent updates from other organisations on the same topics or with shared key terms."""
        words = [w for w in search_words(update.text) if len(w) >= 4 and w not in COMMON_WORDS]
        with read_scope(self.engine) as session:
            own_org = session.exec(
                select(PartnerUpdate.organisation_id).where(PartnerUpdate.id == update.id)
            ).one()
            topic_ids = select(Topic.id).where(col(Topic.name).in_(update.topics))
            shared_topics = (
                select(func.count())
                .select_from(UpdateTopic)
                .where(UpdateTopic.update_id == PartnerUpdate.id)
                .where(col(UpdateTopic.topic_id).in_(topic_ids))
                .scalar_subquery()
            )
            rows = session.exec(
                select(PartnerUpdate)
                .where(PartnerUpdate.organisation_id != own_org)
                .where(PartnerUpdate.created_at >= utcnow() - RELATED_WINDOW)
                .where((shared_topics > 0) | matching_updates(session, words, any_word=True))
                .order_by(shared_topics.desc(), col(PartnerUpdate.created_at).desc())
                .limit(RELATED_MAX)
            ).all()
            return views_of(session, rows)

    def search(self, viewer_id: str, query: str, page: int = 1) -> Page:
        words = search_words(query)
        if not words:
            raise UpdateProblem("Search for at least one word.", "/update search housing")
        with read_scope(self.engine) as session:
            return _page(session, viewer_id, [matching_updates(session, words)], page)

    def browse(
        self, viewer_id: str, organisation: str | None, since: date | None, page: int = 1
    ) -> Page:
        with read_scope(self.engine) as session:
            where = []
            if organisation:
                where.append(
                    PartnerUpdate.organisation_id == find_organisation(session, organisation).id
                )
            if since:
                start = datetime.combine(since, time(0), self.zone)
                where.append(PartnerUpdate.created_at >= start)
            return _page(session, viewer_id, where, page)

    def mine(self, user_id: str, page: int = 1) -> Page:
        with read_scope(self.engine) as session:
            return _page(session, user_id, [PartnerUpdate.author_id == user_id], page)


def forget_old_drafts(
    engine: Engine,
    now: datetime,
    dry_run: bool = False,
    older_than: timedelta = DRAFT_LIFETIME,
    every_partnership: bool = False,
) -> int:
    """Held drafts may contain what they were held for: keep them no longer than a day. The
    clock sweeps every partnership's every few minutes, with `older_than` a day less that
    interval, so none outlives its day (jobs.clock.sweep_drafts); each partnership's daily
    housekeeping forgets its own."""
    too_old = col(Draft.created_at) < now - older_than
    scope = [] if every_partnership else [ours(Draft)]
    options = across_partnerships if every_partnership else {}
    with session_scope(engine) as session:
        if dry_run:
            count = select(func.count()).select_from(Draft).where(too_old, *scope)
            return session.exec(count, execution_options=options).one()
        deleted = session.connection().execute(
            delete(Draft).where(too_old, *scope), execution_options=options
        )
        return deleted.rowcount


# Helpers ---------------------------------------------------------------------------------------


def _organisation_of(session: Session, user_id: str, text: str) -> int:
    """The poster's organisation id; NotInOrganisation (keeping what they typed) if none."""
    member = session.exec(select(Member).where(Member.slack_user_id == user_id)).first()
    if member is None or member.organisation_id is None:
        raise NotInOrganisation(text)
    return member.organisation_id


def _current(draft: Draft | None, user_id: str) -> TypeGuard[Draft]:
    """The author's own draft, not yet a day old: older ones are gone, whether or not the clock
    has deleted them yet (held text is kept at most a day)."""
    return (
        draft is not None
        and draft.author_id == user_id
        and draft.created_at > utcnow() - DRAFT_LIFETIME
    )


def _discard_draft(
    session: Session, user_id: str, draft_id: int | None, required: bool = False
) -> None:
    """Delete the draft the text came from; `required`: refuse unless this call deleted it (a
    second Post anyway click, or one after it expired)."""
    if draft_id is None:
        return
    deleted = session.connection().execute(
        delete(Draft).where(col(Draft.id) == draft_id).where(col(Draft.author_id) == user_id)
    )
    if required and deleted.rowcount != 1:
        raise UpdateProblem(DRAFT_GONE)


def _own_update(
    session: Session, user_id: str, update_id: int, coordinator_ok: bool
) -> PartnerUpdate:
    update = session.get(PartnerUpdate, update_id)
    if update is None:
        raise UpdateProblem("That update no longer exists.")
    if update.author_id != user_id:
        is_coordinator = session.exec(
            select(Member.is_coordinator).where(Member.slack_user_id == user_id)
        ).first()
        if not (coordinator_ok and is_coordinator):
            raise UpdateProblem(
                "Only its author can change that update"
                + (", or a coordinator remove it." if coordinator_ok else ".")
            )
    return update


def _set_topics(session: Session, update: PartnerUpdate, names: Sequence[str]) -> None:
    session.connection().execute(
        delete(UpdateTopic).where(col(UpdateTopic.update_id) == update.id, ours(UpdateTopic))
    )
    for topic_id in session.exec(select(Topic.id).where(col(Topic.name).in_(names))).all():
        session.add(UpdateTopic(update_id=update.id, topic_id=topic_id))
    session.flush()


def _page(session: Session, viewer_id: str, where: list, number: int) -> Page:
    number = max(number, 1)
    statement = select(PartnerUpdate)
    for clause in where:
        statement = statement.where(clause)
    rows = session.exec(
        statement.order_by(col(PartnerUpdate.created_at).desc(), col(PartnerUpdate.id).desc())
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    rows, has_more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    own = frozenset(row.id for row in rows if row.author_id == viewer_id)
    is_coordinator = session.exec(
        select(Member.is_coordinator).where(Member.slack_user_id == viewer_id)
    ).first()
    removable = frozenset(row.id for row in rows) if is_coordinator else own
    return Page(views_of(session, rows), number, has_more, own, removable)


def _view(session: Session, update: PartnerUpdate) -> UpdateView:
    return views_of(session, [update])[0]


def views_of(session: Session, updates: Sequence[PartnerUpdate]) -> list[UpdateView]:
    """Views for many updates in one query (their topics; the organisations are kept), not
    one per update."""
    ids = [u.id for u in updates]
    organisations = organisation_refs(session)
    topics: dict[int, list[str]] = {}
    for update_id, name in session.exec(
        select(UpdateTopic.update_id, Topic.name)
        .join(Topic)
        .where(col(UpdateTopic.update_id).in_(ids))
        .order_by(Topic.name)
    ):
        topics.setdefault(update_id, []).append(name)
    return [
        UpdateView(
            id=u.id,
            organisation=organisations[u.organisation_id],
            author_id=u.author_id,
            text=u.text,
            topics=tuple(topics.get(u.id, [])),
            wants_help=u.wants_help,
            created_at=u.created_at,
            edited=u.edited_at is not None,
            channel=u.channel,
            ts=u.ts,
        )
        for u in updates
    ]
