"""Stories from hot-desk visits: the working day after a visit, the visitor and the host's key
workers are each asked once how it went; the answer is kept for the coordinators, unless its
author shares it as an update (through the privacy guard, naming both agencies).

Each question is claimed by inserting its `VisitStory` row (unique per visit and person) in the
transaction that writes its DM to the outbox, so however often (or in however many clocks) the
job runs, nobody is asked twice. Not on a bank holiday or a weekend (it waits for the next
working day), never for a visit that did not happen (cancelled, declined, released, or a
request nobody approved), and not for members who turned the question off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot.db import insert_ignoring_conflict, session_scope
from bot.models import DeskBooking, Member, VisitStory, utcnow
from bot.services import outbox
from bot.services.channel_posts import Render
from bot.services.gate import Reach, clear_fields
from bot.services.hotdesk.store import booking_views, partnership_working_days
from bot.services.hotdesk.types import Booking
from bot.services.outbox import Notices, Written
from bot.services.refusal import Refusal
from bot.services.text import clean
from bot.services.updates import TEXT_MAX, Published, Updates

ANSWER_MAX = 2500  # leaves room, within an update's 3000, for the line naming both agencies


class StoryProblem(Refusal):
    """A story refused: not theirs, gone, or empty."""


@dataclass(frozen=True)
class Question:
    """One "how was your visit?" to one person; `role` is "visitor" or "host"."""

    story_id: int
    person_id: str
    role: str
    booking: Booking


@dataclass(frozen=True)
class Asked:
    questions: tuple[Question, ...]
    notices: tuple[Written, ...] = ()


@dataclass(frozen=True)
class Told:
    """A story saved; `published` when its author shared it as an update."""

    question: Question
    published: Published | None = None


@dataclass(frozen=True)
class StoryCounts:
    """Visits in a period (confirmed, on days up to its end) with and without a story."""

    with_story: int
    without_story: int


def shared_text(booking: Booking, answer: str) -> str:
    """A story as an update: both agencies named, then the author's words."""
    visitor = booking.visitor_organisation or "a partner agency"
    return f"From a hot-desk visit — {visitor} at {booking.host.name}:\n{answer}"


class Stories:
    def __init__(self, engine: Engine, updates: Updates) -> None:
        self.engine, self.updates = engine, updates

    def check(self, answer: str, anyway: bool = False) -> str:
        """The answer trimmed, or a refusal: empty, too long, or held back by the guard."""
        text = clean(answer)
        if not text:
            raise StoryProblem("Write a line or two about the visit first.", field="answer")
        if len(text) > ANSWER_MAX:
            raise StoryProblem(f"A story can be at most {ANSWER_MAX} characters.", field="answer")
        with session_scope(self.engine) as session:
            clear_fields(session, {"answer": (text, Reach.OTHERS)}, anyway)
        return text

    def question(self, user_id: str, story_id: int) -> Question:
        """A question asked of this person (for its form)."""
        with session_scope(self.engine) as session:
            return _question(session, user_id, story_id)

    def tell(
        self,
        user_id: str,
        story_id: int,
        answer: str,
        share: bool,
        render: Render,
        anyway: bool = False,
    ) -> Told:
        """Keep the answer for the coordinators (through the gate: they are others); shared,
        it is posted as the author's update too, through the privacy guard again, once."""
        text = self.check(answer, anyway)
        with session_scope(self.engine) as session:
            question = _question(session, user_id, story_id)
            row = session.get_one(VisitStory, story_id)
            row.answer = clear_fields(session, {"answer": (text, Reach.OTHERS)}, anyway)["answer"]
            row.answered_at = row.answered_at or utcnow()
            session.add(row)
        if not share:
            return Told(question)
        shared = shared_text(question.booking, text)[:TEXT_MAX]
        published = self.updates.publish(
            user_id, shared, (), False, render, anyway=anyway, once=f"story-{story_id}"
        )
        with session_scope(self.engine) as session:
            row = session.get_one(VisitStory, story_id)
            row.update_id = published.update.id
            session.add(row)
        return Told(question, published)


@dataclass(frozen=True)
class SharedStory:
    """A story its author shared, as the digest quotes it: the agencies, never the person."""

    host: str
    visitor_organisation: str
    answer: str


def shared_stories(session: Session, start: datetime, end: datetime) -> list[SharedStory]:
    """Stories shared as updates in [start, end) (still shared: their update not deleted)."""
    rows = session.exec(
        select(VisitStory, DeskBooking)
        .join(DeskBooking)
        .where(
            col(VisitStory.update_id).is_not(None),
            col(VisitStory.answered_at) >= start,
            col(VisitStory.answered_at) < end,
        )
        .order_by(col(VisitStory.answered_at), col(VisitStory.id))
    ).all()
    views = booking_views(session, [booking for _, booking in rows])
    return [
        SharedStory(view.host.name, view.visitor_organisation or "", story.answer)
        for view, (story, _) in zip(views, rows, strict=True)
    ]


def story_counts(session: Session, start: date, end: date) -> StoryCounts:
    """Confirmed visits on days in [start, end] with at least one answered story, and without."""
    visits = select(DeskBooking.id).where(
        DeskBooking.status == "confirmed", DeskBooking.day >= start, DeskBooking.day <= end
    )
    total = session.exec(select(func.count()).select_from(visits.subquery())).one()
    told = session.exec(
        select(func.count(func.distinct(VisitStory.booking_id))).where(
            col(VisitStory.booking_id).in_(visits), col(VisitStory.answered_at).is_not(None)
        )
    ).one()
    return StoryCounts(told, total - told)


def ask_about_visits(session: Session, local_day: date) -> list[Question]:
    """Claim the questions due on `local_day` (the working day after each visit), in the
    caller's transaction, so the job writes their DMs in it too."""
    working = partnership_working_days(session)
    if not working.is_working_day(local_day):
        return []
    visits = session.exec(
        select(DeskBooking)
        .where(
            DeskBooking.status == "confirmed",
            DeskBooking.day >= working.before(local_day),
            DeskBooking.day < local_day,
        )
        .order_by(col(DeskBooking.day), col(DeskBooking.id))
    ).all()
    opted_out = set(
        session.exec(select(Member.slack_user_id).where(col(Member.visit_stories).is_(False)))
    )
    questions = []
    for booking in booking_views(session, visits):
        people = [(booking.visitor_id, "visitor")]
        people += [(person, "host") for person in booking.host.key_worker_ids]
        for person, role in people:
            if person in opted_out or (role == "host" and person == booking.visitor_id):
                continue
            claimed = insert_ignoring_conflict(
                    session,
                    VisitStory.__table__,
                    {
                        "booking_id": booking.id, "person_id": person, "role": role,
                        "answer": "", "asked_at": utcnow(),
                    },
                )  # fmt: skip
            if claimed:
                questions.append(Question(int(claimed[0]), person, role, booking))
    return questions


def _question(session: Session, user_id: str, story_id: int) -> Question:
    row = session.get(VisitStory, story_id)
    if row is None or row.person_id != user_id:
        raise StoryProblem("That question was for someone else, or its visit has been removed.")
    booking = session.get_one(DeskBooking, row.booking_id)
    return Question(row.id, row.person_id, row.role, booking_views(session, [booking])[0])


def write_questions(
    session: Session, questions: Sequence[Question], notices: Notices[Question]
) -> tuple[Written, ...]:
    """The questions' DMs, in the transaction that claimed them."""
    return outbox.write_notices(session, [n for q in questions for n in notices(q)])
