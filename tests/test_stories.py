"""Stories from hot-desk visits end to end: the question the working day after a visit (once,
never on a bank holiday, never for a visit that did not happen, not when turned off), the
answer kept for the coordinators, and shared as an update through the privacy guard."""

from __future__ import annotations

import time as clock
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.models import Member, Organisation, PartnerUpdate, VisitStory
from bot.services.hotdesk.service import Hotdesk
from bot.services.hotdesk.types import OfferEdit, Part
from bot.services.outbox import no_notices
from bot.services.report.figures import gather
from bot.services.report.period import parse_period
from bot.services.report.sheets import tables
from jobs.clock import run_job
from tests.conftest import AMINA, COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import (
    DANIEL,
    LONDON,
    MONDAY,
    buttons,
    hotdesk_members,
    job_context,
    limited_slack,
    most_at_once,
    privacy_policy,
    settled,
    shown,
)

TUESDAY = date(2026, 11, 24)


@pytest.fixture
def members(bot: Bot) -> Bot:
    return hotdesk_members(bot)


def book(bot: Bot, user_id: str, host: str, day: date, part: Part = Part.AM) -> int:
    service = Hotdesk(bot.engine, LONDON)
    return service.book(user_id, host, day, part, MONDAY, notices=no_notices).booking.id


def questions(bot: Bot, when: datetime, runs: int = 1) -> dict[str, list[dict]]:
    """Run the job (`runs` times) and return the questions it DMed, by person."""
    seen = len(bot.fake.calls)
    for _ in range(runs):
        run_job("visit-stories", job_context(bot.engine, bot.fake), when)
    asked: dict[str, list[dict]] = {}
    for call in bot.fake.calls[seen:]:
        if call.method == "chat.postMessage" and "Anything you learned" in shown(call.args):
            asked.setdefault(call.args["channel"], []).append(call.args)
    return asked


def test_asked_once_the_working_day_after_a_visit_never_for_one_that_did_not_happen(
    members: Bot,
) -> None:
    book(members, MEMBER, "HRS", TUESDAY)
    cancelled = book(members, OTHER, "HRS", TUESDAY, Part.PM)
    Hotdesk(members.engine, LONDON).cancel(OTHER, cancelled, MONDAY, notices=no_notices)
    declined = book(members, OTHER, "SPL", date(2026, 11, 27), Part.DAY)  # Friday, a request
    Hotdesk(members.engine, LONDON).decide(DANIEL, declined, False, notices=no_notices)
    assert questions(members, datetime(2026, 11, 24, 10, 5)) == {}  # the day of the visit
    asked = questions(members, datetime(2026, 11, 25, 10, 5), runs=3)
    assert sorted(asked) == sorted([MEMBER, AMINA])  # not OTHER, whose visit was cancelled
    assert [len(dms) for dms in asked.values()] == [1, 1]  # once each, though run three times
    assert "How was your visit to Harbour Refugee Support?" in shown(asked[MEMBER][0])
    host = shown(asked[AMINA][0])
    assert "How was the visit from Northside Care Leavers Project to Harbour Refugee" in host
    assert questions(members, datetime(2026, 11, 30, 10, 5)) == {}  # the declined one: never
    assert questions(members, datetime(2026, 11, 26, 10, 5)) == {}


def test_not_on_bank_holidays_but_the_next_working_day(members: Bot) -> None:
    book(members, MEMBER, "HRS", date(2026, 12, 24))  # Thursday before Christmas
    assert questions(members, datetime(2026, 12, 25, 10, 5)) == {}  # Christmas Day
    assert questions(members, datetime(2026, 12, 28, 10, 5)) == {}  # Boxing Day, substituted
    assert sorted(questions(members, datetime(2026, 12, 29, 10, 5))) == sorted([MEMBER, AMINA])


