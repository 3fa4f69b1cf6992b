"""The digest's hot-desk visits and session news: the digest's own week, bank holidays and all;
visitors named only with their consent; commitments by organisation in the channel, their overdue
owners named only to coordinators; and a dry run that prints the digest as people read it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from bot.models import HotdeskOffer, Organisation, PartnerUpdate
from bot.services.directory import Profile
from bot.services.gate import trusted
from bot.services.hotdesk.service import Hotdesk
from bot.services.hotdesk.types import Part
from bot.services.outbox import no_notices
from bot.services.rights import Rights
from bot.services.sessions import CommitmentInput, SessionInput, Sessions
from jobs.clock import run_job
from tests.conftest import COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import DIGEST_CHANNEL, LONDON, WEEKDAYS, job_context, shown

# The digest of Monday 4 January 2027 covers Mon 28 Dec (Boxing Day's bank holiday) to Sun 3 Jan.
FIRE = datetime(2027, 1, 4, 9, 0, tzinfo=LONDON)
BOXING_DAY_OBSERVED = date(2026, 12, 28)
BOOKED_AT = datetime(2026, 12, 21, 10, 0, tzinfo=LONDON)
HELD_ON = date(2026, 12, 9)
JOB_DESCRIPTION = "Share the job description"
SATURDAYS = "Open on Saturdays & Sundays <all welcome>"


@pytest.fixture
def week(bot: Bot) -> Bot:
    """MEMBER (Northside) visits Harbour on the bank-holiday Monday and on the Monday after;
    OTHER and COORDINATOR (Bridges) visit Harbour on the Tuesday; OTHER asks Safe Passage for a
    desk on the bank holiday (awaiting approval). The last session's commitments: MEMBER's overdue,
    OTHER's done, COORDINATOR's in progress; MEMBER and OTHER have answered the invitation."""
    bot.clock.set(BOOKED_AT)
    for user_id, code in ((MEMBER, "NCL"), (OTHER, "BHA"), (COORDINATOR, "BHA")):
        bot.ask(f"join {code}", user_id=user_id)
    bot.ask("digest dm on", user_id=COORDINATOR)
    with Session(bot.engine) as session:
        for code in ("HRS", "SPL"):  # open on bank holidays; Harbour on every weekday
            host = session.exec(select(Organisation).where(Organisation.code == code)).one()
            offer = session.get(HotdeskOffer, host.id)
            offer.closed_on_bank_holidays = False
            offer.weekdays = list(WEEKDAYS[:5]) if code == "HRS" else offer.weekdays
            session.add(offer)
        northside = session.exec(select(Organisation).where(Organisation.code == "NCL")).one()
        session.add(
            PartnerUpdate(
                organisation_id=northside.id, author_id=MEMBER, text=trusted(SATURDAYS),
                created_at=datetime(2026, 12, 30, 12, tzinfo=UTC),
            )
        )  # fmt: skip
        session.commit()
    desks = Hotdesk(bot.engine, LONDON)
    for user_id, host, day, part in (
        (MEMBER, "HRS", BOXING_DAY_OBSERVED, Part.AM),
        (MEMBER, "HRS", date(2027, 1, 4), Part.AM),  # the Monday after: next week's
        (OTHER, "HRS", date(2026, 12, 29), Part.AM),
        (COORDINATOR, "HRS", date(2026, 12, 29), Part.PM),
        (OTHER, "SPL", BOXING_DAY_OBSERVED, None),  # Safe Passage approves its visitors
    ):
        desks.book(user_id, host, day, part, BOOKED_AT, notices=no_notices)
    sessions = Sessions(bot.engine, LONDON)
    entry = SessionInput(
        title="Winter session", kind="operational", held_on=HELD_ON, organisations=("HRS", "NCL"),
        next_on=date(2027, 1, 14), next_place="Harbour, 14 Quay Street",
        commitments=(
            CommitmentInput(MEMBER, JOB_DESCRIPTION, date(2026, 12, 18)),
            CommitmentInput(OTHER, "Draft the referral form", date(2026, 12, 18)),
            CommitmentInput(COORDINATOR, "Book the venue"),
        ),
    )  # fmt: skip
    meeting = sessions.record(COORDINATOR, entry, HELD_ON, lambda user_id: Profile(user_id))
    ids = {c.owner_id: c.id for c in meeting.commitments}
    sessions.set_status(OTHER, ids[OTHER], "done", notices=no_notices)
    sessions.set_status(COORDINATOR, ids[COORDINATOR], "working", notices=no_notices)
    sessions.rsvp(MEMBER, meeting.id, "coming")
    sessions.rsvp(OTHER, meeting.id, "cant")
    return bot


def sent_to(bot: Bot, recipient: str) -> str:
    [post] = [c for c in bot.fake.calls_to("chat.postMessage") if c.args["channel"] == recipient]
    return shown(post.args)


def session_part(text: str) -> str:
    """The digest's session section, to its end."""
    return text[text.index("*The next session") :]


