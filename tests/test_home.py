"""The Home tab end to end: app_home_opened in, views.publish out (validated by the fake)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from bot.models import (
    Commitment,
    DeskBooking,
    Opportunity,
    Organisation,
    PartnershipSession,
    PartnerUpdate,
)
from bot.services.directory import Directory, Profile
from bot.services.gate import trusted
from bot.services.home import Home
from bot.services.opportunities.service import Opportunities
from bot.slack.sender import Sender
from tests.conftest import COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import buttons, shown

LONDON = ZoneInfo("Europe/London")
AMINA = "U0000AMINA1"  # key worker at Harbour (HRS)


def open_home(bot: Bot, user_id: str) -> dict:
    """Open the tab as Slack does and return the view the app published (as the fake holds it)."""
    seen = len(bot.fake.calls_to("views.publish"))
    bot.slack.event({"type": "app_home_opened", "user": user_id, "tab": "home"})
    call = bot.fake.wait_for("views.publish", count=seen + 1)[-1]
    assert call.ok, call.response  # the fake refuses what Slack would: >100 blocks, long text
    return call.response["view"]


def republished(bot: Bot, act: object) -> dict:
    seen = len(bot.fake.calls_to("views.publish"))
    assert callable(act)
    act()
    call = bot.fake.wait_for("views.publish", count=seen + 1)[-1]
    assert call.ok, call.response
    return call.response["view"]


def _org(session: Session, code: str) -> int:
    return session.exec(select(Organisation.id).where(Organisation.code == code)).one()


def seed(engine: Engine, size: int) -> None:
    """`size` of everything a member's Home shows, for MEMBER (NCL) and the key worker."""
    today = datetime.now(LONDON).date()
    with Session(engine) as session:
        hrs, ncl, nrh = _org(session, "HRS"), _org(session, "NCL"), _org(session, "NRH")
        meeting = PartnershipSession(
            title=trusted("Autumn session"), kind="reflective", held_on=today - timedelta(days=3),
            next_on=today + timedelta(days=20), next_place="Harbour", created_by=COORDINATOR,
        )  # fmt: skip
        session.add(meeting)
        session.flush()
        for n in range(size):
            session.add(
                DeskBooking(
                    organisation_id=hrs, visitor_id=MEMBER, visitor_organisation_id=ncl,
                    day=today + timedelta(days=1 + n), part="day", status="confirmed",
                )
            )  # fmt: skip
            session.add(
                PartnerUpdate(
                    organisation_id=nrh, author_id=OTHER, text=trusted(f"News number {n}")
                )
            )
            session.add(
                Opportunity(
                    organisation_id=nrh, poster_id=OTHER, kind="training",
                    title=trusted(f"Course {n}"),
                    closes_on=today + timedelta(days=5 + n), channel="#o",
                )
            )  # fmt: skip
            session.add(
                Commitment(
                    session_id=meeting.id,
                    owner_id=MEMBER,
                    what=trusted(f"Task {n}"),
                    created_by=COORDINATOR,
                )
            )
        session.commit()


@pytest.fixture
def members(bot: Bot) -> Bot:
    bot.ask("join NCL", user_id=MEMBER)
    bot.ask("join NRH", user_id=OTHER)
    return bot


def test_a_member_without_an_organisation_joins_from_the_tab(bot: Bot) -> None:
    view = open_home(bot, MEMBER)
    assert "First, join your organisation" in shown(view)
    join = next(b for b in buttons(view) if b["action_id"] == "home_join")
    bot.slack.block_action(MEMBER, join["action_id"], view=view)
    form = bot.fake.wait_for("views.open")[-1].response["view"]
    choice = {
        "organisation": {"value": {"type": "static_select", "selected_option": {"value": "HRS"}}}
    }
    after = republished(bot, lambda: bot.slack.view_submission(MEMBER, form, choice))
    assert "You've joined *Harbour Refugee Support*" in shown(after)
    assert "You're with *Harbour Refugee Support*" in shown(after)


def test_a_brand_new_partnership_shows_getting_started_not_empty_sections(members: Bot) -> None:
    view = open_home(members, MEMBER)
    text = shown(view)
    assert "Getting started" in text and "Your hot-desk bookings" not in text
    assert {b["action_id"] for b in buttons(view)} >= {
        "home_post_update", "home_book_desk", "home_share_opportunity",
    }  # fmt: skip


