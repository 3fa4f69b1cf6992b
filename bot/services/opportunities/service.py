"""The opportunities service: typed, dated, with interest, caught when shared twice, closed
when they close. Each method one transaction (or a few, in order), made of the store's reads
and writes and the rules' checks.

Slack is reached only through the `send`, `resend` and `unsend` callables the caller passes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from bot.db import insert_ignoring_conflict, read_scope, session_scope
from bot.models import Opportunity, OpportunityInterest, Organisation, utcnow
from bot.partnership_cache import partnership_settings
from bot.services import audit, channel_posts, gate, outbox
from bot.services.channel_posts import AlreadyPosted, Render, resume_post, send_post, write_post
from bot.services.events import claim_once
from bot.services.inbox import current_item
from bot.services.opportunities.rules import check, personal_findings, tidy
from bot.services.opportunities.store import (
    changeable,
    cleared,
    existing_opportunity,
    opportunity_view,
    opportunity_views,
    poster_organisation,
    recent_duplicates,
    require_poster,
)
from bot.services.opportunities.types import (
    Caution,
    Interest,
    OpportunityInput,
    OpportunityInvalid,
    OpportunityProblem,
    OpportunityView,
    Page,
)

PAGE_SIZE = 10


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
            resumed = resume_post(self.engine, self.send, "opportunity", item, opportunity_view)
            if resumed is not None:
                return resumed
        with session_scope(self.engine) as session:
            attempt, organisation, channel = self._review(session, user_id, attempt, today, anyway)
            text = cleared(session, attempt, anyway)
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
            view = opportunity_view(session, row)
            post = write_post(session, "opportunity", view.id, channel, render(view))
        return send_post(self.send, post, view)

    def repost(self, user_id: str, opportunity_id: int, render: Render) -> OpportunityView:
        """Post again one Slack did not take (or did not confirm): its poster only, once."""
        with session_scope(self.engine) as session:
            row = existing_opportunity(session, opportunity_id)
            require_poster(session, user_id, row, "post it")
            _require_status(row, "open", "posted")
        try:
            return channel_posts.repost(
                self.engine, self.send, "opportunity", opportunity_id, opportunity_view, render
            )
        except AlreadyPosted:
            raise OpportunityProblem("That one is already posted (or being posted now).") from None

    def _review(
        self, session: Session, user_id: str, attempt: OpportunityInput, today: date, anyway: bool
    ) -> tuple[OpportunityInput, Organisation, str]:
        attempt = tidy(attempt)
        errors = check(attempt, today)
        if errors:
            raise OpportunityInvalid(errors)
        organisation = poster_organisation(session, user_id, attempt.organisation)
        settings = partnership_settings(session)
        channel = settings.opportunities_channel or settings.updates_channel
        if not channel:
            raise OpportunityProblem(
                "The partnership has no opportunities channel yet: a coordinator sets it in "
                'the partnership file ([channels] opportunities = "#…").'
            )
        policy = gate.privacy_policy(session)
        findings = personal_findings(attempt, policy.staff)
        may_post_anyway = policy.may_share_anyway
        duplicates = recent_duplicates(session, attempt, None)
        if (findings or duplicates) and not (anyway and (may_post_anyway or not findings)):
            raise Caution(attempt, duplicates, findings, may_post_anyway)
        return attempt, organisation, channel

    # Interest ------------------------------------------------------------------------------------

    def toggle_interest(self, user_id: str, opportunity_id: int, render: Render) -> Interest:
        """I'm interested / no longer: one atomic insert or delete, however fast the clicks."""
        with session_scope(self.engine) as session:
            row = existing_opportunity(session, opportunity_id)
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
            view = opportunity_view(session, existing_opportunity(session, opportunity_id))
            redraw = outbox.redraw(session, view.channel, view.ts, render(view), report_to=None)
        self.send(redraw)
        return Interest(view, added)

    def interested_people(
        self, user_id: str, opportunity_id: int
    ) -> tuple[OpportunityView, list[str]]:
        """Who is interested: for the poster and coordinators only; others see a count."""
        with read_scope(self.engine) as session:
            row = existing_opportunity(session, opportunity_id)
            require_poster(session, user_id, row, "see who is interested")
            people = session.exec(
                select(OpportunityInterest.member_id)
                .where(OpportunityInterest.opportunity_id == opportunity_id)
                .order_by(col(OpportunityInterest.created_at))
            ).all()
            return opportunity_view(session, row), list(people)

    # Looking -------------------------------------------------------------------------------------

    def browse(
        self, user_id: str, kind: str | None, closed: bool, today: date, page: int = 1
    ) -> Page:
        """Open ones closing soonest first (no closing date last), or the closed, newest first."""
        with read_scope(self.engine) as session:
            query = select(Opportunity).where(Opportunity.status != "withdrawn")
            if kind:
                query = query.where(Opportunity.kind == kind)
            if closed:
                query = query.where(
                    (col(Opportunity.status) == "closed") | (col(Opportunity.closes_on) < today)
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
            return Page(views, page, len(rows) > PAGE_SIZE, changeable(session, user_id, views))

    def mine(self, user_id: str, page: int = 1) -> Page:
        with read_scope(self.engine) as session:
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
        with read_scope(self.engine) as session:
            row = existing_opportunity(session, opportunity_id)
            require_poster(session, user_id, row, "change it")
            _require_status(row, "open", "changed")
            return opportunity_view(session, row)

    def review_edit(
        self,
        user_id: str,
        opportunity_id: int,
        attempt: OpportunityInput,
        today: date,
        anyway: bool = False,
    ) -> None:
        """What `edit` checks, without changing anything or calling Slack (forms answer first)."""
        attempt = tidy(attempt)
        errors = check(attempt, today)
        if errors:
            raise OpportunityInvalid(errors)
        self.for_edit(user_id, opportunity_id)
        with session_scope(self.engine) as session:
            cleared(session, attempt, anyway)

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
        attempt = tidy(attempt)
        errors = check(attempt, today)
        if errors:
            raise OpportunityInvalid(errors)
        with session_scope(self.engine) as session:
            row = existing_opportunity(session, opportunity_id)
            require_poster(session, user_id, row, "change it")
            _require_status(row, "open", "changed")
            text = cleared(session, attempt, anyway)
            row.title, row.description, row.link = text["title"], text["description"], text["link"]
            for name in ("kind", "closes_on", "event_on", "places"):
                setattr(row, name, getattr(attempt, name))
            row.edited_at = utcnow()
            session.add(row)
            session.flush()
            view = opportunity_view(session, row)
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
            row = existing_opportunity(session, opportunity_id)
            require_poster(session, user_id, row, "close or withdraw it")
            moved = session.connection().execute(
                update(Opportunity)
                .where(col(Opportunity.id) == opportunity_id, col(Opportunity.status) == "open")
                .values(status=status, ended_by=user_id)
            )
            if user_id != row.poster_id and moved.rowcount == 1:
                audit.record(session, user_id, f"opportunity {status}", f"opportunity {row.id}")
            session.refresh(row)
            view = opportunity_view(session, row)
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
        with read_scope(self.engine) as session:
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


def _require_status(row: Opportunity, status: str, verb: str) -> None:
    if row.status != status:
        raise OpportunityProblem(f"“{row.title}” is {row.status}, so it can't be {verb}.")