def test_a_member_can_turn_the_question_off(members: Bot) -> None:
    assert "how your hot-desk visits went*: yes" in shown(members.ask("whoami"))
    assert "won't be asked" in shown(members.ask("stories off"))
    assert "how your hot-desk visits went*: no (`/partners stories on`" in shown(
        members.ask("whoami")
    )
    assert "stories off" in shown(members.ask("stories maybe"))
    book(members, MEMBER, "HRS", TUESDAY)
    assert sorted(questions(members, datetime(2026, 11, 25, 10, 5))) == [AMINA]
    seen = len(members.fake.calls_to("views.publish"))
    members.slack.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    home = members.fake.wait_for("views.publish", count=seen + 1)[-1].response["view"]
    assert "Asked how your hot-desk visits went: *off*" in shown(home)
    members.slack.block_action(MEMBER, "home_visit_stories", "on", view=home)
    again = members.fake.wait_for("views.publish", count=seen + 2)[-1].args
    assert "Asking how your visits went is on" in shown(again)
    with Session(members.engine) as session:
        assert session.exec(
            select(Member.visit_stories).where(Member.slack_user_id == MEMBER)
        ).one()


def _open_form(bot: Bot) -> dict:
    book(bot, MEMBER, "HRS", TUESDAY)
    dm = questions(bot, datetime(2026, 11, 25, 10, 5))[MEMBER][0]
    (button,) = buttons(dm)
    seen = len(bot.fake.calls_to("views.open"))
    bot.slack.block_action(MEMBER, button["action_id"], button["value"], channel_id=MEMBER)
    return bot.fake.wait_for("views.open", count=seen + 1)[-1].args["view"]


def _values(text: str, share: bool) -> dict:
    chosen = [{"value": "share"}] if share else []
    return {
        "answer": {"value": {"type": "plain_text_input", "value": text}},
        "share": {"value": {"type": "checkboxes", "selected_options": chosen}},
    }


def stories(bot: Bot) -> list[VisitStory]:
    with Session(bot.engine) as session:
        return list(session.exec(select(VisitStory).order_by(VisitStory.id)).all())


def updates(bot: Bot) -> list[PartnerUpdate]:
    with Session(bot.engine) as session:
        return list(session.exec(select(PartnerUpdate)).all())


def test_an_answer_is_kept_for_the_coordinators_unless_shared(members: Bot) -> None:
    form = _open_form(members)
    seen = len(members.fake.calls_to("response_url"))
    reply = members.slack.view_submission(
        MEMBER, form, _values("Their drop-in triage was quicker than ours.", share=False)
    )
    assert reply.status == 200
    thanks = members.fake.wait_for("response_url", count=seen + 1)[-1].args
    assert "kept for the partnership's coordinators" in shown(thanks)
    (mine,) = [s for s in stories(members) if s.person_id == MEMBER]
    assert mine.answer == "Their drop-in triage was quicker than ours." and mine.update_id is None
    assert updates(members) == []


def test_a_shared_story_goes_through_the_guard_and_names_both_agencies(members: Bot) -> None:
    privacy_policy(members, "block")
    form = _open_form(members)
    held = members.slack.view_submission(
        MEMBER, form, _values("Met Jo Bloggs, call her on 07700 900123", share=True)
    )
    assert held.json["response_action"] == "errors" and "answer" in held.json["errors"]
    assert all(not s.answer for s in stories(members)) and updates(members) == []
    members.slack.view_submission(MEMBER, form, _values("Try their buddy system.", share=True))
    post = members.fake.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == "#partnership-updates"
    )[0].args
    text = shown(post)
    assert "From a hot-desk visit — Northside Care Leavers Project at Harbour Refugee Support" in (
        text
    )
    assert "Try their buddy system." in text and f"<@{MEMBER}>" in text
    settled(members)
    (update,) = updates(members)
    (mine,) = [s for s in stories(members) if s.person_id == MEMBER]
    assert mine.update_id == update.id


def _next_monday_9() -> datetime:
    """The digest that covers today: next Monday at 09:00 (stories are dated when told)."""
    today = datetime.now(LONDON).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime.combine(monday, time(9, 5), LONDON)