def test_a_visitor_sees_bookings_commitments_opportunities_and_cancels_from_the_tab(
    members: Bot,
) -> None:
    seed(members.engine, 2)
    view = open_home(members, MEMBER)
    text = shown(view)
    for expected in (
        "Your hot-desk bookings", "Harbour Refugee Support", "Your open commitments", "Task 0",
        "Opportunities closing soonest", "Course 0", "Latest from other organisations",
        "News number 1", "Next partnership session", "You haven't replied yet",
        "Weekly digest by DM: *off*",
    ):  # fmt: skip
        assert expected in text, expected
    assert "at a glance" not in text  # coordinators only
    cancel = next(b for b in buttons(view) if b["action_id"] == "hotdesk_cancel")
    after = republished(
        members,
        lambda: members.slack.block_action(MEMBER, "hotdesk_cancel", cancel["value"], view=view),
    )
    assert "Cancelled" in shown(after)
    rsvp = next(b for b in buttons(after) if b["action_id"].startswith("session_rsvp:"))
    after = republished(
        members,
        lambda: members.slack.block_action(MEMBER, rsvp["action_id"], rsvp["value"], view=after),
    )
    assert "Your reply: *coming*" in shown(after)
    digest = next(b for b in buttons(after) if b["action_id"] == "home_digest")
    after = republished(
        members,
        lambda: members.slack.block_action(MEMBER, "home_digest", digest["value"], view=after),
    )
    assert "Weekly digest by DM: *on*" in shown(after)
    assert "Named in the digest when you visit a hot desk: *off*" in shown(after)
    named = next(b for b in buttons(after) if b["action_id"] == "home_digest_name")
    after = republished(
        members,
        lambda: members.slack.block_action(MEMBER, "home_digest_name", named["value"], view=after),
    )
    assert "Named in the digest when you visit a hot desk: *on*" in shown(after)


def test_a_key_worker_sees_who_is_visiting_this_week(members: Bot) -> None:
    seed(members.engine, 1)
    members.fake.add_user(AMINA, "Amina Yusuf")
    Directory(members.engine).join(AMINA, "HRS", lambda _: Profile("Amina Yusuf"))
    text = shown(open_home(members, AMINA))
    assert "key worker for Harbour Refugee Support" in text
    assert "Visiting your agency this week" in text and MEMBER in text


def test_a_coordinator_sees_the_partnership_at_a_glance(members: Bot) -> None:
    seed(members.engine, 2)
    members.ask("join SPL", user_id=COORDINATOR)
    text = shown(open_home(members, COORDINATOR))
    assert "The partnership at a glance" in text
    assert "New Roots Housing 2" in text  # updates in eight weeks
    assert "Quiet for four weeks" in text and "Harbour Refugee Support" in text
    assert "2 open" in text and "Harbour Refugee Support 2" in text  # commitments, bookings


def test_a_full_partnership_stays_within_limits_and_says_how_many_more(members: Bot) -> None:
    seed(members.engine, 40)
    members.ask("join SPL", user_id=COORDINATOR)
    view = open_home(members, MEMBER)
    assert len(view["blocks"]) <= 100
    assert "…and 35 more: `/hotdesk mine`" in shown(view)
    assert "…and 35 more: `/session mine`" in shown(view)
    assert len(open_home(members, COORDINATOR)["blocks"]) <= 100


def test_the_tab_is_built_in_a_bounded_number_of_queries(
    loaded_engine: Engine, sender: Sender
) -> None:
    Directory(loaded_engine).join(MEMBER, "NCL", lambda _: Profile("Sam"))
    Directory(loaded_engine).join(COORDINATOR, "SPL", lambda _: Profile("Morag"))
    home = Home(loaded_engine, LONDON, Opportunities(loaded_engine, sender))
    counts = []
    for size in (3, 30):
        seed(loaded_engine, size)
        statements: list[str] = []

        def count(*args: object, statements: list[str] = statements) -> None:
            statements.append(str(args[2]))

        now = datetime.now(LONDON)
        home.for_member(MEMBER, now, lambda _: None)  # what processes keep between requests
        event.listen(loaded_engine, "before_cursor_execute", count)
        home.for_member(MEMBER, now, lambda _: None)
        home.for_member(COORDINATOR, now, lambda _: None)
        event.remove(loaded_engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 80  # about thirty statements a member, transactions included