def dry_run(bot: Bot) -> str:
    lines: list[str] = []
    run_job("digest", job_context(bot.engine, bot.fake, dry_run=True, shown_lines=lines), FIRE)
    return "\n".join(lines)


def test_the_weeks_visits_by_host_name_only_those_who_agreed(week: Bot) -> None:
    assert "/partners digest name on" in shown(week.ask("help"))
    assert "will name you" in shown(week.ask("digest name on", user_id=MEMBER))
    preferences = Rights(week.engine, LONDON).export(MEMBER)["preferences"]
    assert preferences["named_as_visitor_in_digest"] is True
    assert "by name" in shown(week.ask("whoami", user_id=MEMBER))
    assert "organisation only" in shown(week.ask("whoami", user_id=OTHER))
    run_job("digest", job_context(week.engine, week.fake), FIRE)
    channel = sent_to(week, DIGEST_CHANNEL)
    visits = channel[channel.index("Hot-desk visits this week") : channel.index("The next session")]
    assert "*Harbour Refugee Support*" in visits
    assert f"<@{MEMBER}> from Northside Care Leavers Project: Mon 28 Dec (morning)" in visits
    assert "Mon 4 Jan" not in visits  # the Monday after belongs to next week's digest
    assert "2 visitors from Bridges Health Access" in visits
    assert f"<@{OTHER}>" not in visits and f"<@{COORDINATOR}>" not in visits
    assert "*Safe Passage Legal Advice*\n• 1 visit awaiting approval" in visits


def test_without_consent_a_visitor_is_counted_with_their_organisation(week: Bot) -> None:
    week.ask("digest name on", user_id=MEMBER)
    assert "won't name you" in shown(week.ask("digest name off", user_id=MEMBER))
    assert "organisation only" in shown(week.ask("whoami", user_id=MEMBER))
    run_job("digest", job_context(week.engine, week.fake), FIRE)
    channel = sent_to(week, DIGEST_CHANNEL)
    assert "1 visitor from Northside Care Leavers Project" in channel
    assert f"<@{MEMBER}>" not in channel.replace(f"— <@{MEMBER}>", "")  # but as an update's author


def test_the_channel_names_organisations_for_commitments_and_coordinators_the_overdue(
    week: Bot,
) -> None:
    run_job("digest", job_context(week.engine, week.fake), FIRE)
    channel = session_part(sent_to(week, DIGEST_CHANNEL))
    assert "*The next session*: Thu 14 Jan 2027 at Harbour, 14 Quay Street" in channel
    assert "2 replies so far: 1 coming, 1 can't make it" in channel
    assert "*Commitments from Winter session* (9 Dec): 3 commitments" in channel
    assert "• Overdue: 1 (Northside Care Leavers Project)" in channel
    assert "• In progress: 1 (Bridges Health Access)" in channel
    assert "• Done: 1 (Bridges Health Access)" in channel
    assert "<@" not in channel and JOB_DESCRIPTION not in channel
    coordinators = session_part(sent_to(week, COORDINATOR))
    assert "Overdue, by owner" in coordinators
    overdue = next(line for line in coordinators.split("\n") if JOB_DESCRIPTION in line)
    assert overdue.startswith(f"• <@{MEMBER}> (Northside Care Leavers Project)")
    assert "due 18 Dec" in overdue


def test_the_dry_run_prints_every_copy_as_people_read_it(week: Bot) -> None:
    week.ask("digest name on", user_id=MEMBER)
    output = dry_run(week)
    assert "would send to #partnership-digest" in output  # the one-line notices stay
    channel, member, coordinator = (
        output.split(f"--- {title} ---")[1].split("\n--- ")[0]
        for title in ("The channel copy", "A member's DM", "A coordinator's DM")
    )
    assert channel == member
    for copy in (channel, coordinator):
        assert "1 update from 1 organisation" in copy and SATURDAYS in copy  # as typed
        assert "Hot-desk visits this week" in copy
        assert "@Sam Member from Northside Care Leavers Project: Mon 28 Dec (morning)" in copy
        assert "2 visitors from Bridges Health Access" in copy
        assert "1 visit awaiting approval" in copy
        assert "The next session: Thu 14 Jan 2027 at Harbour, 14 Quay Street" in copy
        assert "Overdue: 1 (Northside Care Leavers Project)" in copy
        for wrong in ("1 updates", "1 visits", "1 replies", "1 commitments", "*", "&amp;"):
            assert wrong not in copy
    assert "Overdue, by owner (coordinators only)" not in channel
    assert "@Sam Member (Northside Care Leavers Project): Share the job description" in coordinator
    assert DIGEST_CHANNEL in output and not week.fake.calls_to("chat.postMessage")