def test_the_digest_quotes_shared_stories_and_new_terms_and_coordinators_count_them(
    members: Bot,
) -> None:
    form = _open_form(members)
    members.slack.view_submission(MEMBER, form, _values("Try their buddy system.", share=True))
    members.ask("add BUDDY Peer support pairing — new staff shadow a colleague", command="/jargon")
    settled(members)
    run_job("digest", job_context(members.engine, members.fake), _next_monday_9())
    digest = shown(
        members.fake.wait_for(
            "chat.postMessage", lambda c: c.args["channel"] == "#partnership-digest"
        )[0].args
    )
    assert "*Stories from visits*" in digest
    assert (
        "“Try their buddy system.” — a visitor from Northside Care Leavers Project at Harbour "
        "Refugee Support"
    ) in digest
    assert "*New in the glossary*" in digest and "*BUDDY*: Peer support pairing" in digest
    assert "UASC" not in digest  # the partnership file's entries are not this week's news
    members.ask("join BHA", user_id=COORDINATOR)
    members.clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=LONDON))
    seen = len(members.fake.calls_to("views.publish"))
    members.slack.event({"type": "app_home_opened", "user": COORDINATOR, "tab": "home"})
    home = shown(members.fake.wait_for("views.publish", count=seen + 1)[-1].args)
    assert "*Hot-desk visits in the last eight weeks:* 1 with a story, 0 without" in home
    assert "*Term of the week*" in home
    with Session(members.engine) as session:
        figures = gather(session, parse_period("2026-Q4", date(2026, 12, 1)))
    summary = {row[0]: row[1:] for row in dict(tables(figures))["Summary"]}
    assert summary["Visits with a story"] == (1, 0, 1)
    assert summary["Visits without a story"] == (0, 0, 0)


VISITORS = [f"U0VISIT{n:03d}" for n in range(40)]
ROUND_TRIP = 0.150  # Slack from a UK server


def many_visits(engine: Engine) -> None:
    """Forty Northside staff visiting Bridges Health Access on Tuesday, its desks offered for
    them all, and no key worker of its on Slack: each question goes to a different person."""
    offer = OfferEdit(
        desks=len(VISITORS), weekdays=("tue",), half_days=False, needs_approval=False,
        closures=(), closed_on_bank_holidays=True, max_days_ahead=60, address="40 Station Road",
        protocol="Sign in at reception.", key_worker_ids=(),
    )  # fmt: skip
    service = Hotdesk(engine, LONDON)
    service.save_offer(COORDINATOR, "BHA", offer)
    with Session(engine) as session:
        northside = session.exec(select(Organisation.id).where(Organisation.code == "NCL")).one()
        session.add_all(Member(slack_user_id=user, organisation_id=northside) for user in VISITORS)
        session.commit()
    for user in VISITORS:
        service.book(user, "BHA", TUESDAY, Part.DAY, MONDAY, notices=no_notices)


def test_many_questions_go_several_at_once_each_exactly_once(loaded_engine: Engine) -> None:
    """Slack a round trip away: one question at a time would take forty round trips; paced,
    several are in flight at once, within Slack's limits, and nobody is asked twice."""
    many_visits(loaded_engine)
    with limited_slack(VISITORS, latency=ROUND_TRIP) as fake:
        jobs = job_context(loaded_engine, fake)
        started = clock.monotonic()
        summary = run_job("visit-stories", jobs, datetime(2026, 11, 25, 10, 5))
        wall = clock.monotonic() - started
        again = run_job("visit-stories", jobs, datetime(2026, 11, 25, 10, 5))
        posts = fake.calls_to("chat.postMessage")
    assert summary == f"2026-11-25: asked {len(VISITORS)} people about their visits"
    assert again == "2026-11-25: asked 0 people about their visits"
    assert sorted(str(c.args["channel"]) for c in posts if c.ok) == VISITORS  # each once
    assert most_at_once(posts) >= 3
    assert wall < len(VISITORS) * ROUND_TRIP / 2  # one at a time: 6 s at least
